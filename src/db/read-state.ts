// Where each person stopped reading each chat (the global chat and their conversations), kept on the server so it
// follows them across tabs and devices, and what is unread after it.
import { and, eq, gt, inArray, sql } from 'drizzle-orm'
import { selectRows, type Database } from './database'
import { UNREAD_COUNT_CAP } from '../rooms/constants'

export interface RoomUnread {
  room: string
  lastReadId: number
  unread: number
  mentions: number
}

export class ReadStateStore {
  constructor(private readonly database: Database) {}

  /** Sets where a person stopped reading a room (back as well as forward: "mark as unread"). */
  async set(userId: number, room: string, lastReadId: number, now: Date): Promise<void> {
    const { readState } = this.database.tables
    await this.database.db
      .insert(readState)
      .values({ userId, room, lastReadId, updatedAt: now })
      .onConflictDoUpdate({ target: [readState.userId, readState.room], set: { lastReadId, updatedAt: now } })
  }

  /** Starts a room's read state where it stands now, unless the person has one: a newcomer to the global chat has
   * not "missed" its whole history. */
  async begin(userId: number, room: string, now: Date): Promise<void> {
    const { readState, messages } = this.database.tables
    const [newest] = await this.database.db.select({ id: sql<number | null>`max(${messages.id})`.mapWith(Number) }).from(messages).where(eq(messages.room, room))
    await this.database.db
      .insert(readState)
      .values({ userId, room, lastReadId: newest?.id || 0, updatedAt: now })
      .onConflictDoNothing()
  }

  /**
   * For each of `rooms` the person has a read state in: where they stopped, how many messages of others came after
   * (up to UNREAD_COUNT_CAP, so a long absence costs a bounded count) and how many of those mention them. Three
   * statements whatever the number of rooms.
   */
  async unread(userId: number, rooms: string[]): Promise<RoomUnread[]> {
    if (rooms.length === 0) return []
    const { readState, messages, mentions } = this.database.tables
    const { db } = this.database
    const states = await db
      .select({ room: readState.room, lastReadId: readState.lastReadId })
      .from(readState)
      .where(and(eq(readState.userId, userId), inArray(readState.room, rooms)))
    if (states.length === 0) return []
    const counted = sql.join(
      states.map(
        (s) =>
          sql`select cast(${s.room} as text) as room, (select count(*) from (select 1 from ${messages} where ${messages.room} = ${s.room} and ${messages.id} > ${s.lastReadId} and ${messages.authorId} <> ${userId} and ${messages.removedAt} is null limit ${UNREAD_COUNT_CAP}) as capped) as n`,
      ),
      sql` union all `,
    )
    const counts = await selectRows<{ room: string; n: number | string }>(this.database, counted)
    const unread = new Map(counts.map((c) => [c.room, Number(c.n)]))
    const mentionRows = await db
      .select({ room: messages.room, n: sql<number>`count(*)`.mapWith(Number) })
      .from(mentions)
      .innerJoin(messages, eq(messages.id, mentions.messageId))
      .innerJoin(readState, and(eq(readState.userId, mentions.userId), eq(readState.room, messages.room)))
      .where(and(eq(mentions.userId, userId), gt(messages.id, readState.lastReadId), sql`${messages.removedAt} is null`, inArray(messages.room, rooms)))
      .groupBy(messages.room)
    const mentioned = new Map(mentionRows.map((r) => [r.room, r.n]))
    return states.map((s) => ({ room: s.room, lastReadId: s.lastReadId, unread: unread.get(s.room) ?? 0, mentions: mentioned.get(s.room) ?? 0 }))
  }
}
