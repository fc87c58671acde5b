// What admins govern besides accounts (src/db/users.ts): runtime settings, invite links, and the audit log of every
// administrative and moderation action.
import { desc, eq, lt, sql } from 'drizzle-orm'
import type { Database } from './database'
import type { AuditRow, InviteRow } from './schema'

export const REGISTRATION_POLICIES = ['open', 'invite', 'closed'] as const
export type RegistrationPolicy = (typeof REGISTRATION_POLICIES)[number]

/** Runtime settings: a row per key; a key without a row has the default the server was started with. */
export class SettingsStore {
  constructor(private readonly database: Database) {}

  async get(key: string): Promise<string | undefined> {
    const { settings } = this.database.tables
    const [row] = await this.database.db.select().from(settings).where(eq(settings.key, key)).limit(1)
    return row?.value
  }

  async set(key: string, value: string): Promise<void> {
    const { settings } = this.database.tables
    await this.database.db.insert(settings).values({ key, value }).onConflictDoUpdate({ target: settings.key, set: { value } })
  }
}

export class InviteStore {
  constructor(private readonly database: Database) {}

  async create(row: { code: string; createdBy: number; maxUses: number; createdAt: Date; expiresAt: Date }): Promise<InviteRow> {
    const [invite] = await this.database.db.insert(this.database.tables.invites).values(row).returning()
    return invite!
  }

  /** Newest first, at most `limit`. */
  async list(limit: number): Promise<InviteRow[]> {
    const { invites } = this.database.tables
    return this.database.db.select().from(invites).orderBy(desc(invites.createdAt)).limit(limit)
  }

  async count(): Promise<number> {
    const { invites } = this.database.tables
    const [row] = await this.database.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(invites)
    return row!.n
  }

  /** Revokes a live invite; undefined when there is none with that code. */
  async revoke(code: string, now: Date): Promise<InviteRow | undefined> {
    const { invites } = this.database.tables
    const [row] = await this.database.db
      .update(invites)
      .set({ revokedAt: sql`coalesce(${invites.revokedAt}, ${this.database.dialect === 'sqlite' ? now.getTime() : now})` })
      .where(eq(invites.code, code))
      .returning()
    return row
  }

  /** Invites that can no longer be used and ended before `before` (kept a while so the list shows what happened). */
  async deleteEnded(before: Date): Promise<number> {
    const { invites } = this.database.tables
    const cutoff = this.database.dialect === 'sqlite' ? before.getTime() : before
    const ended = sql`(${invites.expiresAt} < ${cutoff} or ${invites.revokedAt} < ${cutoff})`
    return (await this.database.db.delete(invites).where(ended).returning({ code: invites.code })).length
  }
}

export interface AuditEntry {
  /** Who did it; id null for the shell (`partyroom admin`). */
  actor: { id: number | null; username: string }
  action: string
  target?: { id: number; username: string }
  detail?: Record<string, unknown>
}

export class AuditStore {
  constructor(private readonly database: Database) {}

  async record(entry: AuditEntry, at = new Date()): Promise<void> {
    await this.database.db.insert(this.database.tables.audit).values({
      at,
      actorId: entry.actor.id,
      actorName: entry.actor.username,
      action: entry.action,
      targetId: entry.target?.id ?? null,
      targetName: entry.target?.username ?? null,
      detail: JSON.stringify(entry.detail ?? {}),
    })
  }

  /** Entries older than `before` go (the log is kept for a year by default). */
  async deleteBefore(before: Date): Promise<number> {
    const { audit } = this.database.tables
    return (await this.database.db.delete(audit).where(lt(audit.at, before)).returning({ id: audit.id })).length
  }

  /** Newest first: up to `limit` entries older than the entry `before` (an id), or the newest. */
  async page(before: number | undefined, limit: number): Promise<AuditRow[]> {
    const { audit } = this.database.tables
    return this.database.db
      .select()
      .from(audit)
      .where(before === undefined ? undefined : lt(audit.id, before))
      .orderBy(desc(audit.id))
      .limit(limit)
  }
}
