import { sql } from 'drizzle-orm'
import { bigint, index, integer, pgTable, text, uniqueIndex, type AnyPgColumn } from 'drizzle-orm/pg-core'
import { at, users } from './users'

// The PostgreSQL twin of the folders table in ../sqlite/vault.ts.
export const folders = pgTable(
  'folders',
  {
    id: text('id').primaryKey(),
    ownerId: integer('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    parentId: text('parent_id').references((): AnyPgColumn => folders.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull(),
  },
  (table) => [
    uniqueIndex('folders_owner_parent_name').on(table.ownerId, sql`coalesce(${table.parentId}, '')`, table.name),
    index('folders_parent').on(table.parentId),
  ],
)

// The PostgreSQL twin of ../sqlite/vault.ts.
export const files = pgTable(
  'files',
  {
    id: text('id').primaryKey(),
    ownerId: integer('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    folderId: text('folder_id').references(() => folders.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    contentType: text('content_type').notNull(),
    sha256: text('sha256').notNull(),
    storageKey: text('storage_key').notNull(),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull(),
  },
  (table) => [
    uniqueIndex('files_owner_folder_name').on(table.ownerId, sql`coalesce(${table.folderId}, '')`, table.name),
    index('files_folder').on(table.folderId),
    index('files_owner_created').on(table.ownerId, table.createdAt),
    uniqueIndex('files_storage_key').on(table.storageKey),
  ],
)

// The PostgreSQL twin of the uploads table in ../sqlite/vault.ts.
export const uploads = pgTable(
  'uploads',
  {
    id: text('id').primaryKey(),
    ownerId: integer('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    folderId: text('folder_id').references(() => folders.id, { onDelete: 'set null' }),
    dropId: text('drop_id'),
    uploader: text('uploader'),
    contentType: text('content_type').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    received: bigint('received', { mode: 'number' }).notNull(),
    storageKey: text('storage_key').notNull(),
    segments: integer('segments').notNull(),
    multipartId: text('multipart_id'),
    parts: text('parts').notNull(),
    tailSize: integer('tail_size').notNull(),
    leaseOwner: text('lease_owner'),
    leaseUntil: at('lease_until'),
    createdAt: at('created_at').notNull(),
    touchedAt: at('touched_at').notNull(),
  },
  (table) => [
    index('uploads_owner').on(table.ownerId),
    index('uploads_touched').on(table.touchedAt),
    uniqueIndex('uploads_storage_key').on(table.storageKey),
  ],
)

// The PostgreSQL twin of the thumbnails table in ../sqlite/vault.ts.
export const thumbnails = pgTable('thumbnails', {
  fileId: text('file_id')
    .primaryKey()
    .references(() => files.id, { onDelete: 'cascade' }),
  contentType: text('content_type').notNull(),
  data: text('data').notNull(),
  createdAt: at('created_at').notNull(),
})
