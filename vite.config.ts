import { defineConfig } from 'vite'
import solid from 'vite-plugin-solid'
import { PROTOCOL_VERSION } from './src/rooms/constants'

export default defineConfig({
  root: 'src/web',
  plugins: [solid()],
  // The protocol version this client speaks; the server announces its own in `hello`.
  define: { __PROTOCOL_VERSION__: JSON.stringify(PROTOCOL_VERSION) },
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    // `bunx vite` for client development, with the API and socket of a server on :8080 behind it.
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/ws': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
})
