import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { users } from './users'

// Settings an admin changes at runtime (the registration policy), one row per key.
export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
})

// Invite links: a code that lets `maxUses` people register until `expiresAt`, unless revoked first.
export const invites = sqliteTable(
  'invites',
  {
    code: text('code').primaryKey(),
    createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
    maxUses: integer('max_uses').notNull(),
    uses: integer('uses').notNull().default(0),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    revokedAt: integer('revoked_at', { mode: 'timestamp_ms' }),
  },
  (table) => [index('invites_created').on(table.createdAt)],
)

// Who did what to whom, when. Names are kept beside ids so an entry still reads right after an account is deleted.
export const audit = sqliteTable(
  'audit',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
    actorId: integer('actor_id').references(() => users.id, { onDelete: 'set null' }),
    actorName: text('actor_name').notNull(),
    action: text('action').notNull(),
    targetId: integer('target_id'),
    targetName: text('target_name'),
    /** JSON: what changed (a role, a room, an invite's limits). */
    detail: text('detail').notNull().default('{}'),
  },
  (table) => [index('audit_at').on(table.at)],
)

export type InviteRow = typeof invites.$inferSelect
export type AuditRow = typeof audit.$inferSelect
