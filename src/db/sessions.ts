import { and, eq, gt, lte } from 'drizzle-orm'
import type { Database } from './database'
import type { Session, User } from './schema'

/** Logins that are still valid. A token whose session row is gone is refused, which is how logout revokes it. Every
 * node reads the same rows, so a token issued by one is accepted by all, and a logout on one revokes it on all. */
export class SessionStore {
  constructor(private readonly database: Database) {}

  async create(id: string, userId: number, now: Date, expiresAt: Date): Promise<Session> {
    const [session] = await this.database.db.insert(this.database.tables.sessions).values({ id, userId, createdAt: now, expiresAt }).returning()
    return session!
  }

  /** The live session and its user, or undefined when it was revoked or has expired, or the account is disabled. */
  async findLive(id: string, now: Date): Promise<{ session: Session; user: User } | undefined> {
    const { sessions, users } = this.database.tables
    const [row] = await this.database.db
      .select({ session: sessions, user: users })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.id, id), gt(sessions.expiresAt, now), eq(users.disabled, false)))
      .limit(1)
    return row
  }

  async extend(id: string, expiresAt: Date): Promise<void> {
    const { sessions } = this.database.tables
    await this.database.db.update(sessions).set({ expiresAt }).where(eq(sessions.id, id))
  }

  async revoke(id: string): Promise<void> {
    const { sessions } = this.database.tables
    await this.database.db.delete(sessions).where(eq(sessions.id, id))
  }

  /** Ends every session of an account (disabled, or deleted); returns their ids, to close their sockets. */
  async revokeAll(userId: number): Promise<string[]> {
    const { sessions } = this.database.tables
    return (await this.database.db.delete(sessions).where(eq(sessions.userId, userId)).returning({ id: sessions.id })).map((r) => r.id)
  }

  async deleteExpired(now: Date): Promise<number> {
    const { sessions } = this.database.tables
    return (await this.database.db.delete(sessions).where(lte(sessions.expiresAt, now)).returning({ id: sessions.id })).length
  }
}
