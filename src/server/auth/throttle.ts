// Fixed-window attempt counter keyed by username or client address. In-process by design for a single VPS; a Redis
// INCR/EXPIRE pair would take its place behind the same two methods when PartyRoom runs on several nodes.

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

  /** Counts one attempt for the key and says whether it may proceed. */
  hit(key: string): ThrottleVerdict {
    const now = this.now()
    if (this.windows.size > 10_000) this.sweep(now)
    let window = this.windows.get(key)
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + this.windowMs }
      this.windows.set(key, window)
    }
    window.count++
    const retryAfterSeconds = Math.max(1, Math.ceil((window.resetAt - now) / 1000))
    return { allowed: window.count <= this.limit, retryAfterSeconds }
  }

  reset(key: string): void {
    this.windows.delete(key)
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key)
  }
}
