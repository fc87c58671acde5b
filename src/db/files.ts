// Vault file metadata. Every query is scoped by owner: there is no way to ask this store for someone else's file.
import { and, asc, desc, eq, gt, inArray, isNull, sql } from 'drizzle-orm'
import type { Database } from './database'
import { isForeignKeyViolation, isUniqueViolation } from './errors'
import type { FileRow } from './schema'

/** A thumbnail's bytes at most (base64 makes its text a third longer). */
export const MAX_THUMBNAIL_BYTES = 32 * 1024

export type FileSort = 'name' | 'created' | 'size'

export class FileNameTakenError extends Error {}

/** The owner already has a file of this name in that folder (and nothing else was refused). For every store that
 * writes file rows. */
export function isFileNameClash(database: Database, error: unknown): boolean {
  return isUniqueViolation(error, 'files_owner_folder_name')
}

export class FileStore {
  constructor(private readonly database: Database) {}

  private get files() {
    return this.database.tables.files
  }

  async get(ownerId: number, id: string): Promise<FileRow | undefined> {
    const { files } = this
    const [row] = await this.database.db
      .select()
      .from(files)
      .where(and(eq(files.ownerId, ownerId), eq(files.id, id)))
      .limit(1)
    return row
  }

  /** Any owner's file (the grants decide who else may see it). */
  async byId(id: string): Promise<FileRow | undefined> {
    const [row] = await this.database.db.select().from(this.files).where(eq(this.files.id, id)).limit(1)
    return row
  }

  private inFolder(ownerId: number, folderId: string | null) {
    const { files } = this
    return and(eq(files.ownerId, ownerId), folderId === null ? isNull(files.folderId) : eq(files.folderId, folderId))
  }

  /** One page of the files in a folder (null: the top level). */
  async list(ownerId: number, folderId: string | null, sort: FileSort, order: 'asc' | 'desc', offset: number, limit: number): Promise<FileRow[]> {
    const { files } = this
    const byName = this.database.dialect === 'sqlite' ? sql`${files.name} collate nocase` : sql`lower(${files.name})`
    const column = sort === 'name' ? byName : sort === 'size' ? files.size : files.createdAt
    const direction = order === 'asc' ? asc : desc
    return this.database.db
      .select()
      .from(files)
      .where(this.inFolder(ownerId, folderId))
      .orderBy(direction(column), direction(files.id))
      .limit(limit)
      .offset(offset)
  }

  async countIn(ownerId: number, folderId: string | null): Promise<number> {
    const [row] = await this.database.db
      .select({ n: sql<number>`count(*)`.mapWith(Number) })
      .from(this.files)
      .where(this.inFolder(ownerId, folderId))
    return row!.n
  }

  /** How many files the owner has in any of these folders. */
  async countInFolders(ownerId: number, folderIds: string[]): Promise<number> {
    const { files } = this
    let total = 0
    for (let i = 0; i < folderIds.length; i += 500) {
      const [row] = await this.database.db
        .select({ n: sql<number>`count(*)`.mapWith(Number) })
        .from(files)
        .where(and(eq(files.ownerId, ownerId), inArray(files.folderId, folderIds.slice(i, i + 500))))
      total += row!.n
    }
    return total
  }

  /** The files of a folder in id order, a page at a time, for walking a folder of any size in bounded memory. */
  async *walk(ownerId: number, folderId: string | null, pageSize = 200): AsyncGenerator<FileRow> {
    const { files } = this
    for (let after = ''; ; ) {
      const page = await this.database.db
        .select()
        .from(files)
        .where(and(this.inFolder(ownerId, folderId), gt(files.id, after)))
        .orderBy(asc(files.id))
        .limit(pageSize)
      yield* page
      if (page.length < pageSize) return
      after = page[page.length - 1]!.id
    }
  }

  /** How many files and bytes the owner has. */
  async usage(ownerId: number): Promise<{ files: number; bytes: number }> {
    const { files } = this
    const [row] = await this.database.db
      .select({ files: sql<number>`count(*)`.mapWith(Number), bytes: sql<number>`coalesce(sum(${files.size}), 0)`.mapWith(Number) })
      .from(files)
      .where(eq(files.ownerId, ownerId))
    return row ?? { files: 0, bytes: 0 }
  }

