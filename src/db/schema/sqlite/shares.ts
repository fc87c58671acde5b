import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { users } from './users'
import { files } from './vault'

// A link to one vault file that anyone holding it may open. Only the SHA-256 of the link's token is stored, so the
// database alone gives nobody a working link. A deleted file leaves its shares behind (file_id null, the name kept)
// so their links say the file is gone instead of "no such link".
export const shares = sqliteTable(
  'shares',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull(),
    ownerId: integer('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    fileId: text('file_id').references(() => files.id, { onDelete: 'set null' }),
    fileName: text('file_name').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    maxDownloads: integer('max_downloads'),
    downloads: integer('downloads').notNull().default(0),
    passwordHash: text('password_hash'),
    revokedAt: integer('revoked_at', { mode: 'timestamp_ms' }),
  },
  (table) => [uniqueIndex('shares_token').on(table.tokenHash), index('shares_owner').on(table.ownerId), index('shares_file').on(table.fileId)],
)

export type ShareRow = typeof shares.$inferSelect
