import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { users } from './users'
import { files, folders } from './vault'

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

// A file or folder shared read-only with another registered user (exactly one of file_id, folder_id is set). What
// is inside a shared folder is shared with it. Deleting the file, the folder or either user ends the grant.
export const grants = sqliteTable(
  'grants',
  {
    id: text('id').primaryKey(),
    ownerId: integer('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    recipientId: integer('recipient_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    fileId: text('file_id').references(() => files.id, { onDelete: 'cascade' }),
    folderId: text('folder_id').references(() => folders.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [
    uniqueIndex('grants_recipient_file').on(table.recipientId, table.fileId),
    uniqueIndex('grants_recipient_folder').on(table.recipientId, table.folderId),
    index('grants_owner').on(table.ownerId),
    index('grants_file').on(table.fileId),
    index('grants_folder').on(table.folderId),
  ],
)

export type GrantRow = typeof grants.$inferSelect

// A file drop: a link through which anyone may upload into one folder of the owner's vault, up to `max_bytes` in
// all (reserved as each upload is created) and the owner's quota, until it expires or the owner closes it. Only the
// SHA-256 of its token is stored. Deleting the folder ends the drop.
export const drops = sqliteTable(
  'drops',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull(),
    ownerId: integer('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    folderId: text('folder_id')
      .notNull()
      .references(() => folders.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    maxBytes: integer('max_bytes').notNull(),
    bytesUsed: integer('bytes_used').notNull().default(0),
    closedAt: integer('closed_at', { mode: 'timestamp_ms' }),
  },
  (table) => [uniqueIndex('drops_token').on(table.tokenHash), index('drops_owner').on(table.ownerId), index('drops_folder').on(table.folderId)],
)

export type DropRow = typeof drops.$inferSelect
