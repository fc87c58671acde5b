import { eq, sql } from 'drizzle-orm'
import type { Db } from './database'
import { users, type User } from './schema'

export class UsernameTakenError extends Error {
  constructor(username: string) {
    super(`username "${username}" is already taken`)
  }
}

/** Accounts: who exists and how they prove it. */
export class UserStore {
  constructor(private readonly db: Db) {}

  create(username: string, passwordHash: string): User {
    try {
      return this.db.insert(users).values({ username, passwordHash }).returning().get()
    } catch (error) {
      if (error instanceof Error && /UNIQUE constraint failed/.test(error.message)) throw new UsernameTakenError(username)
      throw error
    }
  }

  /** Case-insensitive, matching the unique index. */
  byUsername(username: string): User | undefined {
    return this.db
      .select()
      .from(users)
      .where(sql`${users.username} = ${username} collate nocase`)
      .get()
  }

  byId(id: number): User | undefined {
    return this.db.select().from(users).where(eq(users.id, id)).get()
  }
}
