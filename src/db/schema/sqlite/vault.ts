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

// An upload in progress (tus): what it will become, how far it got, and what it takes to resume it on any node
// after a restart. Local disk keeps the bytes in numbered segment files; S3 keeps them in the parts of one
// multipart upload plus a tail object below the 5 MiB part minimum, with the SHA-256 state covering exactly them.
// A node writing to it holds a short lease, so a second writer (another node) is refused with 423.
export const uploads = sqliteTable(
  'uploads',
  {
    id: text('id').primaryKey(),
    ownerId: integer('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    contentType: text('content_type').notNull(),
    size: integer('size').notNull(),
    received: integer('received').notNull(),
    storageKey: text('storage_key').notNull(),
    segments: integer('segments').notNull(),
    multipartId: text('multipart_id'),
    /** JSON: [{ n, etag, size }] of the multipart upload's parts, in order. */
    parts: text('parts').notNull(),
    tailSize: integer('tail_size').notNull(),
    leaseOwner: text('lease_owner'),
    leaseUntil: integer('lease_until', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    touchedAt: integer('touched_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [
    index('uploads_owner').on(table.ownerId),
    index('uploads_touched').on(table.touchedAt),
    uniqueIndex('uploads_storage_key').on(table.storageKey),
  ],
)

export type UploadRow = typeof uploads.$inferSelect
