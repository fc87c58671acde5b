// Chat messages and their reactions, for every room. Writes come in batches (one transaction per flush); reads are
// pages by id, which is the only order the chat knows.
import { and, asc, desc, eq, gt, gte, inArray, lt, lte, ne, sql } from 'drizzle-orm'
import type { Database } from './database'
import { indexPending } from './search-index'
import { GLOBAL_ROOM } from '../rooms/constants'

export interface NewMessage {
  room: string
  authorId: number
  text: string
  createdAt: Date
  clientId: string
  /** The share of an attached vault file (checked to be the author's own before it gets here). */
  shareId?: string
  /** The message it answers (checked to be of the same room before it gets here). */
  replyTo?: number
  /** Who it names with @username, resolved to people who may read the room. */
  mentions?: number[]
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
  replyTo: number | null
  editedAt: Date | null
}

/** The start of a message another answers. */
export interface Quote {
  id: number
  room: string
  author: { id: number; username: string }
  excerpt: string
  removed: boolean
}

/** What a page of messages shows besides its rows: reactions, the messages they answer, whom they mention. */
export interface MessageDetails {
  reactions: Map<number, ReactionCount[]>
  quotes: Map<number, Quote>
  mentions: Map<number, Array<{ id: number; username: string }>>
}

/** Longest quote of a message answered by another. */
export const EXCERPT_LENGTH = 140
/** The start of a text, for quotes and notifications. */
export const excerpt = (text: string) => (text.length > EXCERPT_LENGTH ? `${text.slice(0, EXCERPT_LENGTH - 1)}…` : text)

/** The words of a search query, as the full-text index sees them (letters and digits; everything else separates
 * them), so no character of the query reaches FTS5's or PostgreSQL's query syntax. */
export function searchTerms(query: string, max: number): string[] {
  const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
  return [...new Set(words.map((w) => w.slice(0, 64)))].slice(0, max)
}

