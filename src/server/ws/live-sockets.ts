// Which open sockets belong to which login session, so a logout or an expiry closes them with a clear code
// instead of leaving an authenticated pipe open after the session is gone.
import type { SessionStore } from '../../db/sessions'
import { CloseCode } from '../../rooms/protocol'

interface Closable {
  close(code?: number, reason?: string): void
}

export class LiveSockets {
  private readonly bySession = new Map<string, Set<Closable>>()
  private timer: ReturnType<typeof setInterval> | undefined

  constructor(private readonly sessions: SessionStore) {}

  add(sessionId: string, socket: Closable): void {
    let set = this.bySession.get(sessionId)
    if (!set) this.bySession.set(sessionId, (set = new Set()))
    set.add(socket)
  }

  remove(sessionId: string, socket: Closable): void {
    const set = this.bySession.get(sessionId)
    set?.delete(socket)
    if (set?.size === 0) this.bySession.delete(sessionId)
  }

  /** Open sockets, for metrics. */
  count(): number {
    let n = 0
    for (const set of this.bySession.values()) n += set.size
    return n
  }

  /** Closes every socket of a session that just ended. */
  endSession(sessionId: string, reason = 'logged out'): void {
    const set = this.bySession.get(sessionId)
    if (!set) return
    this.bySession.delete(sessionId)
    for (const socket of set) socket.close(CloseCode.sessionEnded, reason)
  }

  /** Closes sockets whose session expired or was revoked elsewhere. */
  sweep(now = new Date()): void {
    for (const sessionId of [...this.bySession.keys()]) {
      if (!this.sessions.findLive(sessionId, now)) this.endSession(sessionId, 'session expired')
    }
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => this.sweep(), intervalMs)
    this.timer.unref()
  }

  closeAll(code: number, reason: string): void {
    for (const set of this.bySession.values()) for (const socket of set) socket.close(code, reason)
    this.bySession.clear()
    clearInterval(this.timer)
  }
}
