import { sql } from 'drizzle-orm'
import { bigint, index, integer, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core'
import { at, users } from './users'

// The PostgreSQL twin of ../sqlite/chat.ts. Ids come from one sequence; catch-up by id stays gap-free because the
// inserts of one room are serialised (src/db/messages.ts), so no smaller id of a room commits after a larger one.
export const messages = pgTable(
  'messages',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    room: text('room').notNull(),
    authorId: integer('author_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    text: text('text').notNull(),
    createdAt: at('created_at').notNull(),
    clientId: text('client_id').notNull(),
    removedAt: at('removed_at'),
    removedBy: integer('removed_by'),
    shareId: text('share_id'),
    replyTo: bigint('reply_to', { mode: 'number' }),
    editedAt: at('edited_at'),
    updatedAt: at('updated_at'),
  },
  (table) => [
    index('messages_room_id').on(table.room, table.id),
    uniqueIndex('messages_author_client').on(table.authorId, table.clientId),
    index('messages_share').on(table.shareId).where(sql`${table.shareId} is not null`),
    index('messages_room_updated').on(table.room, table.updatedAt).where(sql`${table.updatedAt} is not null`),
  ],
)
// Full-text search: a GIN index on to_tsvector('simple', text), written by hand in migration 0011_chat_features.sql
// (SQLite's twin is an FTS5 table, which the schema comparison cannot see either).

export const reactions = pgTable(
  'reactions',
  {
    messageId: bigint('message_id', { mode: 'number' })
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    emoji: text('emoji').notNull(),
    createdAt: at('created_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.messageId, table.userId, table.emoji] })],
)

export const mentions = pgTable(
  'mentions',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    messageId: bigint('message_id', { mode: 'number' })
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
  },
  (table) => [primaryKey({ columns: [table.userId, table.messageId] }), index('mentions_message').on(table.messageId)],
)

export const readState = pgTable(
  'read_state',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    room: text('room').notNull(),
    lastReadId: bigint('last_read_id', { mode: 'number' }).notNull(),
    updatedAt: at('updated_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.room] })],
)

export const conversations = pgTable(
  'conversations',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    key: text('key').notNull(),
    createdBy: integer('created_by')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: at('created_at').notNull(),
  },
  (table) => [uniqueIndex('conversations_key').on(table.key)],
)

export const conversationMembers = pgTable(
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