/** A room name as FTS5's tokenizer splits it ("dm:12" is the phrase "dm 12"); the exact name is checked after. */
const roomPhrase = (room: string) => `"${room.replace(/[^A-Za-z0-9]+/g, ' ').trim()}"`

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
    const insertMessage = sqlite.prepare<unknown, [string, number, string, number, string, string | null, number | null]>(
      'insert into messages (room, author_id, text, created_at, client_id, share_id, reply_to) values (?, ?, ?, ?, ?, ?, ?) on conflict do nothing',
    )
    const insertMention = sqlite.prepare<unknown, [number, number]>('insert into mentions (user_id, message_id) values (?, ?) on conflict do nothing')
    const findByClientId = sqlite.prepare<{ id: number; created_at: number }, [number, string]>(
      'select id, created_at from messages where author_id = ? and client_id = ?',
    )
    const insertAll = sqlite.transaction((batch: NewMessage[]): Inserted[] =>
      batch.map((m) => {
        const result = insertMessage.run(m.room, m.authorId, m.text, m.createdAt.getTime(), m.clientId, m.shareId ?? null, m.replyTo ?? null)
        if (result.changes === 1) {
          const id = Number(result.lastInsertRowid)
          for (const userId of m.mentions ?? []) insertMention.run(userId, id)
          return { id, createdAt: m.createdAt, duplicate: false }
        }
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
      batch.map((m, i) => ({
        i,
        room: m.room,
        author_id: m.authorId,
        text: m.text,
        created_at: m.createdAt.toISOString(),
        client_id: m.clientId,
        share_id: m.shareId ?? null,
        reply_to: m.replyTo ?? null,
        mentions: m.mentions ?? [],
      })),
    )
    const inserted: Array<{ id: string | number; author_id: number; client_id: string }> = await client`
      with batch as materialized (
        select * from json_to_recordset((${rows}::text)::json)
          as b(i int, room text, author_id int, text text, created_at timestamptz, client_id text, share_id text, reply_to bigint, mentions json)
      ), locked as materialized (
        select count(pg_advisory_xact_lock(${ROOM_LOCK}, hashtext(room))) as rooms
        from (select distinct room from batch order by room) as rooms
      ), inserted as (
        insert into messages (room, author_id, text, created_at, client_id, share_id, reply_to)
        select batch.room, batch.author_id, batch.text, batch.created_at, batch.client_id, batch.share_id, batch.reply_to
        from locked, batch
        order by batch.i
        on conflict do nothing
        returning id, author_id, client_id
      ), named as (
        insert into mentions (user_id, message_id)
        select distinct named.user_id::int, inserted.id
        from inserted
        join batch on batch.author_id = inserted.author_id and batch.client_id = inserted.client_id
        cross join lateral json_array_elements_text(batch.mentions) as named(user_id)
        on conflict do nothing
      )
      select id, author_id, client_id from inserted`
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
        replyTo: messages.replyTo,
        editedAt: messages.editedAt,
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
    const { messages, reactions, mentions } = tables
    const [row] = await db
      .update(messages)
      .set({ text: '', shareId: null, removedAt: now, removedBy: by, updatedAt: now })
      .where(
        and(
          eq(messages.id, messageId),
          eq(messages.room, room),
          sql`${messages.removedAt} is null`,
          onlyBy === undefined ? undefined : eq(messages.authorId, onlyBy),
        ),
      )
      .returning({ authorId: messages.authorId })
    if (row) {
      await db.delete(reactions).where(eq(reactions.messageId, messageId))
      await db.delete(mentions).where(eq(mentions.messageId, messageId))
    }
    return row
  }

  /**
   * Replaces the text of the author's own message of `room` (not removed, written at or after `notBefore`) and whom
   * it mentions. Returns false when there is no such message.
   */
  async edit(room: string, messageId: number, authorId: number, text: string, mentions: number[], now: Date, notBefore: Date): Promise<boolean> {
    const { messages, mentions: named } = this.database.tables
    return this.database.db.transaction(async (tx) => {
      const [row] = await tx
        .update(messages)
        .set({ text, editedAt: now, updatedAt: now })
        .where(
          and(
            eq(messages.id, messageId),
            eq(messages.room, room),
            eq(messages.authorId, authorId),
            sql`${messages.removedAt} is null`,
            gte(messages.createdAt, notBefore),
          ),
        )
        .returning({ id: messages.id })
      if (!row) return false
      await tx.delete(named).where(eq(named.messageId, messageId))
      if (mentions.length > 0) await tx.insert(named).values(mentions.map((userId) => ({ userId, messageId }))).onConflictDoNothing()
      return true
    })
  }

  /** Messages of `room` up to `upTo` changed after `since` (edited, removed, reacted to), oldest change first. */
  async changedSince(room: string, upTo: number, since: Date, limit: number): Promise<StoredMessage[]> {
    const { messages } = this.database.tables
    const rows = await this.selectMessages()
      .where(and(eq(messages.room, room), gt(messages.updatedAt, since), lte(messages.id, upTo)))
      .orderBy(asc(messages.updatedAt))
      .limit(limit)
    const now = Date.now()
    return rows.map((row) => this.stored(row, now))
  }

  /** Reactions, quoted originals and mentions of a page of messages, in three small queries (mentions only for
   * messages whose text can hold one). */
  async details(rows: StoredMessage[]): Promise<MessageDetails> {
    const replyIds = [...new Set(rows.flatMap((r) => (r.replyTo === null ? [] : [r.replyTo])))]
    const [reactions, quotes, mentions] = await Promise.all([
      this.reactionsFor(rows.map((r) => r.id)),
      this.quotes(replyIds),
      this.mentionsOf(rows.filter((r) => r.text.includes('@')).map((r) => r.id)),
    ])
    return { reactions, quotes, mentions }
  }

  /** The start of each message, for the replies that quote it. */
  async quotes(ids: number[]): Promise<Map<number, Quote>> {
    const result = new Map<number, Quote>()
    if (ids.length === 0) return result
    const { messages, users } = this.database.tables
    const rows = await this.database.db
      .select({
        id: messages.id,
        room: messages.room,
        authorId: messages.authorId,
        authorName: users.username,
        text: sql<string>`substr(${messages.text}, 1, ${EXCERPT_LENGTH + 1})`,
        removed: sql<boolean>`${messages.removedAt} is not null`.mapWith(Boolean),
      })
      .from(messages)
      .innerJoin(users, eq(users.id, messages.authorId))
      .where(inArray(messages.id, ids))
    for (const row of rows) {
      result.set(row.id, { id: row.id, room: row.room, author: { id: row.authorId, username: row.authorName }, excerpt: excerpt(row.text), removed: row.removed })
    }
    return result
  }

  /** Whom each message mentions. */
  async mentionsOf(ids: number[]): Promise<Map<number, Array<{ id: number; username: string }>>> {
    const result = new Map<number, Array<{ id: number; username: string }>>()
    if (ids.length === 0) return result
    const { mentions, users } = this.database.tables
    const rows = await this.database.db
      .select({ messageId: mentions.messageId, id: users.id, username: users.username })
      .from(mentions)
      .innerJoin(users, eq(users.id, mentions.userId))
      .where(inArray(mentions.messageId, ids))
      .orderBy(asc(users.username))
    for (const row of rows) {
      const list = result.get(row.messageId) ?? []
      list.push({ id: row.id, username: row.username })
      result.set(row.messageId, list)
    }
    return result
  }

  /** The active users with these names (case as typed or not): whom @names may mention. */
  async usersNamed(names: string[]): Promise<Array<{ id: number; username: string }>> {
    if (names.length === 0) return []
    const { users } = this.database.tables
    return this.database.db
      .select({ id: users.id, username: users.username })
      .from(users)
      .where(and(inArray(sql`lower(${users.username})`, names.map((n) => n.toLowerCase())), eq(users.disabled, false)))
  }

  /**
   * `limit` messages around `id` in `room`: the newer half starting with it, the older before it, in id order.
   * Returns the page and whether older and newer messages remain beyond it.
   */
  async around(room: string, id: number, limit: number): Promise<{ rows: StoredMessage[]; hasMoreBefore: boolean; hasMoreAfter: boolean }> {
    const half = Math.max(1, Math.floor(limit / 2))
    const older = await this.before(room, id, half + 1)
    const newer = await this.after(room, id - 1, limit - half + 1)
    const hasMoreBefore = older.length > half
    const hasMoreAfter = newer.length > limit - half
    return { rows: [...older.slice(hasMoreBefore ? 1 : 0), ...newer.slice(0, limit - half)], hasMoreBefore, hasMoreAfter }
  }

  /**
   * Full-text search over `rooms`: messages holding every term (whole words; the last may be the start of one),
   * newest first, below
   * `before` when given. SQLite asks its FTS5 table (which also narrows to the rooms' names); PostgreSQL its GIN
   * index on to_tsvector('simple', text). Terms come from searchTerms(): letters and digits only.
   */
  async search(rooms: string[], terms: string[], limit: number, before?: number): Promise<StoredMessage[]> {
    if (rooms.length === 0 || terms.length === 0) return []
    // Whatever was stored since the last bulk indexing is indexed first: a search sees every stored message.
    if (this.database.sqlite) indexPending(this.database.sqlite, 100_000)
    const { messages } = this.database.tables
    const inRooms = and(inArray(messages.room, rooms), sql`${messages.removedAt} is null`, before === undefined ? undefined : lt(messages.id, before))
    let rows
    if (this.database.sqlite) {
      // FTS5 walks its matches newest first and stops at the page; each is checked against the rooms by its key
      // (CROSS JOIN keeps that order: otherwise SQLite may walk a room's messages by its index instead and ask FTS5
      // about each, which for a rare word means most of the room).
      // When the global chat is among the rooms (nearly every message is readable), that check is all the filter;
      // for narrower searches FTS5 narrows to the rooms' names itself, so a rare room is not found by scanning.
      const narrow = rooms.includes(GLOBAL_ROOM) ? '' : ` AND (${[...new Set(rooms.map(roomPhrase))].map((p) => `{room}: ${p}`).join(' OR ')})`
      // Whole words, but the last may be the start of one (it is being typed); prefixes of 2-4 letters have an index
      // of their own (prefix='2 3 4'), longer ones are few words each.
      const match = `${terms.map((t, i) => `{text}: "${t}"${i === terms.length - 1 ? '*' : ''}`).join(' AND ')}${narrow}`
      const ids = this.database.sqlite
        .query<{ id: number }, Array<string | number>>(
          `select f.rowid as id from messages_fts f cross join messages m on m.id = f.rowid
           where messages_fts match ? and m.room in (${rooms.map(() => '?').join(', ')}) and m.removed_at is null${before === undefined ? '' : ' and f.rowid < ?'}
           order by f.rowid desc limit ?`,
        )
        .all(match, ...rooms, ...(before === undefined ? [] : [before]), limit)
        .map((r) => r.id)
      if (ids.length === 0) return []
      rows = await this.selectMessages().where(inArray(messages.id, ids)).orderBy(desc(messages.id))
    } else {
      const query = terms.map((t, i) => `${t}${i === terms.length - 1 ? ':*' : ''}`).join(' & ')
      rows = await this.selectMessages()
        .where(and(sql`to_tsvector('simple', ${messages.text}) @@ to_tsquery('simple', ${query})`, inRooms))
        .orderBy(desc(messages.id))
        .limit(limit)
    }
    const now = Date.now()
    return rows.map((row) => this.stored(row, now))
  }

  /** Who wrote a message of `room`, and whether it is already removed; undefined when there is none. */
  async authorOf(room: string, messageId: number): Promise<{ authorId: number; authorName: string; removed: boolean; createdAt: Date } | undefined> {
    const { messages, users } = this.database.tables
    const [row] = await this.database.db
      .select({ authorId: messages.authorId, authorName: users.username, removed: sql<boolean>`${messages.removedAt} is not null`.mapWith(Boolean), createdAt: messages.createdAt })
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
    const { reactions, messages } = tables
    const changed = on
      ? await db.insert(reactions).values({ messageId, userId, emoji, createdAt: now }).onConflictDoNothing().returning({ messageId: reactions.messageId })
      : await db
          .delete(reactions)
          .where(and(eq(reactions.messageId, messageId), eq(reactions.userId, userId), eq(reactions.emoji, emoji)))
          .returning({ messageId: reactions.messageId })
    // A reconnecting client finds the change among what changed since it last synced.
    if (changed.length > 0) await db.update(messages).set({ updatedAt: now }).where(eq(messages.id, messageId))
    return changed.length > 0
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

  /** Deletes the chats of every video room (all rooms but the global chat and private conversations); returns how
   * many messages went. */
  async deleteVideoRoomChats(globalRoom: string): Promise<number> {
    const { messages } = this.database.tables
    return (await this.database.db.delete(messages).where(and(ne(messages.room, globalRoom), sql`${messages.room} not like 'dm:%'`)).returning({ id: messages.id })).length
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
