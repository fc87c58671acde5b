// Which open sockets belong to which login session, so a logout or an expiry closes them with a clear code
// instead of leaving an authenticated pipe open after the session is gone.
import type { SessionStore } from '../../db/sessions'
import { CloseCode } from '../../rooms/protocol'

interface Closable {
  close(code?: number, reason?: string): void
}

export class LiveSockets {
  private readonly bySession = new Map<string, Set<Closable>>()
  private readonly byUser = new Map<number, number>()
  private readonly userOf = new Map<Closable, number>()
  private timer: ReturnType<typeof setInterval> | undefined

  /** Cluster mode: told of every session or account this node ends, so the other nodes close theirs too. */
  announce: ((ended: { sessionId?: string; userId?: number; reason: string }) => void) | undefined

  constructor(private readonly sessions: SessionStore) {}

  /** Sockets of this user per user, for re-counting them in the cluster. */
  perUser(): Map<number, number> {
    return new Map(this.byUser)
  }

  add(sessionId: string, userId: number, socket: Closable): void {
    let set = this.bySession.get(sessionId)
    if (!set) this.bySession.set(sessionId, (set = new Set()))
    set.add(socket)
    this.userOf.set(socket, userId)
    this.byUser.set(userId, (this.byUser.get(userId) ?? 0) + 1)
  }

  remove(sessionId: string, socket: Closable): void {
    const set = this.bySession.get(sessionId)
    set?.delete(socket)
    if (set?.size === 0) this.bySession.delete(sessionId)
    const userId = this.userOf.get(socket)
    if (userId === undefined) return
    this.userOf.delete(socket)
    const left = (this.byUser.get(userId) ?? 1) - 1
    if (left > 0) this.byUser.set(userId, left)
    else this.byUser.delete(userId)
  }

  /** Open sockets (for the server-wide cap and metrics). */
  count(): number {
    return this.userOf.size
  }

  /** Open sockets of one user. */
  countFor(userId: number): number {
    return this.byUser.get(userId) ?? 0
  }

  /** Closes every socket of a session that just ended. */
  endSession(sessionId: string, reason = 'logged out', announce = true): void {
    if (announce) this.announce?.({ sessionId, reason })
    const set = this.bySession.get(sessionId)
    if (!set) return
    this.bySession.delete(sessionId)
    for (const socket of set) socket.close(CloseCode.sessionEnded, reason)
  }

  /** Closes every socket of an account (disabled or deleted), whatever its session. */
  endUser(userId: number, reason: string, announce = true): void {
    if (announce) this.announce?.({ userId, reason })
    for (const [sessionId, set] of this.bySession) {
      if ([...set].some((socket) => this.userOf.get(socket) === userId)) this.endSession(sessionId, reason, false)
    }
  }

  /** People with at least one open socket. */
  users(): number {
    return this.byUser.size
  }

  /** Closes sockets whose session expired or was revoked elsewhere. */
  async sweep(now = new Date()): Promise<void> {
    for (const sessionId of [...this.bySession.keys()]) {
      if (!(await this.sessions.findLive(sessionId, now))) this.endSession(sessionId, 'session expired')
    }
  }

  start(intervalMs: number): void {
    // A sweep that cannot reach the database leaves every socket as it is and tries again next time.
    this.timer = setInterval(() => void this.sweep().catch(() => {}), intervalMs)
    this.timer.unref()
  }

  closeAll(code: number, reason: string): void {
    for (const set of this.bySession.values()) for (const socket of set) socket.close(code, reason)
    this.bySession.clear()
    clearInterval(this.timer)
  }
}
