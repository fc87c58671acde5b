// Fixed-window counters keyed by username, client address or both. One node keeps them in memory; nodes that share
// a database count in it (src/db/attempts.ts), so an attacker spreading guesses over the nodes of a cluster is
// counted once. Part 2 of cluster mode may move them to Redis behind the same interface.
import type { AttemptStore, Window } from '../../db/attempts'

export interface ThrottleVerdict {
  allowed: boolean
  retryAfterSeconds: number
}

/** Where the windows live. */
export interface Counters {
  add(key: string, windowMs: number, now: number): Promise<Window>
  get(key: string, now: number): Promise<Window | undefined>
  reset(key: string): Promise<void>
}

export class MemoryCounters implements Counters {
  private readonly windows = new Map<string, Window>()

  async add(key: string, windowMs: number, now: number): Promise<Window> {
    if (this.windows.size > 10_000) for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k)
    let window = await this.get(key, now)
    if (!window) this.windows.set(key, (window = { count: 0, resetAt: now + windowMs }))
    window.count++
    return window
  }

  async get(key: string, now: number): Promise<Window | undefined> {
    const window = this.windows.get(key)
    return window && window.resetAt > now ? window : undefined
  }

  async reset(key: string): Promise<void> {
    this.windows.delete(key)
  }
}

export class DatabaseCounters implements Counters {
  constructor(private readonly store: AttemptStore) {}
  add(key: string, windowMs: number, now: number) {
    return this.store.add(key, windowMs, now)
  }
  get(key: string, now: number) {
    return this.store.get(key, now)
  }
  reset(key: string) {
    return this.store.reset(key)
  }
}

export class AttemptThrottle {
  constructor(
    /** Names this throttle's keys among the others sharing the counters. */
    private readonly name: string,
    private readonly counters: Counters,
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private verdict(window: Window | undefined, slack: number, now: number): ThrottleVerdict {
    if (!window) return { allowed: true, retryAfterSeconds: 0 }
    const retryAfterSeconds = Math.max(1, Math.ceil((window.resetAt - now) / 1000))
    return { allowed: window.count + slack <= this.limit, retryAfterSeconds }
  }

  /** Counts one attempt for the key and says whether it may proceed. */
  async hit(key: string): Promise<ThrottleVerdict> {
    const now = this.now()
    return this.verdict(await this.counters.add(`${this.name}:${key}`, this.windowMs, now), 0, now)
  }

  /** Counts one event (a failure) for the key without deciding anything. */
  async add(key: string): Promise<void> {
    await this.counters.add(`${this.name}:${key}`, this.windowMs, this.now())
  }

  /** Whether the key is still within its limit (`slack` more events allowed on top of what was counted). */
  async check(key: string, slack = 1): Promise<ThrottleVerdict> {
    const now = this.now()
    return this.verdict(await this.counters.get(`${this.name}:${key}`, now), slack, now)
  }

  /** Events counted for the key in its current window. */
  async count(key: string): Promise<number> {
    return (await this.counters.get(`${this.name}:${key}`, this.now()))?.count ?? 0
  }

  async reset(key: string): Promise<void> {
    await this.counters.reset(`${this.name}:${key}`)
  }
}
