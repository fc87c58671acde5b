// Chat messages and their reactions, for every room. Writes come in batches (one transaction per flush); reads are
// pages by id, which is the only order the chat knows.
import { and, asc, desc, eq, gt, gte, inArray, lt, lte, ne, sql } from 'drizzle-orm'
import type { Database } from './database'

export interface NewMessage {
  room: string
  authorId: number
  text: string
  createdAt: Date
  clientId: string
  /** The share of an attached vault file (checked to be the author's own before it gets here). */
  shareId?: string
}

/** A vault file attached to a message, as the room sees it: `live` false once the share is revoked or expired, or
 * the file deleted (the attachment shows as gone). */
export interface Attachment {
  shareId: string
  name: string
  size: number
  contentType: string
  live: boolean
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
  /** Removed by its author or a moderator: its text is gone, its place stays. */
  removed: boolean
  attachment?: Attachment
}

export interface ReactionCount {
  emoji: string
  count: number
  userIds: number[]
}

/** Inserts of one room are serialised under this advisory lock (with the room's hash as the second key). */
const ROOM_LOCK = 0x4348_4154 // "CHAT"

export class MessageStore {
  private readonly insertBatch: (batch: NewMessage[]) => Promise<Inserted[]>

  constructor(private readonly database: Database) {
    this.insertBatch = database.sqlite ? this.sqliteWriter(database) : (batch) => this.postgresInsert(batch)
  }

  /**
   * The chat's write path on SQLite runs for every message, so it uses bun:sqlite's prepared statements directly:
   * Drizzle's query layer costs more than the insert itself here (see BENCHMARKS.md, chat fan-out). SQLite has one
   * writer at a time, so ids commit in the order they are handed out.
   */
  private sqliteWriter(database: Database): (batch: NewMessage[]) => Promise<Inserted[]> {
    const sqlite = database.sqlite!
    const insertMessage = sqlite.prepare<unknown, [string, number, string, number, string, string | null]>(
      'insert into messages (room, author_id, text, created_at, client_id, share_id) values (?, ?, ?, ?, ?, ?) on conflict do nothing',
    )
    const findByClientId = sqlite.prepare<{ id: number; created_at: number }, [number, string]>(
      'select id, created_at from messages where author_id = ? and client_id = ?',
    )
    const insertAll = sqlite.transaction((batch: NewMessage[]): Inserted[] =>
      batch.map((m) => {
        const result = insertMessage.run(m.room, m.authorId, m.text, m.createdAt.getTime(), m.clientId, m.shareId ?? null)
        if (result.changes === 1) return { id: Number(result.lastInsertRowid), createdAt: m.createdAt, duplicate: false }
        const existing = findByClientId.get(m.authorId, m.clientId)!
        return { id: existing.id, createdAt: new Date(existing.created_at), duplicate: true }
      }),
    )
    return async (batch) => insertAll(batch)
  }

