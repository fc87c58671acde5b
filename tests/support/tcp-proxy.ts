// A TCP proxy in front of the test server, so a test can cut one client's connections the way a network drop does
// (no WebSocket close frame) while the server and every other client carry on.
import type { Socket, TCPSocketListener } from 'bun'

export interface TcpProxy {
  url: string
  port: number
  /** Drops every connection through the proxy; new ones are accepted again at once. */
  cut(): void
  /** Drops every connection and refuses new ones until `up()`: the far end is gone, as when its server stops. */
  down(): void
  up(): void
  close(): void
}

export function startTcpProxy(targetPort: number): TcpProxy {
  type Pair = { upstream?: Socket<Pair>; pending: Uint8Array[]; client: Socket<Pair> }
  const open = new Set<Socket<Pair>>()
  let refusing = false
  const listener: TCPSocketListener<Pair> = Bun.listen<Pair>({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      open(client) {
        if (refusing) return void client.terminate()
        const pair: Pair = { pending: [], client }
        client.data = pair
        open.add(client)
        void Bun.connect<Pair>({
          hostname: '127.0.0.1',
          port: targetPort,
          data: pair,
          socket: {
            open(upstream) {
              pair.upstream = upstream
              open.add(upstream)
              for (const chunk of pair.pending) upstream.write(chunk)
              pair.pending = []
            },
            data(_upstream, chunk) {
              pair.client.write(chunk)
            },
            close(upstream) {
              open.delete(upstream)
              pair.client.end()
            },
            error() {},
          },
        }).catch(() => client.end())
      },
      data(client, chunk) {
        const pair = client.data
        if (pair.upstream) pair.upstream.write(chunk)
        else pair.pending.push(new Uint8Array(chunk))
      },
      close(client) {
        open.delete(client)
        client.data.upstream?.end()
      },
      error() {},
    },
  })
  return {
    url: `http://127.0.0.1:${listener.port}`,
    port: listener.port,
    cut() {
      for (const socket of [...open]) socket.terminate()
      open.clear()
    },
    down() {
      refusing = true
      this.cut()
    },
    up() {
      refusing = false
    },
    close() {
      this.cut()
      listener.stop(true)
    },
  }
}
