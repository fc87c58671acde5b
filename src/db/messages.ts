// Chat messages and their reactions, for every room. Writes come in batches (one transaction per flush); reads are
// pages by id, which is the only order the chat knows.
import { and, asc, desc, eq, gt, inArray, lt, ne, sql } from 'drizzle-orm'
import type { Db } from './database'
import { messages, reactions, users } from './schema'

export interface NewMessage {
  room: string
  authorId: number
  text: string
  createdAt: Date
  clientId: string
}

/** Where a message of a batch ended up; `duplicate` when the author had already sent it under that client id. */
export interface Inserted {
  id: number
  createdAt: Date
  duplicate: boolean
}

export interface StoredMessage {
  id: number
  room: string
  authorId: number
  authorName: string
  text: string
  createdAt: Date
}

export interface ReactionCount {
  emoji: string
  count: number
  userIds: number[]
}

const messageColumns = {
  id: messages.id,
  room: messages.room,
  authorId: messages.authorId,
  authorName: users.username,
  text: messages.text,
  createdAt: messages.createdAt,
}

export class MessageStore {
  private readonly insertMessage
  private readonly findByClientId
  private readonly insertBatch

  constructor(private readonly db: Db) {
    // The chat's write path runs for every message, so it uses bun:sqlite's prepared statements directly: Drizzle's
    // query layer costs more than the insert itself here (see BENCHMARKS.md, chat fan-out).
    const sqlite = db.$client
    this.insertMessage = sqlite.prepare<unknown, [string, number, string, number, string]>(
      'insert into messages (room, author_id, text, created_at, client_id) values (?, ?, ?, ?, ?) on conflict do nothing',
    )
    this.findByClientId = sqlite.prepare<{ id: number; created_at: number }, [number, string]>(
      'select id, created_at from messages where author_id = ? and client_id = ?',
    )
    this.insertBatch = sqlite.transaction((batch: NewMessage[]): Inserted[] =>
      batch.map((m) => {
        const result = this.insertMessage.run(m.room, m.authorId, m.text, m.createdAt.getTime(), m.clientId)
        if (result.changes === 1) return { id: Number(result.lastInsertRowid), createdAt: m.createdAt, duplicate: false }
        const existing = this.findByClientId.get(m.authorId, m.clientId)!
        return { id: existing.id, createdAt: new Date(existing.created_at), duplicate: true }
      }),
    )
  }

  /** Stores the batch in one transaction, all or nothing, and says where each message landed, in batch order. */
  insertMany(batch: NewMessage[]): Inserted[] {
    return this.insertBatch(batch)
  }

  /** The newest `limit` messages before `beforeId` (or the newest of all), oldest first. */
  before(room: string, beforeId: number | undefined, limit: number): StoredMessage[] {
    return this.db
      .select(messageColumns)
      .from(messages)
      .innerJoin(users, eq(users.id, messages.authorId))
      .where(beforeId === undefined ? eq(messages.room, room) : and(eq(messages.room, room), lt(messages.id, beforeId)))
      .orderBy(desc(messages.id))
      .limit(limit)
      .all()
      .reverse()
  }

  /** The oldest `limit` messages after `afterId`, oldest first: what a reconnecting client missed. */
  after(room: string, afterId: number, limit: number): StoredMessage[] {
    return this.db
      .select(messageColumns)
      .from(messages)
      .innerJoin(users, eq(users.id, messages.authorId))
      .where(and(eq(messages.room, room), gt(messages.id, afterId)))
      .orderBy(asc(messages.id))
      .limit(limit)
      .all()
  }

  roomOf(messageId: number): string | undefined {
    return this.db.select({ room: messages.room }).from(messages).where(eq(messages.id, messageId)).get()?.room
  }

