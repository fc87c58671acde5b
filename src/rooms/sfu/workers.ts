// The mediasoup workers: one process per core by default, each with one WebRtcServer so that all of a worker's
// media uses a single UDP (and TCP) port. A worker that dies is replaced, and whoever had routers on it is told so
// it can move its rooms to a fresh router. New routers go to the worker with the fewest routers.
import * as mediasoup from 'mediasoup'
import type { types } from 'mediasoup'
import { mediaCodecs } from './codecs'

export interface WorkerPoolConfig {
  workers: number
  workerBin: string
  /** Address the WebRtcServers listen on. */
  listenIp: string
  /** Address put in ICE candidates (the server's public IP behind NAT); defaults to listenIp. */
  announcedAddress: string | undefined
  /** Worker i listens on basePort + i (UDP and TCP); 0 lets each pick a free port. */
  basePort: number
  logLevel?: types.WorkerLogLevel
}

/** A router and what its transports listen with. */
export interface CreatedRouter {
  router: types.Router
  webRtcServer: types.WebRtcServer
  worker: number
  /** For plain RTP transports (scripted participants), which do not go through the WebRtcServer. */
  listen: { ip: string; announcedAddress: string | undefined }
}

export interface PoolEvents {
  /** A worker died; its routers are closed. It is being replaced. */
  workerDied(index: number, routers: types.Router[], error: Error): void
  workerStarted(index: number, pid: number): void
  replaceFailed?(index: number, error: unknown): void
}

interface Slot {
  index: number
  worker: types.Worker
  server: types.WebRtcServer
  routers: Set<types.Router>
}

export class WorkerPool {
  private readonly slots: Array<Slot | undefined> = []
  private closed = false

  private constructor(
    private readonly config: WorkerPoolConfig,
    private readonly events: PoolEvents,
  ) {}

  static async start(config: WorkerPoolConfig, events: PoolEvents): Promise<WorkerPool> {
    const pool = WorkerPool.create(config, events)
    await pool.started()
    return pool
  }

  /** A pool whose workers start with `started()`; `close()` may come at any moment, even while they start. */
  static create(config: WorkerPoolConfig, events: PoolEvents): WorkerPool {
    return new WorkerPool(config, events)
  }

  /** Starts every worker; rejects if one cannot start, or if the pool was closed meanwhile. */
  async started(): Promise<void> {
    for (let i = 0; i < this.config.workers; i++) this.slots.push(await this.startSlot(i))
  }

  private async startSlot(index: number): Promise<Slot> {
    if (this.closed) throw new Error('the worker pool was closed')
    const worker = await mediasoup.createWorker({ workerBin: this.config.workerBin, logLevel: this.config.logLevel ?? 'error' })
    // Closed while this worker started (a stop during start-up): it goes at once instead of lingering.
    if (this.closed) {
      worker.close()
      throw new Error('the worker pool was closed')
    }
    let server: types.WebRtcServer
    try {
      const port = this.config.basePort === 0 ? undefined : this.config.basePort + index
      const listen = { ip: this.config.listenIp, announcedAddress: this.config.announcedAddress, ...(port ? { port } : {}) }
      server = await worker.createWebRtcServer({
        listenInfos: [
          { protocol: 'udp', ...listen },
          { protocol: 'tcp', ...listen },
        ],
      })
    } catch (error) {
      worker.close()
      throw error
    }
    const slot: Slot = { index, worker, server, routers: new Set() }
    worker.on('died', (error) => this.onDied(slot, error))
    this.events.workerStarted(index, worker.pid)
    return slot
  }

  private onDied(slot: Slot, error: Error) {
    if (this.closed || this.slots[slot.index] !== slot) return
    this.slots[slot.index] = undefined
    const routers = [...slot.routers]
    slot.routers.clear()
    this.events.workerDied(slot.index, routers, error)
    // Replace it, retrying with a pause if the port is not free yet.
    const replace = async (attempt: number): Promise<void> => {
      if (this.closed) return
      try {
        this.slots[slot.index] = await this.startSlot(slot.index)
      } catch (err) {
        this.events.replaceFailed?.(slot.index, err)
        if (attempt < 20) setTimeout(() => void replace(attempt + 1), 500)
      }
    }
    void replace(1)
  }

  /** A new router on the least loaded live worker, with the WebRtcServer its transports must use. `avoid`: workers
   * the caller already has a router on (a room spreading over workers); undefined when only those are live. */
  async createRouter(): Promise<CreatedRouter>
  async createRouter(avoid: readonly number[]): Promise<CreatedRouter | undefined>
  async createRouter(avoid: readonly number[] = []): Promise<CreatedRouter | undefined> {
    const live = this.slots.filter((s): s is Slot => s !== undefined)
    if (live.length === 0) throw new Error('no mediasoup worker is running')
    const free = live.filter((s) => !avoid.includes(s.index))
    if (free.length === 0) return undefined
    const slot = free.reduce((best, s) => (s.routers.size < best.routers.size ? s : best))
    const router = await slot.worker.createRouter({ mediaCodecs })
    slot.routers.add(router)
    router.observer.on('close', () => slot.routers.delete(router))
    return {
      router,
      webRtcServer: slot.server,
      worker: slot.index,
      listen: { ip: this.config.listenIp, announcedAddress: this.config.announcedAddress },
    }
  }

  /** Worker processes, for metrics and tests. */
  workers(): Array<{ index: number; pid: number; routers: number }> {
    return this.slots.filter((s): s is Slot => s !== undefined).map((s) => ({ index: s.index, pid: s.worker.pid, routers: s.routers.size }))
  }

  async resourceUsage(): Promise<Array<{ index: number; cpuSeconds: number }>> {
    const live = this.slots.filter((s): s is Slot => s !== undefined)
    return Promise.all(
      live.map(async (s) => {
        const usage = await s.worker.getResourceUsage()
        return { index: s.index, cpuSeconds: (usage.ru_utime + usage.ru_stime) / 1000 }
      }),
    )
  }

  close() {
    this.closed = true
    for (const slot of this.slots) slot?.worker.close()
  }
}