  async nameTaken(ownerId: number, folderId: string | null, name: string): Promise<boolean> {
    const { files } = this
    const [row] = await this.database.db
      .select({ id: files.id })
      .from(files)
      .where(and(this.inFolder(ownerId, folderId), eq(files.name, name)))
      .limit(1)
    return !!row
  }

  /** Renames and/or moves a file (folderId null: to the top level). The caller has checked that the folder is the
   * owner's; a folder deleted meanwhile answers undefined, like a file deleted meanwhile. */
  async update(ownerId: number, id: string, change: { name?: string; folderId?: string | null }, now: Date): Promise<FileRow | undefined> {
    const { files } = this
    try {
      const [row] = await this.database.db
        .update(files)
        .set({ ...(change.name !== undefined && { name: change.name }), ...(change.folderId !== undefined && { folderId: change.folderId }), updatedAt: now })
        .where(and(eq(files.ownerId, ownerId), eq(files.id, id)))
        .returning()
      return row
    } catch (error) {
      if (isFileNameClash(this.database, error)) throw new FileNameTakenError(change.name ?? '')
      if (isForeignKeyViolation(error)) return undefined
      throw error
    }
  }

  /** Removes the row and returns it (for its storage key), or undefined when the owner has no such file. */
  async delete(ownerId: number, id: string): Promise<FileRow | undefined> {
    const { files } = this
    const [row] = await this.database.db
      .delete(files)
      .where(and(eq(files.ownerId, ownerId), eq(files.id, id)))
      .returning()
    return row
  }

  /** Files and bytes stored on the server, all owners together. */
  async totalUsage(): Promise<{ files: number; bytes: number }> {
    const { files } = this
    const [row] = await this.database.db
      .select({ files: sql<number>`count(*)`.mapWith(Number), bytes: sql<number>`coalesce(sum(${files.size}), 0)`.mapWith(Number) })
      .from(files)
    return row!
  }

  /** Every file of every owner (moving an install to a cluster). */
  async all(): Promise<FileRow[]> {
    return this.database.db.select().from(this.files)
  }

  /** Where one owner's files keep their bytes. */
  async keysOf(ownerId: number): Promise<string[]> {
    const { files } = this
    return (await this.database.db.select({ key: files.storageKey }).from(files).where(eq(files.ownerId, ownerId))).map((r) => r.key)
  }

  async storageKeys(): Promise<Set<string>> {
    const { files } = this
    const rows = await this.database.db.select({ key: files.storageKey }).from(files)
    return new Set(rows.map((r) => r.key))
  }

  /** Stores the owner's thumbnail of one of their files (replacing one made before); false when the owner has no
   * such file (or it was deleted meanwhile). */
  async setThumbnail(ownerId: number, fileId: string, contentType: string, bytes: Uint8Array, now: Date): Promise<boolean> {
    if (!(await this.get(ownerId, fileId))) return false
    const { thumbnails } = this.database.tables
    const row = { fileId, contentType, data: Buffer.from(bytes).toString('base64'), createdAt: now }
    try {
      await this.database.db.insert(thumbnails).values(row).onConflictDoUpdate({ target: thumbnails.fileId, set: { contentType, data: row.data, createdAt: now } })
      return true
    } catch (error) {
      if (isForeignKeyViolation(error)) return false
      throw error
    }
  }

  async thumbnail(fileId: string): Promise<{ contentType: string; bytes: Buffer } | undefined> {
    const { thumbnails } = this.database.tables
    const [row] = await this.database.db.select().from(thumbnails).where(eq(thumbnails.fileId, fileId)).limit(1)
    return row ? { contentType: row.contentType, bytes: Buffer.from(row.data, 'base64') } : undefined
  }

  /** Which of these files have a thumbnail. */
  async withThumbnails(fileIds: string[]): Promise<Set<string>> {
    if (fileIds.length === 0) return new Set()
    const { thumbnails } = this.database.tables
    const rows = await this.database.db.select({ id: thumbnails.fileId }).from(thumbnails).where(inArray(thumbnails.fileId, fileIds))
    return new Set(rows.map((r) => r.id))
  }

}
