// What one user may hold across all rooms at once: a chat message budget shared by every room (so joining more
// rooms buys no more messages), and the number of rooms they are in. Rooms ask it from inside their own command;
// it is plain shared counting, with no state of any room in it.
import { TokenBucket } from './token-bucket'

export interface QuotaLimits {
  /** Chat messages a user may send in a burst, and per second after it, across all rooms. */
  messageBurst: number
  messagesPerSecond: number
  /** Rooms (the global chat, video rooms and their chats) one user may be in at once. */
  maxRoomsPerUser: number
}

export type Verdict = { ok: true } | { ok: false; retryAfterMs: number }

/** What a room asks of the per-user budgets. One node answers from memory (UserQuotas); a cluster from Redis
 * (src/cluster/quotas.ts), so that spreading one's sockets over several nodes buys nothing. */
export interface Quotas {
  /** Takes one chat message from the user's budget. */
  takeMessage(userId: number): Verdict | Promise<Verdict>
  enter(userId: number, room: string): boolean | Promise<boolean>
  exit(userId: number, room: string): void
  readonly maxRoomsPerUser: number
}

export class UserQuotas implements Quotas {
  private readonly budgets = new Map<number, TokenBucket>()
  private readonly rooms = new Map<number, Set<string>>()

  constructor(
    private readonly limits: QuotaLimits,
    private readonly now: () => number = Date.now,
  ) {}

  takeMessage(userId: number): Verdict {
    let bucket = this.budgets.get(userId)
    if (!bucket) {
      // The longest-known bucket goes first once many users are tracked: most are idle, and an idle bucket is
      // full again, so forgetting it changes nothing.
      if (this.budgets.size >= 10_000) this.budgets.delete(this.budgets.keys().next().value!)
      this.budgets.set(userId, (bucket = new TokenBucket(this.limits.messageBurst, this.limits.messagesPerSecond, this.now)))
    }
    return bucket.take()
  }

  enter(userId: number, room: string): boolean {
    let set = this.rooms.get(userId)
    if (set?.has(room)) return true
    if ((set?.size ?? 0) >= this.limits.maxRoomsPerUser) return false
    if (!set) this.rooms.set(userId, (set = new Set()))
    set.add(room)
    return true
  }

  exit(userId: number, room: string): void {
    const set = this.rooms.get(userId)
    set?.delete(room)
    if (set?.size === 0) this.rooms.delete(userId)
  }

  get maxRoomsPerUser(): number {
    return this.limits.maxRoomsPerUser
  }
}
