// What the rooms must know about people to enforce moderation, without asking the database on every frame: each
// person's role (who may remove others' messages) and until when a moderator muted them in chat. The server keeps
// it current: it records the role and mute of every account that opens a socket, and every change an admin or
// moderator makes, so a demoted moderator loses the powers with the very next frame. In cluster mode a change made
// on another node reaches this one when that person's socket next opens here (part 2 of cluster mode carries it).

export type Role = 'admin' | 'moderator' | 'member'

export interface ModerationEntry {
  actor: { id: number; username: string }
  action: string
  target?: { id: number; username: string }
  detail?: Record<string, unknown>
}

export class Moderation {
  private readonly roles = new Map<number, Role>()
  private readonly mutes = new Map<number, number>()

  /** `record` writes an entry to the audit log. */
  constructor(private readonly record: (entry: ModerationEntry) => Promise<void> = async () => {}) {}

  roleOf(userId: number): Role {
    return this.roles.get(userId) ?? 'member'
  }

  /** Admins and moderators. */
  isStaff(userId: number): boolean {
    const role = this.roles.get(userId)
    return role === 'admin' || role === 'moderator'
  }

  setRole(userId: number, role: Role): void {
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
    if (until === undefined) this.mutes.delete(userId)
    else this.mutes.set(userId, until)
  }

  forget(userId: number): void {
    this.roles.delete(userId)
    this.mutes.delete(userId)
  }

  /** Written before the action is answered, so the log never lags what people saw. */
  audit(entry: ModerationEntry): Promise<void> {
    return this.record(entry)
  }
}
