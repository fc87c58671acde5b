import { bigint, index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core'
import { at, users } from './users'

// The PostgreSQL twin of ../sqlite/vault.ts.
export const files = pgTable(
  'files',
  {
    id: text('id').primaryKey(),
    ownerId: integer('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    contentType: text('content_type').notNull(),
    sha256: text('sha256').notNull(),
    storageKey: text('storage_key').notNull(),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull(),
  },
  (table) => [
    uniqueIndex('files_owner_name').on(table.ownerId, table.name),
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
