import { eq, sql } from 'drizzle-orm'
import type { Database } from './database'
import { isUniqueViolation } from './errors'
import type { User } from './schema'

export class UsernameTakenError extends Error {
  constructor(username: string) {
    super(`username "${username}" is already taken`)
  }
}

/** Accounts: who exists and how they prove it. */
export class UserStore {
  constructor(private readonly database: Database) {}

  async create(username: string, passwordHash: string): Promise<User> {
    const { db, tables } = this.database
    try {
      const [user] = await db.insert(tables.users).values({ username, passwordHash }).returning()
      return user!
    } catch (error) {
      if (isUniqueViolation(error)) throw new UsernameTakenError(username)
      throw error
    }
  }

  /** Case-insensitive, matching the unique index (usernames are ASCII). */
  async byUsername(username: string): Promise<User | undefined> {
    const { db, tables, dialect } = this.database
    const { users } = tables
    const same = dialect === 'sqlite' ? sql`${users.username} = ${username} collate nocase` : sql`lower(${users.username}) = lower(${username})`
    const [user] = await db.select().from(users).where(same).limit(1)
    return user
  }

  async byId(id: number): Promise<User | undefined> {
    const { users } = this.database.tables
    const [user] = await this.database.db.select().from(users).where(eq(users.id, id)).limit(1)
    return user
  }
}
