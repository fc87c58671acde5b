// GET /api/metrics in the Prometheus text format (prom-client), behind a bearer token (METRICS_TOKEN; without one
// the route does not exist). Process and event-loop figures come from prom-client's defaults; the rest is read
// from the live objects when scraped, or counted where it happens through the small `Counters` interface, so the
// rooms and the vault do not depend on Prometheus.
import { Elysia } from 'elysia'
import client from 'prom-client'
import { timingSafeEqual } from 'node:crypto'
import { ApiError } from './errors'
import type { RoomRegistry } from '../rooms/registry'
import type { WorkerPool } from '../rooms/sfu/workers'
import type { LiveSockets } from './ws/live-sockets'

/** What the features count. */
export interface Counters {
  messagesStored(count: number): void
  vaultBytesIn(bytes: number): void
  vaultBytesOut(bytes: number): void
  request(status: number): void
}

export interface MetricsSources {
  rooms: RoomRegistry
  liveSockets: LiveSockets
  pool: () => WorkerPool | undefined
  /** Cluster mode: this node's id, a label on every series, so one dashboard tells the nodes apart. */
  node?: string
}

export class Metrics implements Counters {
  readonly registry = new client.Registry()
  private readonly messages: client.Counter
  private readonly bytesIn: client.Counter
  private readonly bytesOut: client.Counter
  private readonly requests: client.Counter<'class'>

  constructor(sources: MetricsSources) {
    const registers = [this.registry]
    if (sources.node) this.registry.setDefaultLabels({ node: sources.node })
    client.collectDefaultMetrics({ register: this.registry, prefix: 'partyroom_', eventLoopMonitoringPrecision: 20 })
    this.messages = new client.Counter({ name: 'partyroom_chat_messages_total', help: 'Chat messages stored (rate() gives messages per second)', registers })
    this.bytesIn = new client.Counter({ name: 'partyroom_vault_bytes_in_total', help: 'Bytes received into the vault (upload bodies)', registers })
    this.bytesOut = new client.Counter({ name: 'partyroom_vault_bytes_out_total', help: 'Bytes sent from the vault (downloads, ranges included)', registers })
    this.requests = new client.Counter({ name: 'partyroom_http_requests_total', help: 'HTTP requests by status class', labelNames: ['class'], registers })
    new client.Gauge({
      name: 'partyroom_websocket_connections',
      help: 'Open WebSocket connections',
      registers,
      collect() {
        this.set(sources.liveSockets.count())
      },
    })
    new client.Gauge({
      name: 'partyroom_rooms',
      help: 'Open rooms by how they carry media (chat: the global chat)',
      labelNames: ['mode'],
      registers,
      collect() {
        const counts = { chat: 0, mesh: 0, sfu: 0 }
        for (const room of sources.rooms.all()) counts[room.mediaMode?.mode ?? 'chat']++
        for (const [mode, value] of Object.entries(counts)) this.set({ mode }, value)
      },
    })
    new client.Gauge({
      name: 'partyroom_call_members',
      help: 'Members in video calls',
      registers,
      collect() {
        this.set(sources.rooms.all().reduce((sum, room) => sum + room.callMembers.length, 0))
      },
    })
    new client.Gauge({
      name: 'partyroom_sfu_worker_cpu_seconds',
      help: 'CPU time used by each mediasoup worker since it started',
      labelNames: ['worker'],
      registers,
      async collect() {
        this.reset()
        const usage = await sources.pool()?.resourceUsage().catch(() => [])
        for (const worker of usage ?? []) this.set({ worker: String(worker.index) }, worker.cpuSeconds)
      },
    })
    new client.Gauge({
      name: 'partyroom_sfu_consumers',
      help: 'SFU consumers by worker: forwarding (resumed) or paused (outside last-N, a silent microphone, a hidden tile)',
      labelNames: ['worker', 'state'],
      registers,
      collect() {
        this.reset()
        const rows = new Map<number, { forwarding: number; paused: number }>()
        for (const room of sources.rooms.all()) {
          for (const w of room.sfuCounts?.workers ?? []) {
            const row = rows.get(w.worker) ?? { forwarding: 0, paused: 0 }
            row.forwarding += w.forwarding
            row.paused += w.consumers - w.forwarding
            rows.set(w.worker, row)
          }
        }
        for (const [worker, row] of rows) {
          this.set({ worker: String(worker), state: 'forwarding' }, row.forwarding)
          this.set({ worker: String(worker), state: 'paused' }, row.paused)
        }
      },
    })
    new client.Gauge({
      name: 'partyroom_sfu_workers',
      help: 'mediasoup workers running',
      registers,
      collect() {
        this.set(sources.pool()?.workers().length ?? 0)
      },
    })
  }

  messagesStored(count: number) {
    this.messages.inc(count)
  }
  vaultBytesIn(bytes: number) {
    if (bytes > 0) this.bytesIn.inc(bytes)
  }
  vaultBytesOut(bytes: number) {
    if (bytes > 0) this.bytesOut.inc(bytes)
  }
  request(status: number) {
    this.requests.inc({ class: `${Math.floor(status / 100)}xx` })
  }
}

const sameToken = (given: string, expected: string) => {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

export const metricsRoute = (metrics: Metrics, token: string | undefined) => {
  const app = new Elysia({ name: 'metrics' })
  if (!token) return app
  return app.get('/api/metrics', async ({ request }) => {
    const header = request.headers.get('authorization') ?? ''
    if (!header.startsWith('Bearer ') || !sameToken(header.slice(7), token)) {
      throw new ApiError(401, 'unauthenticated', 'metrics need "Authorization: Bearer <METRICS_TOKEN>"')
    }
    return new Response(await metrics.registry.metrics(), { headers: { 'content-type': metrics.registry.contentType } })
  })
}
