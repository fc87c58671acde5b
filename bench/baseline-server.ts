export {}
// The baseline for bench/http-edge.ts: a bare Bun.serve answering JSON, with nothing of ours in the way.
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch: () => Response.json({ status: 'ok' }),
})
console.log(JSON.stringify({ event: 'server.listening', port: server.port }))
