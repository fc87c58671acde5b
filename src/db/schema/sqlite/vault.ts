import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { users } from './users'

// A vault file's metadata. The bytes live in the blob store under `storage_key`, a name the server chose; the
// user's name for the file is display-only and never touches the filesystem. A row exists only for a complete,
// hashed file that is already in place.
export const files = sqliteTable(
  'files',
  {
    id: text('id').primaryKey(),
    ownerId: integer('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    size: integer('size').notNull(),
    contentType: text('content_type').notNull(),
    sha256: text('sha256').notNull(),
    storageKey: text('storage_key').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [
    uniqueIndex('files_owner_name').on(table.ownerId, table.name),
    index('files_owner_created').on(table.ownerId, table.createdAt),
    uniqueIndex('files_storage_key').on(table.storageKey),
  ],
)

export type FileRow = typeof files.$inferSelect
