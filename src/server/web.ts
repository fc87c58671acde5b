// Serves the built SolidJS client: hashed assets with long caching, and index.html (never cached) for `/` and every
// client-side route, so a reload on /chat or /vault lands in the app.
import { Elysia } from 'elysia'
import { staticPlugin } from '@elysiajs/static'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ApiError } from './errors'

/** The app's page with a status of our choosing (a share link that ended is a 410 page, not a 200). */
export const appShell = (webDir: string) => (status: number, headers: Record<string, string> = {}) =>
  new Response(Bun.file(join(webDir, 'index.html')), {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', ...headers },
  })

export const webClient = async (webDir: string) => {
  const index = join(webDir, 'index.html')
  if (!existsSync(index)) {
    throw new Error(`the web client is not built: ${index} is missing (run "bun run build:web" or set WEB_DIR)`)
  }
  const app = new Elysia({ name: 'web-client' })
  const assets = join(webDir, 'assets')
  if (existsSync(assets)) {
    app.use(
      await staticPlugin({ assets, prefix: '/assets', alwaysStatic: true, directive: 'immutable', maxAge: 31536000, silent: true }),
    )
  }
  const page = () =>
    new Response(Bun.file(index), { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' } })
  return app.get('/', page).get('/*', ({ request, params }) => {
    const path = params['*']
    // API, WebSocket and asset misses are real 404s, not the app shell.
    if (/^(api|ws|assets)(\/|$)/.test(path) || /\.[a-z0-9]+$/i.test(path)) {
      throw new ApiError(404, 'not_found', `no route for ${request.method} /${path}`)
    }
    return page()
  })
}
