import { and, eq, gt, lte, sql } from 'drizzle-orm'
import type { Db } from './database'
import { sessions, users, type Session, type User } from './schema'

/** Logins that are still valid. A token whose session row is gone is refused, which is how logout revokes it. */
export class SessionStore {
  // Every authenticated request and socket runs this lookup, so it is prepared once instead of rebuilt per call.
  private readonly liveById

  constructor(private readonly db: Db) {
    this.liveById = db
      .select({ session: sessions, user: users })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.id, sql.placeholder('id')), gt(sessions.expiresAt, sql.placeholder('now'))))
      .prepare()
  }

  create(id: string, userId: number, now: Date, expiresAt: Date): Session {
    return this.db.insert(sessions).values({ id, userId, createdAt: now, expiresAt }).returning().get()
  }

  /** The live session and its user, or undefined when it was revoked or has expired. */
  findLive(id: string, now: Date): { session: Session; user: User } | undefined {
    return this.liveById.get({ id, now: now.getTime() }) ?? undefined
  }

  extend(id: string, expiresAt: Date): void {
    this.db.update(sessions).set({ expiresAt }).where(eq(sessions.id, id)).run()
  }

  revoke(id: string): void {
    this.db.delete(sessions).where(eq(sessions.id, id)).run()
  }

  deleteExpired(now: Date): number {
    return this.db.delete(sessions).where(lte(sessions.expiresAt, now)).returning({ id: sessions.id }).all().length
  }
}
