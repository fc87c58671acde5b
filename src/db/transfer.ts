// Moves a single-node install's data into a cluster's PostgreSQL: every account, session, chat message, reaction,
// mention, read position, private conversation,
// folder, file record, share link, grant, file drop, setting, invite and audit entry, with their ids, in one transaction. Unfinished uploads and rate-limit windows are not moved (they
// are minutes-long state; the clients start those uploads again).
import { asc, inArray, isNull, sql } from 'drizzle-orm'
import type { Database } from './database'

export interface TransferCounts {
  users: number
  sessions: number
  messages: number
  reactions: number
  files: number
  settings: number
  invites: number
  audit: number
  shares: number
  folders: number
  grants: number
  drops: number
  thumbnails: number
  conversations: number
  conversationMembers: number
  mentions: number
  readState: number
}

const BATCH = 1000

export class TargetNotEmptyError extends Error {}

/** Whether the target already holds accounts (moving into a database in use would mix two communities). */
export async function hasAccounts(database: Database): Promise<boolean> {
  const { users } = database.tables
  const [row] = await database.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(users)
  return row!.n > 0
}

export async function copyDatabase(source: Database, target: Database): Promise<TransferCounts> {
  if (target.dialect !== 'postgres') throw new Error('the target must be PostgreSQL')
  if (await hasAccounts(target)) throw new TargetNotEmptyError('the target database already has accounts; use an empty database')
  const from = source.tables
  const to = target.tables
  const counts: TransferCounts = { users: 0, sessions: 0, messages: 0, reactions: 0, files: 0, settings: 0, invites: 0, audit: 0, shares: 0, folders: 0, grants: 0, drops: 0, thumbnails: 0, conversations: 0, conversationMembers: 0, mentions: 0, readState: 0 }
  // In the order of their foreign keys, in pages of a thousand rows, each table ordered by its whole key (paging by
  // offset needs an order without ties).
  const tables = [
    ['users', from.users, to.users, [from.users.id]],
    ['sessions', from.sessions, to.sessions, [from.sessions.id]],
    ['messages', from.messages, to.messages, [from.messages.id]],
    ['reactions', from.reactions, to.reactions, [from.reactions.messageId, from.reactions.userId, from.reactions.emoji]],
    ['mentions', from.mentions, to.mentions, [from.mentions.userId, from.mentions.messageId]],
    ['readState', from.readState, to.readState, [from.readState.userId, from.readState.room]],
    ['conversations', from.conversations, to.conversations, [from.conversations.id]],
    ['conversationMembers', from.conversationMembers, to.conversationMembers, [from.conversationMembers.conversationId, from.conversationMembers.userId]],
    ['folders', from.folders, to.folders, [from.folders.id]],
    ['files', from.files, to.files, [from.files.id]],
    ['thumbnails', from.thumbnails, to.thumbnails, [from.thumbnails.fileId]],
    ['grants', from.grants, to.grants, [from.grants.id]],
    ['drops', from.drops, to.drops, [from.drops.id]],
    ['settings', from.settings, to.settings, [from.settings.key]],
    ['invites', from.invites, to.invites, [from.invites.code]],
    ['audit', from.audit, to.audit, [from.audit.id]],
    ['shares', from.shares, to.shares, [from.shares.id]],
  ] as const
  // Folders a level of the trees at a time, so every folder's parent is there before it.
  const copyFolders = async (tx: Pick<typeof target.db, 'insert'>) => {
    for (let level: string[] | null = null; level === null || level.length > 0; ) {
      const next: string[] = []
      const parents: Array<string[] | null> = level === null ? [null] : Array.from({ length: Math.ceil(level.length / 500) }, (_, i) => level!.slice(i * 500, i * 500 + 500))
      for (const chunk of parents) {
        const rows = await source.db
          .select()
          .from(from.folders)
          .where(chunk === null ? isNull(from.folders.parentId) : inArray(from.folders.parentId, chunk))
          .orderBy(asc(from.folders.id))
        for (let i = 0; i < rows.length; i += BATCH) await tx.insert(to.folders).values(rows.slice(i, i + BATCH) as never)
        next.push(...rows.map((r) => r.id))
        counts.folders += rows.length
      }
      level = next
    }
  }
  await target.db.transaction(async (tx) => {
    for (const [name, source_, target_, order] of tables) {
      if (name === 'folders') {
        await copyFolders(tx)
        continue
      }
      for (let offset = 0; ; offset += BATCH) {
        const rows = await source.db
          .select()
          .from(source_ as typeof from.users)
          .orderBy(...order.map((column) => asc(column)))
          .limit(BATCH)
          .offset(offset)
        if (rows.length === 0) break
        await tx.insert(target_ as typeof to.users).values(rows as never)
        counts[name] += rows.length
      }
    }
    // Ids were copied as they were: the sequences go on after the largest.
    const run = tx as unknown as { execute(query: unknown): Promise<unknown> }
    for (const table of ['users', 'messages', 'audit', 'conversations']) {
      await run.execute(sql.raw(`select setval(pg_get_serial_sequence('${table}', 'id'), coalesce((select max(id) from ${table}), 0) + 1, false)`))
    }
  })
  return counts
}
