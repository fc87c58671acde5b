// A Redis connection that a node keeps: commands fail at once while it is down (nothing queues up behind an outage)
// and it reconnects by itself, every half second, for as long as the node runs. Bun's client retries a bounded
// number of times and never re-subscribes; this supervision is what makes a Redis restart something a node lives
// through.
import { RedisClient } from 'bun'

const RECONNECT_MS = 500

export class RedisLink {
  readonly client: RedisClient
  private timer: ReturnType<typeof setInterval> | undefined
  private closed = false
  private connecting = false
  private onUp: Array<() => void | Promise<void>> = []
  /** Whether the last connection attempt or command found Redis. */
  up = false

  constructor(readonly url: string) {
    this.client = new RedisClient(url, { autoReconnect: false, enableOfflineQueue: false, connectionTimeout: 2000 })
    this.client.onclose = () => this.lost()
  }

  /** Connects once; throws with Redis's reason (a wrong URL, a refused connection, bad credentials). */
  async connect(): Promise<void> {
    await this.client.connect()
    await this.client.send('PING', [])
    this.up = true
    this.timer = setInterval(() => void this.retry(), RECONNECT_MS)
    this.timer.unref()
  }

  /** Runs after every reconnection (not the first connect). */
  whenUp(handler: () => void | Promise<void>): void {
    this.onUp.push(handler)
  }

  private lost() {
    if (!this.closed) this.up = false
  }

  private async retry() {
    if (this.closed || this.connecting) return
    if (this.up && this.client.connected) return
    if (this.up) this.lost()
    this.connecting = true
    try {
      await this.client.connect()
      await this.client.send('PING', [])
      this.up = true
      for (const handler of this.onUp) await handler()
    } catch {
      // Still away; the next tick tries again.
    } finally {
      this.connecting = false
    }
  }

  close(): void {
    this.closed = true
    clearInterval(this.timer)
    this.client.close()
  }
}

/** What went wrong connecting, for the operator, without the password. */
export function describeRedisFailure(error: unknown, url: string): string {
  let where = url
  try {
    const parsed = new URL(url)
    where = `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`
  } catch {}
  const message = error instanceof Error ? error.message : String(error)
  return `REDIS_URL: cannot reach Redis at ${where}: ${message}`
}