  /**
   * On PostgreSQL ids come from a sequence shared by every connection and node, and transactions commit in any
   * order: a message could get id 10, another id 11, and 11 commit first; a client catching up "after 9" in that
   * instant would read 11, move its cursor past 10 and never see it. So a room's inserts take a transaction-scoped
   * advisory lock on the room first: the next insert of the room waits until the previous one has committed, and
   * within a room ids become visible in order. Rooms do not wait for each other.
   *
   * The lock and the insert are one statement (its own transaction), so a batch costs one round trip: the chat's
   * write path is latency-bound on PostgreSQL, and every round trip is time the room's actor waits.
   */
  private async postgresInsert(batch: NewMessage[]): Promise<Inserted[]> {
    const client = this.database.postgres!
    const rows = JSON.stringify(
      batch.map((m, i) => ({ i, room: m.room, author_id: m.authorId, text: m.text, created_at: m.createdAt.toISOString(), client_id: m.clientId, share_id: m.shareId ?? null })),
    )
    const inserted: Array<{ id: string | number; author_id: number; client_id: string }> = await client`
      with batch as materialized (
        select * from json_to_recordset((${rows}::text)::json)
          as b(i int, room text, author_id int, text text, created_at timestamptz, client_id text, share_id text)
      ), locked as materialized (
        select count(pg_advisory_xact_lock(${ROOM_LOCK}, hashtext(room))) as rooms
        from (select distinct room from batch order by room) as rooms
      )
      insert into messages (room, author_id, text, created_at, client_id, share_id)
      select batch.room, batch.author_id, batch.text, batch.created_at, batch.client_id, batch.share_id
      from locked, batch
      order by batch.i
      on conflict do nothing
      returning id, author_id, client_id`
    const byClient = new Map(inserted.map((row) => [`${row.author_id}:${row.client_id}`, row]))
    const missing = batch.filter((m) => !byClient.has(`${m.authorId}:${m.clientId}`))
    const earlier = new Map<string, { id: number; createdAt: Date }>()
    if (missing.length > 0) {
      // Resends of messages stored before (a lost acknowledgement): the rows they already have.
      const { messages } = this.database.tables
      const rows = await this.database.db
        .select({ id: messages.id, authorId: messages.authorId, clientId: messages.clientId, createdAt: messages.createdAt })
        .from(messages)
        .where(sql`(${messages.authorId}, ${messages.clientId}) in (${sql.join(missing.map((m) => sql`(${m.authorId}, ${m.clientId})`), sql`, `)})`)
      for (const row of rows) earlier.set(`${row.authorId}:${row.clientId}`, row)
    }
    // The first of a batch's rows with one client id is the new one; a repeat of it in the same batch (or of an
    // earlier batch) is a duplicate.
    // A new row is stored as given, so its time is that of the batch's first message with its client id.
    const claimed = new Map<string, Date>()
    return batch.map((m) => {
      const key = `${m.authorId}:${m.clientId}`
      const fresh = byClient.get(key)
      if (fresh && !claimed.has(key)) {
        claimed.set(key, m.createdAt)
        return { id: Number(fresh.id), createdAt: m.createdAt, duplicate: false }
      }
      const existing = fresh ? { id: Number(fresh.id), createdAt: claimed.get(key)! } : earlier.get(key)!
      return { id: existing.id, createdAt: existing.createdAt, duplicate: true }
    })
  }

  /** Stores the batch in one transaction, all or nothing, and says where each message landed, in batch order. */
  insertMany(batch: NewMessage[]): Promise<Inserted[]> {
    return this.insertBatch(batch)
  }

  private selectMessages() {
    const { messages, users, shares, files } = this.database.tables
    return this.database.db
      .select({
        id: messages.id,
        room: messages.room,
        authorId: messages.authorId,
        authorName: users.username,
        text: messages.text,
        createdAt: messages.createdAt,
        removed: sql<boolean>`${messages.removedAt} is not null`.mapWith(Boolean),
        shareId: messages.shareId,
        share: { fileName: shares.fileName, revokedAt: shares.revokedAt, expiresAt: shares.expiresAt },
        file: { name: files.name, size: files.size, contentType: files.contentType },
      })
      .from(messages)
      .innerJoin(users, eq(users.id, messages.authorId))
      .leftJoin(shares, eq(shares.id, messages.shareId))
      .leftJoin(files, eq(files.id, shares.fileId))
  }

  /** A row of selectMessages() as the room sees it, its attachment resolved. */
  private stored(row: Awaited<ReturnType<ReturnType<MessageStore['selectMessages']>['limit']>>[number], now = Date.now()): StoredMessage {
    const { shareId, share, file, ...message } = row
    if (!shareId || message.removed) return message
    const live = !!share?.expiresAt && !share.revokedAt && share.expiresAt.getTime() > now && !!file?.name
    return {
      ...message,
      attachment: {
        shareId,
        name: file?.name ?? share?.fileName ?? 'a file',
        size: live ? file!.size! : 0,
        contentType: live ? file!.contentType! : 'application/octet-stream',
        live,
      },
    }
  }

