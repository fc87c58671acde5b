// The baseline for bench/vault-transfer.ts: a bare Bun.serve that streams a request body to a file (PUT) and
// the file back (GET). No auth, no hashing, no metadata.
export {}
const dir = process.argv[2]!
const path = `${dir}/baseline.bin`
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  maxRequestBodySize: 64 * 1024 ** 3,
  async fetch(request) {
    if (request.method === 'PUT') {
      await Bun.write(path, request)
      return new Response(null, { status: 204 })
    }
    return new Response(Bun.file(path))
  },
})
console.log(JSON.stringify({ event: 'server.listening', port: server.port }))
