// Fixed-window counters keyed by username, client address or both. In-process by design for a single VPS; a Redis
// INCR/EXPIRE pair would take its place behind the same methods when PartyRoom runs on several nodes.

export interface ThrottleVerdict {
  allowed: boolean
  retryAfterSeconds: number
}

export class AttemptThrottle {
  private readonly windows = new Map<string, { count: number; resetAt: number }>()

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private window(key: string, now: number) {
    const window = this.windows.get(key)
    return window && window.resetAt > now ? window : undefined
  }

  /** Counts one attempt for the key and says whether it may proceed. */
  hit(key: string): ThrottleVerdict {
    this.add(key)
    return this.check(key, 0)
  }

  /** Counts one event (a failure) for the key without deciding anything. */
  add(key: string): void {
    const now = this.now()
    if (this.windows.size > 10_000) this.sweep(now)
    let window = this.window(key, now)
    if (!window) this.windows.set(key, (window = { count: 0, resetAt: now + this.windowMs }))
    window.count++
  }

  /** Whether the key is still within its limit (`slack` more events allowed on top of what was counted). */
  check(key: string, slack = 1): ThrottleVerdict {
    const now = this.now()
    const window = this.window(key, now)
    if (!window) return { allowed: true, retryAfterSeconds: 0 }
    const retryAfterSeconds = Math.max(1, Math.ceil((window.resetAt - now) / 1000))
    return { allowed: window.count + slack <= this.limit, retryAfterSeconds }
  }

  /** Events counted for the key in its current window. */
  count(key: string): number {
    return this.window(key, this.now())?.count ?? 0
  }

  reset(key: string): void {
    this.windows.delete(key)
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key)
  }
}
