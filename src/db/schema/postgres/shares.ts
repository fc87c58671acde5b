import { bigint, index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core'
import { at, users } from './users'
import { files, folders } from './vault'

// The PostgreSQL twin of ../sqlite/shares.ts.
export const shares = pgTable(
  'shares',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull(),
    ownerId: integer('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    fileId: text('file_id').references(() => files.id, { onDelete: 'set null' }),
    fileName: text('file_name').notNull(),
    createdAt: at('created_at').notNull(),
    expiresAt: at('expires_at').notNull(),
    maxDownloads: integer('max_downloads'),
    downloads: integer('downloads').notNull().default(0),
    passwordHash: text('password_hash'),
    revokedAt: at('revoked_at'),
  },
  (table) => [uniqueIndex('shares_token').on(table.tokenHash), index('shares_owner').on(table.ownerId), index('shares_file').on(table.fileId)],
)

// The PostgreSQL twin of the grants table in ../sqlite/shares.ts.
export const grants = pgTable(
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
    createdAt: at('created_at').notNull(),
  },
  (table) => [
    uniqueIndex('grants_recipient_file').on(table.recipientId, table.fileId),
    uniqueIndex('grants_recipient_folder').on(table.recipientId, table.folderId),
    index('grants_owner').on(table.ownerId),
    index('grants_file').on(table.fileId),
    index('grants_folder').on(table.folderId),
  ],
)

// The PostgreSQL twin of the drops table in ../sqlite/shares.ts.
export const drops = pgTable(
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
    createdAt: at('created_at').notNull(),
    expiresAt: at('expires_at').notNull(),
    maxBytes: bigint('max_bytes', { mode: 'number' }).notNull(),
    bytesUsed: bigint('bytes_used', { mode: 'number' }).notNull().default(0),
    closedAt: at('closed_at'),
  },
  (table) => [uniqueIndex('drops_token').on(table.tokenHash), index('drops_owner').on(table.ownerId), index('drops_folder').on(table.folderId)],
)
