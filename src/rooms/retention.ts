// Removes old chat messages (and, by cascade, their reactions) by age and by count per room. Runs at start and on
// a schedule, in small batches that yield to the event loop between them, so a large cleanup never stalls chat.
import type { MessageStore } from '../db/messages'

export interface RetentionPolicy {
  /** Messages older than this go; 0 keeps them forever. */
  maxAgeMs: number
  /** Each room keeps at most this many of its newest messages; 0 means no cap. */
  maxMessagesPerRoom: number
  /** Rows deleted per transaction. */
  batchSize: number
}

export class ChatRetention {
  private timer: ReturnType<typeof setInterval> | undefined
  private running: Promise<number> | undefined

  constructor(
    private readonly store: MessageStore,
    private readonly policy: RetentionPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  /** One full cleanup pass; resolves with how many messages it removed. Overlapping calls share one pass. */
  run(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined))
    return this.running
  }

  private async pass(): Promise<number> {
    const { maxAgeMs, maxMessagesPerRoom, batchSize } = this.policy
    let removed = 0
    if (maxAgeMs > 0) {
      const cutoff = new Date(this.now() - maxAgeMs)
      for (let n = await this.store.deleteOlderThan(cutoff, batchSize); n > 0; n = await this.store.deleteOlderThan(cutoff, batchSize)) {
        removed += n
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
    if (maxMessagesPerRoom > 0) {
      for (const room of await this.store.rooms()) {
        for (let n = await this.store.trimRoom(room, maxMessagesPerRoom, batchSize); n > 0; n = await this.store.trimRoom(room, maxMessagesPerRoom, batchSize)) {
          removed += n
          await new Promise((resolve) => setImmediate(resolve))
        }
      }
    }
    return removed
  }

  start(intervalMs: number, onDone: (removed: number) => void, onError: (error: unknown) => void): void {
    const tick = () => this.run().then(onDone, onError)
    tick()
    this.timer = setInterval(tick, intervalMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.running
  }
}
