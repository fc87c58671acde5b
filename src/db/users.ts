import { and, asc, eq, ne, or, sql } from 'drizzle-orm'
import type { Database } from './database'
import { isUniqueViolation } from './errors'
import type { User } from './schema'

export const ROLES = ['admin', 'moderator', 'member'] as const
export type Role = (typeof ROLES)[number]

export class UsernameTakenError extends Error {
  constructor(username: string) {
    super(`username "${username}" is already taken`)
  }
}

/** The invite given at registration is unknown, expired, revoked or used up. */
export class InviteInvalidError extends Error {}

/** The change would leave the server without an enabled admin. */
export class LastAdminError extends Error {}

/** Account creations and role changes take this transaction-scoped lock on PostgreSQL, so two of them never both
 * see "no admin yet" or "another admin remains" (SQLite runs them one at a time anyway). */
const USERS_LOCK = 0x5553_4552 // "USER"

type Tx = Database['db']
type Exec = { execute(query: unknown): Promise<unknown> }

/** Accounts: who exists, how they prove it, and what they may do. */
export class UserStore {
  constructor(private readonly database: Database) {}

  /**
   * A new account. The first one on an empty server is its admin. With `invite`, one use of that invite is taken in
   * the same transaction (two registrations racing for its last use: exactly one gets it).
   */
  async create(username: string, passwordHash: string, options: { invite?: string; now?: Date; role?: Role } = {}): Promise<User> {
    const { db, tables, dialect } = this.database
    const { users, invites } = tables
    const now = options.now ?? new Date()
    const takeInvite = (q: Tx) =>
      q
        .update(invites)
        .set({ uses: sql`${invites.uses} + 1` })
        .where(and(eq(invites.code, options.invite!), sql`${invites.revokedAt} is null`, sql`${invites.uses} < ${invites.maxUses}`, sql`${invites.expiresAt} > ${dialect === 'sqlite' ? now.getTime() : now}`))
        .returning({ code: invites.code })
    const anyUser = (q: Tx) => q.select({ id: users.id }).from(users).limit(1)
    try {
      if (dialect === 'postgres') {
        return await db.transaction(async (tx) => {
          await (tx as unknown as Exec).execute(sql`select pg_advisory_xact_lock(${USERS_LOCK})`)
          if (options.invite !== undefined && (await takeInvite(tx as unknown as Tx)).length === 0) throw new InviteInvalidError()
          const role = options.role ?? ((await anyUser(tx as unknown as Tx)).length === 0 ? 'admin' : 'member')
          const [user] = await tx.insert(users).values({ username, passwordHash, role }).returning()
          return user!
        })
      }
      return this.database.sqlite!.transaction(() => {
        if (options.invite !== undefined && takeInvite(db).all().length === 0) throw new InviteInvalidError()
        const role = options.role ?? (anyUser(db).all().length === 0 ? 'admin' : 'member')
        return db.insert(users).values({ username, passwordHash, role }).returning().get()
      }).immediate()
    } catch (error) {
      if (isUniqueViolation(error)) throw new UsernameTakenError(username)
      throw error
    }
  }

  /** Case-insensitive, matching the unique index (usernames are ASCII). */
  async byUsername(username: string): Promise<User | undefined> {
    const { db, tables } = this.database
    const [user] = await db.select().from(tables.users).where(this.sameName(username)).limit(1)
    return user
  }

  private sameName(username: string) {
    const { users } = this.database.tables
    return this.database.dialect === 'sqlite' ? sql`${users.username} = ${username} collate nocase` : sql`lower(${users.username}) = lower(${username})`
  }

  async byId(id: number): Promise<User | undefined> {
    const { users } = this.database.tables
    const [user] = await this.database.db.select().from(users).where(eq(users.id, id)).limit(1)
    return user
  }

