// What the rooms must know about people to enforce moderation, without asking the database on every frame: each
// person's role (who may remove others' messages) and until when a moderator muted them in chat. The server keeps
// it current: it loads every admin, moderator and running mute at start and every few seconds, records the role and
// mute of every account that opens a socket, and every change an admin or moderator makes on this node, so a demoted
// moderator loses the powers with the very next frame. In cluster mode a change made on another node reaches this
// one with the next reload (5 s).

export type Role = 'admin' | 'moderator' | 'member'

export interface ModerationEntry {
  actor: { id: number; username: string }
  action: string
  target?: { id: number; username: string }
  detail?: Record<string, unknown>
}

/** What the database says now: every admin and moderator, and every chat mute still running. */
export interface ModerationSnapshot {
  staff: Array<{ id: number; role: Role }>
  mutes: Array<{ id: number; until: number }>
}

export class Moderation {
  private roles = new Map<number, Role>()
  private mutes = new Map<number, number>()
  /** Bumped by every change made here, so a reload that started before it cannot undo it. */
  private version = 0
  private timer: ReturnType<typeof setInterval> | undefined

  /** `record` writes an entry to the audit log. */
  constructor(private readonly record: (entry: ModerationEntry) => Promise<void> = async () => {}) {}

  /**
   * Reloads the whole book from the database now and every `intervalMs`: in cluster mode a role change or a mute
   * made on another node reaches this one within that time (changes made on this node apply at once).
   */
  async start(load: () => Promise<ModerationSnapshot>, intervalMs: number, onError: (error: unknown) => void = () => {}): Promise<void> {
    let running = false
    /** After a failed reload (the database away) the next waits this many intervals: no pile of connection attempts
     * competes with the requests that need the database when it comes back. */
    let skip = 0
    const reload = async () => {
      if (running) return
      if (skip > 0) return void skip--
      running = true
      try {
        const started = this.version
        const snapshot = await load()
        if (this.version !== started) return
        this.roles = new Map(snapshot.staff.map((s) => [s.id, s.role]))
        this.mutes = new Map(snapshot.mutes.map((m) => [m.id, m.until]))
      } catch (error) {
        skip = 5
        onError(error)
      } finally {
        running = false
      }
    }
    await reload()
    skip = 0
    this.timer = setInterval(() => void reload(), intervalMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  roleOf(userId: number): Role {
    return this.roles.get(userId) ?? 'member'
  }

  /** Admins and moderators. */
  isStaff(userId: number): boolean {
    const role = this.roles.get(userId)
    return role === 'admin' || role === 'moderator'
  }

  setRole(userId: number, role: Role): void {
    this.version++
    if (role === 'member') this.roles.delete(userId)
    else this.roles.set(userId, role)
  }

  /** Until when (ms) `userId` is muted in chat, or undefined when not (an expired mute is forgotten). */
  mutedUntil(userId: number, now: number): number | undefined {
    const until = this.mutes.get(userId)
    if (until === undefined) return undefined
    if (until > now) return until
    this.mutes.delete(userId)
    return undefined
  }

  setMute(userId: number, until: number | undefined): void {
    this.version++
    if (until === undefined) this.mutes.delete(userId)
    else this.mutes.set(userId, until)
  }

  forget(userId: number): void {
    this.version++
    this.roles.delete(userId)
    this.mutes.delete(userId)
  }

  /** Written before the action is answered, so the log never lags what people saw. */
  audit(entry: ModerationEntry): Promise<void> {
    return this.record(entry)
  }
}
