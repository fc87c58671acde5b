import { sql } from 'drizzle-orm'
import { index, integer, sqliteTable, text, uniqueIndex, type AnySQLiteColumn } from 'drizzle-orm/sqlite-core'
import { users } from './users'

// A folder of one owner's vault; `parent_id` null is the vault's top level. Names are unique among siblings (the
// top level's null parent counts as one value). Deleting a folder deletes what is inside, down the tree.
export const folders = sqliteTable(
  'folders',
  {
    id: text('id').primaryKey(),
    ownerId: integer('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    parentId: text('parent_id').references((): AnySQLiteColumn => folders.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [
    uniqueIndex('folders_owner_parent_name').on(table.ownerId, sql`coalesce(${table.parentId}, '')`, table.name),
    index('folders_parent').on(table.parentId),
  ],
)

export type FolderRow = typeof folders.$inferSelect

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
    /** The folder it is in; null at the top level. */
    folderId: text('folder_id').references(() => folders.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    size: integer('size').notNull(),
    contentType: text('content_type').notNull(),
    sha256: text('sha256').notNull(),
    storageKey: text('storage_key').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [
    uniqueIndex('files_owner_folder_name').on(table.ownerId, sql`coalesce(${table.folderId}, '')`, table.name),
    index('files_folder').on(table.folderId),
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
    /** The folder the file will be put in (the top level if that folder is deleted meanwhile). */
    folderId: text('folder_id').references(() => folders.id, { onDelete: 'set null' }),
    /** Set for an upload through a file drop: which drop, and the uploader's anonymous id (a cookie of theirs). */
    dropId: text('drop_id'),
    uploader: text('uploader'),
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

// A small picture of an image file, made by its owner's browser (scaled down from the image it uploaded or opened),
// kept as base64 (at most 32 KiB of bytes), so a file list shows pictures without sending the images themselves.
export const thumbnails = sqliteTable('thumbnails', {
  fileId: text('file_id')
    .primaryKey()
    .references(() => files.id, { onDelete: 'cascade' }),
  contentType: text('content_type').notNull(),
  data: text('data').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
})
