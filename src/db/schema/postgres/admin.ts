import { index, integer, pgTable, text } from 'drizzle-orm/pg-core'
import { at, users } from './users'

// The PostgreSQL twins of ../sqlite/admin.ts.
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
})

export const invites = pgTable(
  'invites',
  {
    code: text('code').primaryKey(),
    createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
    maxUses: integer('max_uses').notNull(),
    uses: integer('uses').notNull().default(0),
    createdAt: at('created_at').notNull(),
    expiresAt: at('expires_at').notNull(),
    revokedAt: at('revoked_at'),
  },
  (table) => [index('invites_created').on(table.createdAt)],
)

export const audit = pgTable(
  'audit',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    at: at('at').notNull(),
    actorId: integer('actor_id').references(() => users.id, { onDelete: 'set null' }),
    actorName: text('actor_name').notNull(),
    action: text('action').notNull(),
    targetId: integer('target_id'),
    targetName: text('target_name'),
    detail: text('detail').notNull().default('{}'),
  },
  (table) => [index('audit_at').on(table.at)],
)
