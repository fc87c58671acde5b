// The baseline for bench/vault-transfer.ts: a bare Bun.serve that streams a request body to a new file (PUT) and
// the latest file back (GET). No auth, no hashing, no metadata, no fsync. Each PUT writes a fresh file, as a store
// of uploads does (overwriting one file in place would skip the file system's block allocation); DELETE removes the
// previous one, outside the measured transfer.
import { rmSync } from 'node:fs'
const dir = process.argv[2]!
let count = 0
let path = `${dir}/baseline-0.bin`
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  maxRequestBodySize: 64 * 1024 ** 3,
  async fetch(request) {
    if (request.method === 'PUT') {
      path = `${dir}/baseline-${++count}.bin`
      await Bun.write(path, request)
      return new Response(null, { status: 204 })
    }
    if (request.method === 'DELETE') {
      rmSync(path, { force: true })
      return new Response(null, { status: 204 })
    }
    return new Response(Bun.file(path))
  },
})
console.log(JSON.stringify({ event: 'server.listening', port: server.port }))
