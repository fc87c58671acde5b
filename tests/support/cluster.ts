// A PartyRoom cluster on loopback as production runs one: N nodes sharing one PostgreSQL database, one S3 bucket
// and one Redis (with a key prefix of its own, so test clusters do not meet), behind Debian's HAProxy with health
// checks and no stickiness.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { Subprocess } from 'bun'
import { clusterResources, startServer, type ClusterResources, type TestServer } from './server'
import { TestSocket } from './ws'

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:56379'

export interface TestCluster {
  nodes: TestServer[]
  /** The load balancer's URL. */
  url: string
  env: Record<string, string>
  prefix: string
  /** The node's id as its health says (node-0, node-1, ...). */
  nodeIds: string[]
  /** Waits until the load balancer sends requests only to nodes that answer (after a kill or a stop). */
  settled(): Promise<void>
  dispose(): Promise<void>
}

async function freePort(): Promise<number> {
  const server = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = server.port
  server.stop(true)
  return port
}

export async function startCluster(count: number, env: Record<string, string> = {}, balance: 'roundrobin' | 'leastconn' = 'roundrobin'): Promise<TestCluster> {
  const shared: ClusterResources = await clusterResources()
  const prefix = `t${randomBytes(5).toString('hex')}`
  const clusterEnv = { ...shared.env, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, ...env }
  const nodes: TestServer[] = []
  try {
    // One after the other: the first migrates the database, the others find it ready.
    for (let i = 0; i < count; i++) nodes.push(await startServer({ ...clusterEnv, NODE_ID: `node-${i}` }, undefined, { cluster: shared }))
  } catch (error) {
    await Promise.all(nodes.map((node) => node.dispose()))
    await shared.dispose()
    throw error
  }
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'partyroom-haproxy-'))
  const config = join(dir, 'haproxy.cfg')
  writeFileSync(
    config,
    [
      'global',
      '  maxconn 4096',
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 60s',
      '  timeout server 60s',
      // A WebSocket is a tunnel once upgraded; it lives as long as the client keeps it.
      '  timeout tunnel 1h',
      '  retries 3',
      '  option redispatch',
      'frontend partyroom',
      `  bind 127.0.0.1:${port}`,
      '  default_backend nodes',
      'backend nodes',
      `  balance ${balance}`,
      '  option httpchk GET /api/health',
      '  http-check expect status 200',
      '  default-server inter 300ms fall 2 rise 2',
      ...nodes.map((node, i) => `  server node-${i} 127.0.0.1:${node.port} check`),
      '',
    ].join('\n'),
  )
  const haproxy: Subprocess = Bun.spawn(['haproxy', '-f', config, '-db'], { stdout: 'ignore', stderr: 'pipe' })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    const ok = await fetch(`${url}/api/health`).then((r) => r.ok, () => false)
    if (ok) break
    if (i > 100 || haproxy.exitCode !== null) throw new Error(`HAProxy did not start: ${await new Response(haproxy.stderr as ReadableStream).text()}`)
    await Bun.sleep(50)
  }
  const cluster: TestCluster = {
    nodes,
    url,
    env: clusterEnv,
    prefix,
    nodeIds: nodes.map((_, i) => `node-${i}`),
    async settled() {
      // fall 2 × inter 300 ms: a dead node is out of the rotation within a second; then a few answers in a row
      // from the balancer are from live nodes.
      await Bun.sleep(1000)
      for (let i = 0; i < 6; i++) if (!(await fetch(`${url}/api/health`).then((r) => r.ok, () => false))) await Bun.sleep(300)
    },
    async dispose() {
      // PARTYROOM_CLUSTER_LOGS=dir keeps every node's log lines there (for looking into a failure).
      const keep = process.env.PARTYROOM_CLUSTER_LOGS
      if (keep) nodes.forEach((node, i) => writeFileSync(join(keep, `${prefix}-node-${i}.log`), node.logs.join('\n')))
      haproxy.kill()
      await haproxy.exited
      await Promise.all(nodes.map((node) => node.dispose()))
      await shared.dispose()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return cluster
}


/**
 * A chat client as the app is one: it sends with client ids, keeps what is not acknowledged, and when its socket
 * closes it reconnects (to `urls`, in turn), joins again after the last message it has, and sends again what was
 * not acknowledged (the same client id: stored once).
 */
export class ChatClient {
  socket: TestSocket | undefined
  /** Every message seen, by id (live or caught up). */
  readonly seen = new Map<number, { text: string; clientId?: string }>()
  /** Live deliveries, in order, ids (a duplicate delivery shows here twice). */
  readonly live: number[] = []
  readonly acked = new Map<string, number>()
  private readonly unacked = new Map<string, string>()
  closes: number[] = []
  private last = 0
  private running = true
  private loop: Promise<void> | undefined
  node = ''

  constructor(
    private readonly urls: string[],
    private readonly token: string,
    private readonly room = 'global',
  ) {}

  async start(): Promise<void> {
    await this.connect()
    this.loop = this.run()
  }

  private async connect() {
    for (let attempt = 0; ; attempt++) {
      const url = this.urls[attempt % this.urls.length]!
      try {
        const socket = await TestSocket.open(url, { authorization: `Bearer ${this.token}` })
        const hello = await socket.next((f) => f.type === 'hello' || f.type === 'error')
        if (hello.type !== 'hello') throw new Error(JSON.stringify(hello))
        socket.send({ type: 'chat.join', room: this.room, ...(this.last > 0 ? { after: this.last } : {}) })
        const joined = await socket.next((f) => f.type === 'chat.joined' && f.room === this.room, 10_000)
        for (const m of joined.messages) this.record(m, m.clientId, false)
        this.socket = socket
        this.node = hello.node
        for (const [clientId, text] of this.unacked) socket.send({ type: 'chat.send', room: this.room, clientId, text })
        return
      } catch (error) {
        if (attempt > 200) throw error
        await Bun.sleep(100)
      }
    }
  }

  private record(message: { id: number; text: string }, clientId: string | undefined, live: boolean) {
    if (live) this.live.push(message.id)
    this.seen.set(message.id, { text: message.text, clientId })
    this.last = Math.max(this.last, message.id)
    if (clientId && this.unacked.has(clientId)) {
      this.unacked.delete(clientId)
      this.acked.set(clientId, message.id)
    }
  }

  private async run() {
    while (this.running) {
      const socket = this.socket!
      try {
        const frame = await socket.next((f) => f.type === 'chat.message' || f.type === 'chat.ack', 1000)
        if (frame.type === 'chat.ack') this.record({ id: frame.id, text: this.unacked.get(frame.clientId) ?? '' }, frame.clientId, false)
        else this.record(frame.message, frame.clientId, true)
      } catch {
        if (!socket.closed || !this.running) continue
        this.closes.push(socket.closed.code)
        await this.connect()
      }
    }
  }

  send(clientId: string, text: string) {
    this.unacked.set(clientId, text)
    this.socket?.send({ type: 'chat.send', room: this.room, clientId, text })
  }

  get pending(): number {
    return this.unacked.size
  }

  async stop() {
    this.running = false
    await this.loop
    this.socket?.close()
  }
}
