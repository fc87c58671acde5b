// Share links of vault files: who made them, for which file, until when, how many downloads, and whether a password
// guards them. Lookups go by the SHA-256 of the link's token; the token itself is never stored.
import { and, desc, eq, inArray, sql } from 'drizzle-orm'
import type { Database } from './database'
import type { FileRow, ShareRow } from './schema'
import type { Attachment } from './messages'

/** A share with the file it points at (undefined once that file is deleted). */
export interface ShareWithFile {
  share: ShareRow
  file: FileRow | undefined
}

export class ShareStore {
  constructor(private readonly database: Database) {}

  private get shares() {
    return this.database.tables.shares
  }

  private stamp(date: Date): Date | number {
    return this.database.dialect === 'sqlite' ? date.getTime() : date
  }

  async create(row: Omit<ShareRow, 'downloads' | 'revokedAt'>): Promise<ShareRow> {
    const [share] = await this.database.db.insert(this.shares).values(row).returning()
    return share!
  }

  /** Shares an owner has (live or not), newest first, with their files. */
  async list(ownerId: number, limit: number): Promise<ShareWithFile[]> {
    const { files } = this.database.tables
    const rows = await this.database.db
      .select({ share: this.shares, file: files })
      .from(this.shares)
      .leftJoin(files, eq(files.id, this.shares.fileId))
      .where(eq(this.shares.ownerId, ownerId))
      .orderBy(desc(this.shares.createdAt))
      .limit(limit)
    return rows.map((r) => ({ share: r.share, file: r.file ?? undefined }))
  }

  async count(ownerId: number): Promise<number> {
    const [row] = await this.database.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(this.shares).where(eq(this.shares.ownerId, ownerId))
    return row!.n
  }

  /** One share with its file, found by `where`. */
  private async findOne(where: ReturnType<typeof eq>): Promise<ShareWithFile | undefined> {
    const { files } = this.database.tables
    const [row] = await this.database.db
      .select({ share: this.shares, file: files })
      .from(this.shares)
      .leftJoin(files, eq(files.id, this.shares.fileId))
      .where(where)
      .limit(1)
    return row ? { share: row.share, file: row.file ?? undefined } : undefined
  }

  async byToken(tokenHash: string): Promise<ShareWithFile | undefined> {
    return this.findOne(eq(this.shares.tokenHash, tokenHash))
  }

  /** Revokes one of the owner's shares; undefined when the owner has none with that id. */
  async revoke(ownerId: number, id: string, now: Date): Promise<ShareRow | undefined> {
    const [row] = await this.database.db
      .update(this.shares)
      .set({ revokedAt: sql`coalesce(${this.shares.revokedAt}, ${this.stamp(now)})` })
      .where(and(eq(this.shares.ownerId, ownerId), eq(this.shares.id, id)))
      .returning()
    return row
  }

  /**
   * Counts one download if the share still allows one: live, not expired, under its limit. One statement, so two
   * downloads racing for the last one cannot both pass. Returns whether this one was counted.
   */
  async countDownload(id: string, now: Date): Promise<boolean> {
    const s = this.shares
    const rows = await this.database.db
      .update(s)
      .set({ downloads: sql`${s.downloads} + 1` })
      .where(
        and(
          eq(s.id, id),
          sql`${s.revokedAt} is null`,
          sql`${s.expiresAt} > ${this.stamp(now)}`,
          sql`(${s.maxDownloads} is null or ${s.downloads} < ${s.maxDownloads})`,
        ),
      )
      .returning({ id: s.id })
    return rows.length > 0
  }

  /** Shares that ended (expired or revoked) before `before`: they go for good. */
  async deleteEnded(before: Date): Promise<number> {
    const s = this.shares
    const cutoff = this.stamp(before)
    const rows = await this.database.db
      .delete(s)
      .where(sql`${s.expiresAt} < ${cutoff} or ${s.revokedAt} < ${cutoff}`)
      .returning({ id: s.id })
    return rows.length
  }

  /** A share with its file, by id (whoever owns it). */
  async byId(id: string): Promise<ShareWithFile | undefined> {
    return this.findOne(eq(this.shares.id, id))
  }

  /** Of each (author, share) pair, the shares that are the author's own and live, as chat attachments. */
  async forChat(wanted: Array<{ authorId: number; shareId: string }>, now: Date): Promise<Map<string, Attachment>> {
    const { files } = this.database.tables
    const ids = [...new Set(wanted.map((w) => w.shareId))].slice(0, 500)
    const rows = await this.database.db
      .select({ share: this.shares, file: files })
      .from(this.shares)
      .innerJoin(files, eq(files.id, this.shares.fileId))
      .where(inArray(this.shares.id, ids))
    const found = new Map<string, Attachment>()
    for (const { share, file } of rows) {
      const live = !share.revokedAt && share.expiresAt.getTime() > now.getTime()
      if (!live || !wanted.some((w) => w.shareId === share.id && w.authorId === share.ownerId)) continue
      found.set(share.id, { shareId: share.id, name: file.name, size: file.size, contentType: file.contentType, live: true })
    }
    return found
  }

}
