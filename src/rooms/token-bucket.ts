// A token bucket: bursts up to `capacity`, sustained `perSecond`. Used for per-user chat limits and per-socket
// frame budgets, so one flooding client is throttled without slowing anyone else.
export class TokenBucket {
  private tokens: number
  private updatedAt: number

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = capacity
    this.updatedAt = now()
  }

  /** Takes one token; when none is left, says how long until the next one. */
  take(): { ok: true } | { ok: false; retryAfterMs: number } {
    const now = this.now()
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updatedAt) / 1000) * this.perSecond)
    this.updatedAt = now
    if (this.tokens >= 1) {
      this.tokens -= 1
      return { ok: true }
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - this.tokens) / this.perSecond) * 1000) }
  }
}