  /**
   * Removes a message of `room`: its text and reactions go, its row stays (history shows where it was). With
   * `onlyBy`, only a message written by that user. Returns its author, or undefined when there is no such message
   * (in that room, by that author, not already removed).
   */
  async remove(room: string, messageId: number, by: number, now: Date, onlyBy?: number): Promise<{ authorId: number } | undefined> {
    const { db, tables } = this.database
    const { messages, reactions } = tables
    const [row] = await db
      .update(messages)
      .set({ text: '', shareId: null, removedAt: now, removedBy: by })
      .where(
        and(
          eq(messages.id, messageId),
          eq(messages.room, room),
          sql`${messages.removedAt} is null`,
          onlyBy === undefined ? undefined : eq(messages.authorId, onlyBy),
        ),
      )
      .returning({ authorId: messages.authorId })
    if (row) await db.delete(reactions).where(eq(reactions.messageId, messageId))
    return row
  }

  /** Who wrote a message of `room`, and whether it is already removed; undefined when there is none. */
  async authorOf(room: string, messageId: number): Promise<{ authorId: number; authorName: string; removed: boolean } | undefined> {
    const { messages, users } = this.database.tables
    const [row] = await this.database.db
      .select({ authorId: messages.authorId, authorName: users.username, removed: sql<boolean>`${messages.removedAt} is not null`.mapWith(Boolean) })
      .from(messages)
      .innerJoin(users, eq(users.id, messages.authorId))
      .where(and(eq(messages.id, messageId), eq(messages.room, room)))
      .limit(1)
    return row
  }

  /** The newest `limit` messages before `beforeId` (or the newest of all), oldest first. */
  async before(room: string, beforeId: number | undefined, limit: number): Promise<StoredMessage[]> {
    const { messages } = this.database.tables
    const rows = await this.selectMessages()
      .where(beforeId === undefined ? eq(messages.room, room) : and(eq(messages.room, room), lt(messages.id, beforeId)))
      .orderBy(desc(messages.id))
      .limit(limit)
    const now = Date.now()
    return rows.reverse().map((row) => this.stored(row, now))
  }

  /** The oldest `limit` messages after `afterId`, oldest first: what a reconnecting client missed. */
  async after(room: string, afterId: number, limit: number): Promise<StoredMessage[]> {
    const { messages } = this.database.tables
    const rows = await this.selectMessages()
      .where(and(eq(messages.room, room), gt(messages.id, afterId)))
      .orderBy(asc(messages.id))
      .limit(limit)
    const now = Date.now()
    return rows.map((row) => this.stored(row, now))
  }

  /** Whether a share is attached to a message that is still there (so a chat member may open it). */
  async hasAttachment(shareId: string): Promise<boolean> {
    const { messages } = this.database.tables
    const [row] = await this.database.db
      .select({ id: messages.id })
      .from(messages)
      .where(and(eq(messages.shareId, shareId), sql`${messages.removedAt} is null`))
      .limit(1)
    return !!row
  }

  async roomOf(messageId: number): Promise<string | undefined> {
    const { messages } = this.database.tables
    const [row] = await this.database.db.select({ room: messages.room }).from(messages).where(eq(messages.id, messageId)).limit(1)
    return row?.room
  }

