// Vault file metadata. Every query is scoped by owner: there is no way to ask this store for someone else's file.
import { and, asc, desc, eq, sql } from 'drizzle-orm'
import type { Db } from './database'
import { files, type FileRow } from './schema'

export type FileSort = 'name' | 'created' | 'size'

export class FileNameTakenError extends Error {}

export class FileStore {
  constructor(private readonly db: Db) {}

  insert(row: FileRow): FileRow {
    try {
      return this.db.insert(files).values(row).returning().get()
    } catch (error) {
      if (error instanceof Error && /UNIQUE constraint failed: files\.owner_id, files\.name/.test(error.message)) {
        throw new FileNameTakenError(row.name)
      }
      throw error
    }
  }

  get(ownerId: number, id: string): FileRow | undefined {
    return this.db
      .select()
      .from(files)
      .where(and(eq(files.ownerId, ownerId), eq(files.id, id)))
      .get()
  }

  list(ownerId: number, sort: FileSort, order: 'asc' | 'desc', offset: number, limit: number): FileRow[] {
    const column = sort === 'name' ? sql`${files.name} collate nocase` : sort === 'size' ? files.size : files.createdAt
    const direction = order === 'asc' ? asc : desc
    return this.db
      .select()
      .from(files)
      .where(eq(files.ownerId, ownerId))
      .orderBy(direction(column), direction(files.id))
      .limit(limit)
      .offset(offset)
      .all()
  }

  /** How many files and bytes the owner has. */
  usage(ownerId: number): { files: number; bytes: number } {
    const row = this.db
      .select({ files: sql<number>`count(*)`, bytes: sql<number>`coalesce(sum(${files.size}), 0)` })
      .from(files)
      .where(eq(files.ownerId, ownerId))
      .get()
    return row ?? { files: 0, bytes: 0 }
  }

  nameTaken(ownerId: number, name: string): boolean {
    return !!this.db
      .select({ id: files.id })
      .from(files)
      .where(and(eq(files.ownerId, ownerId), eq(files.name, name)))
      .get()
  }

  rename(ownerId: number, id: string, name: string, now: Date): FileRow | undefined {
    try {
      return this.db
        .update(files)
        .set({ name, updatedAt: now })
        .where(and(eq(files.ownerId, ownerId), eq(files.id, id)))
        .returning()
        .get()
    } catch (error) {
      if (error instanceof Error && /UNIQUE constraint failed/.test(error.message)) throw new FileNameTakenError(name)
      throw error
    }
  }

  /** Removes the row and returns it (for its storage key), or undefined when the owner has no such file. */
  delete(ownerId: number, id: string): FileRow | undefined {
    return this.db
      .delete(files)
      .where(and(eq(files.ownerId, ownerId), eq(files.id, id)))
      .returning()
      .get()
  }

  storageKeys(): Set<string> {
    return new Set(
      this.db
        .select({ key: files.storageKey })
        .from(files)
        .all()
        .map((r) => r.key),
    )
  }
}
