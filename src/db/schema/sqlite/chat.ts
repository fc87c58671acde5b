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
    /** The message this one answers (same room). No foreign key: retention may delete the original first, and the
     * answer then shows it as gone. */
    replyTo: integer('reply_to'),
    /** Last edit by its author. */
    editedAt: integer('edited_at', { mode: 'timestamp_ms' }),
    // The server time of the last change after the insert (edit, removal, reactions): a reconnecting client asks
    // for what changed since it last synced, besides the messages that are new.
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }),
  },
  (table) => [
    // No index on created_at: ids grow with time, so retention finds its cutoff by binary search over ids, and
    // every chat insert is one index update cheaper.
    index('messages_room_id').on(table.room, table.id),
    uniqueIndex('messages_author_client').on(table.authorId, table.clientId),
    // Only rows with an attachment are in it, so a plain message costs no extra index update.
    index('messages_share').on(table.shareId).where(sql`${table.shareId} is not null`),
    // Only changed rows: a plain insert costs no update of it.
    index('messages_room_updated').on(table.room, table.updatedAt).where(sql`${table.updatedAt} is not null`),
  ],
)
// Full-text search: an FTS5 table over (room, text) kept by triggers, written by hand in migration
// 0013_chat_features.sql (drizzle-kit does not know virtual tables). PostgreSQL's twin is a GIN index.

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

/** Who a message names with @username, resolved when it was stored (only people who may read its room). */
export const mentions = sqliteTable(
  'mentions',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    messageId: integer('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
  },
  (table) => [primaryKey({ columns: [table.userId, table.messageId] }), index('mentions_message').on(table.messageId)],
)

/** Where each person stopped reading each room: it follows them across tabs and devices. */
export const readState = sqliteTable(
  'read_state',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    room: text('room').notNull(),
    lastReadId: integer('last_read_id').notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.room] })],
)

/** A private conversation of 2 to 8 people; its chat is the room `dm:<id>`. `key` (the sorted member ids) makes
 * starting one with the same people find the existing one. */
export const conversations = sqliteTable(
  'conversations',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    key: text('key').notNull(),
    createdBy: integer('created_by')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [uniqueIndex('conversations_key').on(table.key)],
)

export const conversationMembers = sqliteTable(
  'conversation_members',
  {
    conversationId: integer('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
  },
  (table) => [primaryKey({ columns: [table.conversationId, table.userId] }), index('conversation_members_user').on(table.userId)],
)