  async reactionsFor(messageIds: number[]): Promise<Map<number, ReactionCount[]>> {
    const { reactions } = this.database.tables
    const result = new Map<number, ReactionCount[]>()
    if (messageIds.length === 0) return result
    const rows = await this.database.db
      .select({ messageId: reactions.messageId, emoji: reactions.emoji, userId: reactions.userId })
      .from(reactions)
      .where(inArray(reactions.messageId, messageIds))
      .orderBy(asc(reactions.createdAt), asc(reactions.userId))
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
  async setReaction(messageId: number, userId: number, emoji: string, on: boolean, now: Date): Promise<boolean> {
    const { db, tables } = this.database
    const { reactions } = tables
    if (on) {
      const added = await db
        .insert(reactions)
        .values({ messageId, userId, emoji, createdAt: now })
        .onConflictDoNothing()
        .returning({ messageId: reactions.messageId })
      return added.length > 0
    }
    const removed = await db
      .delete(reactions)
      .where(and(eq(reactions.messageId, messageId), eq(reactions.userId, userId), eq(reactions.emoji, emoji)))
      .returning({ messageId: reactions.messageId })
    return removed.length > 0
  }

  /** Deletes up to `limit` messages older than the cutoff (their reactions cascade); returns how many went. */
  async deleteOlderThan(cutoff: Date, limit: number): Promise<number> {
    const { messages } = this.database.tables
    const boundary = await this.firstIdNotOlderThan(cutoff)
    const removed = await this.database.db
      .delete(messages)
      .where(
        inArray(
          messages.id,
          this.database.db.select({ id: messages.id }).from(messages).where(lt(messages.id, boundary)).orderBy(asc(messages.id)).limit(limit),
        ),
      )
      .returning({ id: messages.id })
    return removed.length
  }

  /** The smallest id whose message is not older than the cutoff: every message below it is. Ids grow with
   * server time, so a binary search over ids (a primary-key probe per step) finds it without a time index. */
  private async firstIdNotOlderThan(cutoff: Date): Promise<number> {
    const { db, tables } = this.database
    const { messages } = tables
    const [bounds] = await db.select({ lo: sql<number | null>`min(${messages.id})`.mapWith(Number), hi: sql<number | null>`max(${messages.id})`.mapWith(Number) }).from(messages)
    if (!bounds?.lo || !bounds.hi) return 0
    let lo = bounds.lo
    let hi = bounds.hi + 1
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2)
      const [row] = await db.select({ id: messages.id, createdAt: messages.createdAt }).from(messages).where(gte(messages.id, mid)).orderBy(asc(messages.id)).limit(1)
      if (row && row.createdAt < cutoff) lo = row.id + 1
      else hi = mid
    }
    return lo
  }

  /** Deletes up to `limit` of the oldest messages of a room beyond its newest `keep`; returns how many went. */
  async trimRoom(room: string, keep: number, limit: number): Promise<number> {
    const { db, tables } = this.database
    const { messages } = tables
    const [boundary] = await db.select({ id: messages.id }).from(messages).where(eq(messages.room, room)).orderBy(desc(messages.id)).limit(1).offset(keep)
    if (!boundary) return 0
    const removed = await db
      .delete(messages)
      .where(
        inArray(
          messages.id,
          db
            .select({ id: messages.id })
            .from(messages)
            .where(and(eq(messages.room, room), lte(messages.id, boundary.id)))
            .orderBy(asc(messages.id))
            .limit(limit),
        ),
      )
      .returning({ id: messages.id })
    return removed.length
  }

  /** Deletes every message of a room (their reactions cascade); returns how many went. */
  async deleteRoom(room: string): Promise<number> {
    const { messages } = this.database.tables
    return (await this.database.db.delete(messages).where(eq(messages.room, room)).returning({ id: messages.id })).length
  }

  /** Deletes the messages of every room but `keep`; returns how many went. */
  async deleteAllRoomsBut(keep: string): Promise<number> {
    const { messages } = this.database.tables
    return (await this.database.db.delete(messages).where(ne(messages.room, keep)).returning({ id: messages.id })).length
  }

  async rooms(): Promise<string[]> {
    const { messages } = this.database.tables
    const rows = await this.database.db.selectDistinct({ room: messages.room }).from(messages)
    return rows.map((row) => row.room)
  }

  async count(room: string): Promise<number> {
    const { messages } = this.database.tables
    const [row] = await this.database.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(messages).where(eq(messages.room, room))
    return row?.n ?? 0
  }
}