  reactionsFor(messageIds: number[]): Map<number, ReactionCount[]> {
    const result = new Map<number, ReactionCount[]>()
    if (messageIds.length === 0) return result
    const rows = this.db
      .select({ messageId: reactions.messageId, emoji: reactions.emoji, userId: reactions.userId })
      .from(reactions)
      .where(inArray(reactions.messageId, messageIds))
      .orderBy(asc(reactions.createdAt), sql`rowid`)
      .all()
    for (const row of rows) {
      const list = result.get(row.messageId) ?? []
      let entry = list.find((r) => r.emoji === row.emoji)
      if (!entry) list.push((entry = { emoji: row.emoji, count: 0, userIds: [] }))
      entry.count++
      entry.userIds.push(row.userId)
      result.set(row.messageId, list)
    }
    return result
  }

  /** Adds or removes one user's emoji on a message; false when nothing changed. */
  setReaction(messageId: number, userId: number, emoji: string, on: boolean, now: Date): boolean {
    if (on) {
      return (
        this.db
          .insert(reactions)
          .values({ messageId, userId, emoji, createdAt: now })
          .onConflictDoNothing()
          .returning({ messageId: reactions.messageId })
          .all().length > 0
      )
    }
    return (
      this.db
        .delete(reactions)
        .where(and(eq(reactions.messageId, messageId), eq(reactions.userId, userId), eq(reactions.emoji, emoji)))
        .returning({ messageId: reactions.messageId })
        .all().length > 0
    )
  }

  /** Deletes up to `limit` messages older than the cutoff (their reactions cascade); returns how many went. */
  deleteOlderThan(cutoff: Date, limit: number): number {
    const boundary = this.firstIdNotOlderThan(cutoff.getTime())
    return this.db
      .delete(messages)
      .where(
        inArray(
          messages.id,
          this.db.select({ id: messages.id }).from(messages).where(lt(messages.id, boundary)).orderBy(asc(messages.id)).limit(limit),
        ),
      )
      .returning({ id: messages.id })
      .all().length
  }

  /** The smallest id whose message is not older than the cutoff: every message below it is. Ids grow with
   * server time, so a binary search over ids (a primary-key probe per step) finds it without a time index. */
  private firstIdNotOlderThan(cutoffMs: number): number {
    const sqlite = this.db.$client
    const bounds = sqlite.query<{ lo: number | null; hi: number | null }, []>('select min(id) as lo, max(id) as hi from messages').get()
    if (!bounds?.lo || !bounds.hi) return 0
    const next = sqlite.query<{ id: number; created_at: number }, [number]>(
      'select id, created_at from messages where id >= ? order by id limit 1',
    )
    let lo = bounds.lo
    let hi = bounds.hi + 1
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2)
      const row = next.get(mid)
      if (row && row.created_at < cutoffMs) lo = row.id + 1
      else hi = mid
    }
    return lo
  }

  /** Deletes up to `limit` of the oldest messages of a room beyond its newest `keep`; returns how many went. */
  trimRoom(room: string, keep: number, limit: number): number {
    const boundary = this.db
      .select({ id: messages.id })
      .from(messages)
      .where(eq(messages.room, room))
      .orderBy(desc(messages.id))
      .limit(1)
      .offset(keep)
      .get()
    if (!boundary) return 0
    return this.db
      .delete(messages)
      .where(
        inArray(
          messages.id,
          this.db
            .select({ id: messages.id })
            .from(messages)
            .where(and(eq(messages.room, room), sql`${messages.id} <= ${boundary.id}`))
            .orderBy(asc(messages.id))
            .limit(limit),
        ),
      )
      .returning({ id: messages.id })
      .all().length
  }

  /** Deletes every message of a room (their reactions cascade); returns how many went. */
  deleteRoom(room: string): number {
    return this.db.delete(messages).where(eq(messages.room, room)).returning({ id: messages.id }).all().length
  }

  /** Deletes the messages of every room but `keep`; returns how many went. */
  deleteAllRoomsBut(keep: string): number {
    return this.db.delete(messages).where(ne(messages.room, keep)).returning({ id: messages.id }).all().length
  }

  rooms(): string[] {
    return this.db
      .selectDistinct({ room: messages.room })
      .from(messages)
      .all()
      .map((row) => row.room)
  }

  count(room: string): number {
    return this.db.select({ n: sql<number>`count(*)` }).from(messages).where(eq(messages.room, room)).get()?.n ?? 0
  }
}
