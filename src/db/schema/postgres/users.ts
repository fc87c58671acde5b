import { sql } from 'drizzle-orm'
import { boolean, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'

// The PostgreSQL twin of ../sqlite/users.ts: same tables, columns and indexes (tests/db/schema.test.ts compares them).
export const at = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' })

export const users = pgTable(
  'users',
  {
    // By default, not always: moving a single-node install into a cluster keeps every id.
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    username: text('username').notNull(),
    passwordHash: text('password_hash').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    role: text('role').notNull().default('member'),
    disabled: boolean('disabled').notNull().default(false),
    chatMutedUntil: at('chat_muted_until'),
  },
  (table) => [uniqueIndex('users_username_nocase').on(sql`lower(${table.username})`)],
)

export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: at('created_at').notNull(),
    expiresAt: at('expires_at').notNull(),
  },
  (table) => [index('sessions_user').on(table.userId), index('sessions_expires').on(table.expiresAt)],
)

export type User = typeof users.$inferSelect
export type Session = typeof sessions.$inferSelect

// The PostgreSQL twin of attempts in ../sqlite/users.ts.
export const attempts = pgTable(
  'attempts',
  {
    key: text('key').primaryKey(),
    count: integer('count').notNull(),
    resetAt: at('reset_at').notNull(),
  },
  (table) => [index('attempts_reset').on(table.resetAt)],
)
