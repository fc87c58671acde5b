import { sql } from 'drizzle-orm'
import { integer, sqliteTable, text, uniqueIndex, index } from 'drizzle-orm/sqlite-core'

export const users = sqliteTable(
  'users',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    username: text('username').notNull(),
    passwordHash: text('password_hash').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' })
      .notNull()
      .default(sql`(unixepoch('subsec') * 1000)`),
    /** admin | moderator | member (src/db/users.ts: ROLES). */
    role: text('role').notNull().default('member'),
    /** A disabled account cannot log in, and its sessions are gone. */
    disabled: integer('disabled', { mode: 'boolean' }).notNull().default(false),
    /** Until when a moderator muted the account in chat (every room); null: not muted. */
    chatMutedUntil: integer('chat_muted_until', { mode: 'timestamp_ms' }),
  },
  (table) => [
    // Usernames are unique regardless of case, so "Alice" and "alice" cannot both exist.
    uniqueIndex('users_username_nocase').on(sql`${table.username} collate nocase`),
  ],
)

// A login is a row here; the JWT names it by id (jti), so logging out revokes the token everywhere it was copied.
export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [index('sessions_user').on(table.userId), index('sessions_expires').on(table.expiresAt)],
)

export type User = typeof users.$inferSelect
export type Session = typeof sessions.$inferSelect

// Rate-limit counters (login and registration attempts) shared by every node of a cluster: one fixed window per
// key. A single node keeps them in memory instead (src/server/auth/throttle.ts).
export const attempts = sqliteTable(
  'attempts',
  {
    key: text('key').primaryKey(),
    count: integer('count').notNull(),
    resetAt: integer('reset_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [index('attempts_reset').on(table.resetAt)],
)
