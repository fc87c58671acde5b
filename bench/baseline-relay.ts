export {}
// The baseline for bench/chat-fanout.ts: a bare Bun.serve WebSocket relay. Every frame is published to every
// client; no auth, no validation, no persistence.
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch(request, server) {
    if (server.upgrade(request)) return
    return new Response('upgrade required', { status: 426 })
  },
  websocket: {
    open(ws) {
      ws.subscribe('room')
    },
    message(_ws, message) {
      server.publish('room', message)
    },
  },
})
console.log(JSON.stringify({ event: 'server.listening', port: server.port }))
