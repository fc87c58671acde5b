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
  },
  (table) => [
    index('messages_room_id').on(table.room, table.id),
    uniqueIndex('messages_author_client').on(table.authorId, table.clientId),
    index('messages_share').on(table.shareId).where(sql`${table.shareId} is not null`),
  ],
)

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
