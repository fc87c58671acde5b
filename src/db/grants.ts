// Files and folders shared read-only with other registered users. A grant names one file or one folder; what is
// inside a granted folder, at any depth, is shared with it. The store answers the two questions the routes ask:
// what an owner shared with whom, and whether a recipient may read a given file or folder.
import { aliasedTable, and, desc, eq, inArray, or, sql } from 'drizzle-orm'
import type { Database } from './database'
import { isUniqueViolation } from './errors'
import type { FileRow, FolderRow, GrantRow } from './schema'

/** Grants one owner may hold. */
export const MAX_GRANTS = 1000

export class GrantExistsError extends Error {}

export type GrantTarget = { fileId: string; folderId?: undefined } | { folderId: string; fileId?: undefined }

/** A grant with the names a person recognises: who, and what. */
export interface GrantView {
  grant: GrantRow
  owner: { id: number; username: string }
  recipient: { id: number; username: string }
  file: FileRow | undefined
  folder: FolderRow | undefined
}

export class GrantStore {
  constructor(private readonly database: Database) {}

  private get grants() {
    return this.database.tables.grants
  }

  /** A new grant, or 'too_many_grants'. GrantExistsError when the recipient already has this item. */
  async create(ownerId: number, recipientId: number, target: GrantTarget, now: Date): Promise<GrantRow | 'too_many_grants'> {
    const { grants } = this
    const [count] = await this.database.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(grants).where(eq(grants.ownerId, ownerId))
    if (count!.n >= MAX_GRANTS) return 'too_many_grants'
    try {
      const [row] = await this.database.db
        .insert(grants)
        .values({ id: crypto.randomUUID(), ownerId, recipientId, fileId: target.fileId ?? null, folderId: target.folderId ?? null, createdAt: now })
        .returning()
      return row!
    } catch (error) {
      // The only unique keys besides the random id: this recipient already has this file or folder.
      if (isUniqueViolation(error)) throw new GrantExistsError()
      throw error
    }
  }

  private async views(where: ReturnType<typeof and>, limit: number): Promise<GrantView[]> {
    const { users, files, folders } = this.database.tables
    const { grants } = this
    const owner = aliasedTable(users, 'owner')
    const recipient = aliasedTable(users, 'recipient')
    const rows = await this.database.db
      .select({
        grant: grants,
        owner: { id: owner.id, username: owner.username },
        recipient: { id: recipient.id, username: recipient.username },
        file: files,
        folder: folders,
      })
      .from(grants)
      .innerJoin(owner, eq(owner.id, grants.ownerId))
      .innerJoin(recipient, eq(recipient.id, grants.recipientId))
      .leftJoin(files, eq(files.id, grants.fileId))
      .leftJoin(folders, eq(folders.id, grants.folderId))
      .where(where)
      .orderBy(desc(grants.createdAt), desc(grants.id))
      .limit(limit)
    return rows.map((r) => ({ ...r, file: r.file ?? undefined, folder: r.folder ?? undefined }))
  }

  /** One grant as its views show it. */
  async view(id: string): Promise<GrantView | undefined> {
    const [found] = await this.views(eq(this.grants.id, id), 1)
    return found
  }

  /** What an owner shared, newest first. */
  async byOwner(ownerId: number): Promise<GrantView[]> {
    return this.views(eq(this.grants.ownerId, ownerId), MAX_GRANTS)
  }

  /** What others shared with a person, newest first. */
  async sharedWith(recipientId: number, limit: number): Promise<GrantView[]> {
    return this.views(eq(this.grants.recipientId, recipientId), limit)
  }

  /** Ends one of the owner's grants; the recipient may also drop one shared with them. */
  async revoke(userId: number, id: string): Promise<GrantRow | undefined> {
    const { grants } = this
    const [row] = await this.database.db
      .delete(grants)
      .where(and(eq(grants.id, id), or(eq(grants.ownerId, userId), eq(grants.recipientId, userId))))
      .returning()
    return row
  }

  /** The grant that lets the recipient read the file `fileId` or the folders `folderIds` (a folder and those above
   * it), if any: the first match, by folder order of `folderIds`. */
  async covering(recipientId: number, fileId: string | undefined, folderIds: string[]): Promise<GrantRow | undefined> {
    const { grants } = this
    const targets = []
    if (fileId) targets.push(eq(grants.fileId, fileId))
    if (folderIds.length > 0) targets.push(inArray(grants.folderId, folderIds))
    if (targets.length === 0) return undefined
    const rows = await this.database.db
      .select()
      .from(grants)
      .where(and(eq(grants.recipientId, recipientId), or(...targets)))
    if (rows.length === 0) return undefined
    return rows.find((r) => r.fileId === fileId) ?? folderIds.map((id) => rows.find((r) => r.folderId === id)).find((r) => r !== undefined)
  }
}
