// Private conversations: two to MAX_CONVERSATION_MEMBERS people, fixed when the conversation starts. Its chat is the
// room `dm:<id>`. The store answers the only questions anyone may ask of a conversation: "which are mine" and "am I
// in this one"; a conversation someone is not in does not exist for them.
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm'
import type { Database } from './database'
import { isUniqueViolation } from './errors'

/** Conversations one person may start (they take part in any number others start). */
export const MAX_CONVERSATIONS_STARTED = 200
/** Most conversations one listing returns (newest activity first). */
export const CONVERSATION_LIST_LIMIT = 200

export const conversationRoom = (id: number) => `dm:${id}`
export const conversationIdOf = (room: string): number | undefined => {
  const match = /^dm:([1-9][0-9]{0,11})$/.exec(room)
  return match ? Number(match[1]) : undefined
}

export interface ConversationView {
  id: number
  room: string
  members: Array<{ id: number; username: string }>
  /** The newest message's id and time, when there is one. */
  lastMessageId?: number
  lastMessageAt?: number
}

export class ConversationStore {
  constructor(private readonly database: Database) {}

  /**
   * The conversation of exactly these people (the starter included), found or started. Everyone in it starts with
   * nothing read, so its first messages count as unread for them. 'too_many' when the starter has started their
   * limit.
   */
  async open(starterId: number, memberIds: number[], now: Date): Promise<{ id: number; created: boolean } | 'too_many'> {
    const { conversations, conversationMembers, readState } = this.database.tables
    const ids = [...new Set([starterId, ...memberIds])].sort((a, b) => a - b)
    const key = ids.join(',')
    const existing = await this.byKey(key)
    if (existing !== undefined) return { id: existing, created: false }
    const [started] = await this.database.db
      .select({ n: sql<number>`count(*)`.mapWith(Number) })
      .from(conversations)
      .where(eq(conversations.createdBy, starterId))
    if (started!.n >= MAX_CONVERSATIONS_STARTED) return 'too_many'
    try {
      const id = await this.database.db.transaction(async (tx) => {
        const [row] = await tx.insert(conversations).values({ key, createdBy: starterId, createdAt: now }).returning({ id: conversations.id })
        await tx.insert(conversationMembers).values(ids.map((userId) => ({ conversationId: row!.id, userId })))
        await tx.insert(readState).values(ids.map((userId) => ({ userId, room: conversationRoom(row!.id), lastReadId: 0, updatedAt: now })))
        return row!.id
      })
      return { id, created: true }
    } catch (error) {
      // Two people starting the same conversation at once: one row wins, both get it.
      if (!isUniqueViolation(error)) throw error
      const raced = await this.byKey(key)
      if (raced === undefined) throw error
      return { id: raced, created: false }
    }
  }

  private async byKey(key: string): Promise<number | undefined> {
    const { conversations } = this.database.tables
    const [row] = await this.database.db.select({ id: conversations.id }).from(conversations).where(eq(conversations.key, key)).limit(1)
    return row?.id
  }

  /** Who is in a conversation; empty when it does not exist. */
  async members(id: number): Promise<Array<{ id: number; username: string }>> {
    const { conversationMembers, users } = this.database.tables
    return this.database.db
      .select({ id: users.id, username: users.username })
      .from(conversationMembers)
      .innerJoin(users, eq(users.id, conversationMembers.userId))
      .where(eq(conversationMembers.conversationId, id))
      .orderBy(asc(users.username))
  }

  async isMember(id: number, userId: number): Promise<boolean> {
    const { conversationMembers } = this.database.tables
    const [row] = await this.database.db
      .select({ id: conversationMembers.conversationId })
      .from(conversationMembers)
      .where(and(eq(conversationMembers.conversationId, id), eq(conversationMembers.userId, userId)))
      .limit(1)
    return !!row
  }

  /** The chat rooms of a person's conversations. */
  async roomsOf(userId: number): Promise<string[]> {
    const { conversationMembers } = this.database.tables
    const rows = await this.database.db
      .select({ id: conversationMembers.conversationId })
      .from(conversationMembers)
      .where(eq(conversationMembers.userId, userId))
      .limit(CONVERSATION_LIST_LIMIT * 5)
    return rows.map((r) => conversationRoom(r.id))
  }

  /** A person's conversations with who is in them, the most recently active first; with `only`, that one alone
   * (if it is theirs). */
  async list(userId: number, only?: number): Promise<ConversationView[]> {
    const { conversations, conversationMembers, messages, users } = this.database.tables
    const room = sql`${sql.raw("'dm:'")} || ${conversations.id}`
    const rows = await this.database.db
      .select({
        id: conversations.id,
        createdAt: conversations.createdAt,
        lastMessageId: sql<number | null>`(select max(${messages.id}) from ${messages} where ${messages.room} = ${room})`.mapWith((v) => (v === null ? null : Number(v))),
      })
      .from(conversations)
      .innerJoin(conversationMembers, and(eq(conversationMembers.conversationId, conversations.id), eq(conversationMembers.userId, userId)))
      .where(only === undefined ? undefined : eq(conversations.id, only))
      .orderBy(desc(conversations.id))
      .limit(CONVERSATION_LIST_LIMIT * 5)
    if (rows.length === 0) return []
    const ids = rows.map((r) => r.id)
    const people = await this.database.db
      .select({ conversationId: conversationMembers.conversationId, id: users.id, username: users.username })
      .from(conversationMembers)
      .innerJoin(users, eq(users.id, conversationMembers.userId))
      .where(inArray(conversationMembers.conversationId, ids))
      .orderBy(asc(users.username))
    const lastIds = rows.flatMap((r) => (r.lastMessageId ? [r.lastMessageId] : []))
    const times = new Map<number, number>()
    if (lastIds.length > 0) {
      const last = await this.database.db.select({ id: messages.id, at: messages.createdAt }).from(messages).where(inArray(messages.id, lastIds))
      for (const row of last) times.set(row.id, row.at.getTime())
    }
    return rows
      .map((r) => {
        const view: ConversationView = {
          id: r.id,
          room: conversationRoom(r.id),
          members: people.filter((p) => p.conversationId === r.id).map(({ id, username }) => ({ id, username })),
        }
        if (r.lastMessageId) {
          view.lastMessageId = r.lastMessageId
          view.lastMessageAt = times.get(r.lastMessageId)
        }
        return { view, activity: r.lastMessageId ? (times.get(r.lastMessageId) ?? 0) : r.createdAt.getTime() }
      })
      .sort((a, b) => b.activity - a.activity)
      .slice(0, CONVERSATION_LIST_LIMIT)
      .map((r) => r.view)
  }
}
