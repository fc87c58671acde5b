// Vault file metadata. Every query is scoped by owner: there is no way to ask this store for someone else's file.
import { and, asc, desc, eq, sql } from 'drizzle-orm'
import type { Database } from './database'
import { isUniqueViolation } from './errors'
import type { FileRow } from './schema'

export type FileSort = 'name' | 'created' | 'size'

export class FileNameTakenError extends Error {}

/** The owner already has a file of this name (and nothing else was refused): SQLite names the columns, PostgreSQL
 * the index. For every store that writes file rows. */
export function isFileNameClash(database: Database, error: unknown): boolean {
  return isUniqueViolation(error, database.dialect === 'sqlite' ? 'files.owner_id, files.name' : 'files_owner_name')
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

  async list(ownerId: number, sort: FileSort, order: 'asc' | 'desc', offset: number, limit: number): Promise<FileRow[]> {
    const { files } = this
    const byName = this.database.dialect === 'sqlite' ? sql`${files.name} collate nocase` : sql`lower(${files.name})`
    const column = sort === 'name' ? byName : sort === 'size' ? files.size : files.createdAt
    const direction = order === 'asc' ? asc : desc
    return this.database.db
      .select()
      .from(files)
      .where(eq(files.ownerId, ownerId))
      .orderBy(direction(column), direction(files.id))
      .limit(limit)
      .offset(offset)
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

  async nameTaken(ownerId: number, name: string): Promise<boolean> {
    const { files } = this
    const [row] = await this.database.db
      .select({ id: files.id })
      .from(files)
      .where(and(eq(files.ownerId, ownerId), eq(files.name, name)))
      .limit(1)
    return !!row
  }

  async rename(ownerId: number, id: string, name: string, now: Date): Promise<FileRow | undefined> {
    const { files } = this
    try {
      const [row] = await this.database.db
        .update(files)
        .set({ name, updatedAt: now })
        .where(and(eq(files.ownerId, ownerId), eq(files.id, id)))
        .returning()
      return row
    } catch (error) {
      if (isFileNameClash(this.database, error)) throw new FileNameTakenError(name)
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
}
