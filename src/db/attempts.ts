// Rate-limit counters in the database, so every node counts the same attempts (a login throttled on one node is
// throttled on all). One row per key and fixed window; an expired window restarts at the next attempt.
import { and, eq, gt, lte, sql } from 'drizzle-orm'
import type { Database } from './database'

export interface Window {
  count: number
  resetAt: number
}

export class AttemptStore {
  constructor(private readonly database: Database) {}

  /** Counts one attempt for the key and returns its window. */
  async add(key: string, windowMs: number, now: number): Promise<Window> {
    const { attempts } = this.database.tables
    const at = new Date(now)
    const next = new Date(now + windowMs)
    const expired = sql`${attempts.resetAt} <= ${sql.param(at, attempts.resetAt)}`
    const [row] = await this.database.db
      .insert(attempts)
      .values({ key, count: 1, resetAt: next })
      .onConflictDoUpdate({
        target: attempts.key,
        set: {
          count: sql`case when ${expired} then 1 else ${attempts.count} + 1 end`,
          resetAt: sql`case when ${expired} then ${sql.param(next, attempts.resetAt)} else ${attempts.resetAt} end`,
        },
      })
      .returning({ count: attempts.count, resetAt: attempts.resetAt })
    return { count: row!.count, resetAt: row!.resetAt.getTime() }
  }

  async get(key: string, now: number): Promise<Window | undefined> {
    const { attempts } = this.database.tables
    const [row] = await this.database.db
      .select({ count: attempts.count, resetAt: attempts.resetAt })
      .from(attempts)
      .where(and(eq(attempts.key, key), gt(attempts.resetAt, new Date(now))))
      .limit(1)
    return row ? { count: row.count, resetAt: row.resetAt.getTime() } : undefined
  }

  async reset(key: string): Promise<void> {
    const { attempts } = this.database.tables
    await this.database.db.delete(attempts).where(eq(attempts.key, key))
  }

  async deleteExpired(now: number): Promise<number> {
    const { attempts } = this.database.tables
    return (await this.database.db.delete(attempts).where(lte(attempts.resetAt, new Date(now))).returning({ key: attempts.key })).length
  }
}