  /** A page of accounts in id order, optionally those whose name contains `query` (any case). */
  async list(query: string, offset: number, limit: number): Promise<{ users: User[]; total: number }> {
    const { db, tables } = this.database
    const { users } = tables
    // LIKE's own wildcards in the query are matched literally.
    const pattern = `%${query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    const where = query ? sql`lower(${users.username}) like ${pattern} escape '\\'` : undefined
    const [page, [count]] = await Promise.all([
      db.select().from(users).where(where).orderBy(asc(users.id)).limit(limit).offset(offset),
      db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(users).where(where),
    ])
    return { users: page, total: count!.n }
  }

  /** Up to `limit` enabled accounts whose name starts with `prefix` (any case), by name: @mention completion. */
  async named(prefix: string, limit: number): Promise<Array<{ id: number; username: string }>> {
    const { users } = this.database.tables
    const pattern = `${prefix.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    return this.database.db
      .select({ id: users.id, username: users.username })
      .from(users)
      .where(and(sql`lower(${users.username}) like ${pattern} escape '\\'`, eq(users.disabled, false)))
      .orderBy(asc(sql`lower(${users.username})`))
      .limit(limit)
  }

  /**
   * Changes an account's role or disabled flag, unless that would leave no enabled admin. Returns the account as it
   * now is, or undefined when there is none with that id.
   */
  async update(id: number, change: { role?: Role; disabled?: boolean }): Promise<User | undefined> {
    return this.guarded(id, change.role !== undefined && change.role !== 'admin' || change.disabled === true, (q) =>
      q.update(this.database.tables.users).set(change).where(eq(this.database.tables.users.id, id)).returning(),
    )
  }

  /** Mutes an account in chat until `until` (null: unmutes). Returns the account, or undefined when there is none. */
  async setChatMute(id: number, until: Date | null): Promise<User | undefined> {
    const { users } = this.database.tables
    const [row] = await this.database.db.update(users).set({ chatMutedUntil: until }).where(eq(users.id, id)).returning()
    return row
  }

  /** Every enabled admin and moderator, and every account muted in chat past `now` (what the rooms enforce). */
  async moderationSnapshot(now: Date): Promise<{ staff: Array<{ id: number; role: Role }>; mutes: Array<{ id: number; until: number }> }> {
    const { db, tables, dialect } = this.database
    const { users } = tables
    const muted = sql`${users.chatMutedUntil} > ${dialect === 'sqlite' ? now.getTime() : now}`
    // One query (one connection): the staff and the muted are few.
    const rows = await db
      .select({ id: users.id, role: users.role, disabled: users.disabled, until: users.chatMutedUntil })
      .from(users)
      .where(or(and(ne(users.role, 'member'), eq(users.disabled, false)), muted))
    return {
      staff: rows.filter((r) => r.role !== 'member' && !r.disabled).map((r) => ({ id: r.id, role: r.role as Role })),
      mutes: rows.filter((r) => r.until && r.until.getTime() > now.getTime()).map((r) => ({ id: r.id, until: r.until!.getTime() })),
    }
  }

  /** Deletes an account (its sessions, files, uploads, messages and reactions go with it by foreign key), unless it
   * is the last enabled admin. Returns the deleted row. */
  async delete(id: number): Promise<User | undefined> {
    return this.guarded(id, true, (q) => q.delete(this.database.tables.users).where(eq(this.database.tables.users.id, id)).returning())
  }

  /** Runs `write` on account `id` in a transaction that first checks, when `removesAdmin`, that another enabled admin
   * remains should `id` be one. */
  private async guarded(id: number, removesAdmin: boolean, write: (q: Tx) => { all(): User[] } & PromiseLike<User[]>): Promise<User | undefined> {
    const { db, tables, dialect } = this.database
    const { users } = tables
    const otherAdmins = (q: Tx) =>
      q
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.role, 'admin'), eq(users.disabled, false), ne(users.id, id)))
        .limit(1)
    const target = (q: Tx) => q.select().from(users).where(eq(users.id, id)).limit(1)
    const check = (existing: User | undefined, others: unknown[]) => {
      if (existing && removesAdmin && existing.role === 'admin' && !existing.disabled && others.length === 0) {
        throw new LastAdminError('this is the last admin: make another account an admin first')
      }
    }
    if (dialect === 'postgres') {
      return db.transaction(async (tx) => {
        await (tx as unknown as Exec).execute(sql`select pg_advisory_xact_lock(${USERS_LOCK})`)
        const q = tx as unknown as Tx
        const [existing] = await target(q)
        if (!existing) return undefined
        check(existing, await otherAdmins(q))
        const [row] = await write(q)
        return row
      })
    }
    return this.database.sqlite!.transaction(() => {
      const [existing] = target(db).all()
      if (!existing) return undefined
      check(existing, otherAdmins(db).all())
      return write(db).all()[0]
    }).immediate()
  }
}
