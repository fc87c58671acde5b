import { sql } from 'drizzle-orm'
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { users } from './users'

// One table for every room's chat; the id is global and only grows, which is what catch-up cursors rely on.
export const messages = sqliteTable(
  'messages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    room: text('room').notNull(),
    authorId: integer('author_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    text: text('text').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    // The sender's own id for the message: a resend after a lost acknowledgement finds the stored row
    // instead of storing the message twice.
    clientId: text('client_id').notNull(),
    // A removed message keeps its place (its id, author and time) so history shows where it was; its text is gone.
    removedAt: integer('removed_at', { mode: 'timestamp_ms' }),
    removedBy: integer('removed_by'),
    /** A vault file attached to the message: the share (a link row of the author's) that lets the room's members
     * open it. Revoking the share, or deleting the file, shows the attachment as gone. */
    shareId: text('share_id'),
  },
  (table) => [
    // No index on created_at: ids grow with time, so retention finds its cutoff by binary search over ids, and
    // every chat insert is one index update cheaper.
    index('messages_room_id').on(table.room, table.id),
    uniqueIndex('messages_author_client').on(table.authorId, table.clientId),
    // Only rows with an attachment are in it, so a plain message costs no extra index update.
    index('messages_share').on(table.shareId).where(sql`${table.shareId} is not null`),
  ],
)

export const reactions = sqliteTable(
  'reactions',
  {
    messageId: integer('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    emoji: text('emoji').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.messageId, table.userId, table.emoji] })],
)

export type MessageRow = typeof messages.$inferSelect
