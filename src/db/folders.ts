// Vault folders: a tree per owner. Every query is scoped by owner, like the files'. Changes to the tree's shape
// (create, move, delete) run one at a time per owner — under a PostgreSQL advisory lock across nodes, in a queue per
// owner in the single SQLite process — so two moves cannot make a cycle between them and the bounds hold.
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm'
import type { Database, Db } from './database'
import { isUniqueViolation } from './errors'
import type { FileRow, FolderRow } from './schema'

/** How deep the tree may go, how many folders one owner may have, and how many one folder may hold. */
export const MAX_FOLDER_DEPTH = 32
export const MAX_FOLDERS = 10_000
export const MAX_FOLDER_CHILDREN = 1_000

export class FolderNameTakenError extends Error {}

export type FolderRefusal = 'folder_not_found' | 'too_deep' | 'too_many_folders' | 'folder_full' | 'cycle'

const TREE_LOCK = 0x464f_4c44 // "FOLD"

export class FolderStore {
  /** SQLite: the owner's last queued tree change. */
  private readonly queues = new Map<number, Promise<unknown>>()

  constructor(private readonly database: Database) {}

  private get folders() {
    return this.database.tables.folders
  }

  /** Runs one change of the owner's tree with no other change of it running (see the top of this file). */
  private async serialised<T>(ownerId: number, work: (db: Db) => Promise<T>): Promise<T> {
    const { db, dialect } = this.database
    if (dialect === 'postgres') {
      return db.transaction(async (tx) => {
        await (tx as unknown as { execute(query: unknown): Promise<unknown> }).execute(sql`select pg_advisory_xact_lock(${TREE_LOCK}, ${ownerId})`)
        return work(tx as unknown as Db)
      }) as Promise<T>
    }
    const previous = this.queues.get(ownerId) ?? Promise.resolve()
    const run = previous.catch(() => {}).then(() => work(db))
    this.queues.set(ownerId, run)
    try {
      return await run
    } finally {
      if (this.queues.get(ownerId) === run) this.queues.delete(ownerId)
    }
  }

  async get(ownerId: number, id: string): Promise<FolderRow | undefined> {
    const { folders } = this
    const [row] = await this.database.db
      .select()
      .from(folders)
      .where(and(eq(folders.ownerId, ownerId), eq(folders.id, id)))
      .limit(1)
    return row
  }

  /** Any owner's folder (the grants decide who else may see it). */
  async byId(id: string): Promise<FolderRow | undefined> {
    const [row] = await this.database.db.select().from(this.folders).where(eq(this.folders.id, id)).limit(1)
    return row
  }

  /** The folders directly inside `parentId` (null: the top level), by name. At most MAX_FOLDER_CHILDREN exist. */
  async children(ownerId: number, parentId: string | null, db: Db = this.database.db): Promise<FolderRow[]> {
    const { folders } = this
    const byName = this.database.dialect === 'sqlite' ? sql`${folders.name} collate nocase` : sql`lower(${folders.name})`
    return db
      .select()
      .from(folders)
      .where(and(eq(folders.ownerId, ownerId), parentId === null ? isNull(folders.parentId) : eq(folders.parentId, parentId)))
      .orderBy(asc(byName), asc(folders.id))
      .limit(MAX_FOLDER_CHILDREN)
  }

  /** The folder and the ones above it, top first ([] for the top level). */
  async path(ownerId: number | undefined, id: string | null, db: Db = this.database.db): Promise<FolderRow[]> {
    const { folders } = this
    const path: FolderRow[] = []
    for (let next = id; next !== null && path.length <= MAX_FOLDER_DEPTH; ) {
      const [row] = await db
        .select()
        .from(folders)
        .where(ownerId === undefined ? eq(folders.id, next) : and(eq(folders.ownerId, ownerId), eq(folders.id, next)))
        .limit(1)
      if (!row) return []
      path.unshift(row)
      next = row.parentId
    }
    return path
  }

  /** The ids of the folders below `id`, a level at a time (its children, their children, …), MAX_FOLDER_DEPTH at most. */
  private async *levels(id: string, db: Db): AsyncGenerator<string[]> {
    const { folders } = this
    for (let level = [id], depth = 0; level.length > 0 && depth <= MAX_FOLDER_DEPTH; depth++) {
      const below: string[] = []
      for (let i = 0; i < level.length; i += 500) {
        for (const row of await db.select({ id: folders.id }).from(folders).where(inArray(folders.parentId, level.slice(i, i + 500)))) below.push(row.id)
      }
      if (below.length > 0) yield below
      level = below
    }
  }

  /** The folder's id and the ids of every folder below it. */
  async subtree(id: string, db: Db = this.database.db): Promise<string[]> {
    const all = [id]
    for await (const level of this.levels(id, db)) all.push(...level)
    return all
  }

  /** How many levels the folder's subtree has below it (0: no subfolders). */
  private async height(id: string, db: Db): Promise<number> {
    let height = 0
    for await (const _ of this.levels(id, db)) height++
    return height
  }

  private async countWhere(db: Db, ownerId: number, parentId?: string | null): Promise<number> {
    const { folders } = this
    const where =
      parentId === undefined
        ? eq(folders.ownerId, ownerId)
        : and(eq(folders.ownerId, ownerId), parentId === null ? isNull(folders.parentId) : eq(folders.parentId, parentId))
    const [row] = await db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(folders).where(where)
    return row!.n
  }

  /** A new folder, or why not. FolderNameTakenError when its parent already holds a folder of that name. */
  async create(ownerId: number, parentId: string | null, name: string, now: Date): Promise<FolderRow | FolderRefusal> {
    return this.serialised(ownerId, async (db) => {
      let depth = 1
      if (parentId !== null) {
        const path = await this.path(ownerId, parentId, db)
        if (path.length === 0) return 'folder_not_found'
        depth = path.length + 1
      }
      if (depth > MAX_FOLDER_DEPTH) return 'too_deep'
      if ((await this.countWhere(db, ownerId)) >= MAX_FOLDERS) return 'too_many_folders'
      if ((await this.countWhere(db, ownerId, parentId)) >= MAX_FOLDER_CHILDREN) return 'folder_full'
      try {
        const [row] = await db
          .insert(this.folders)
          .values({ id: crypto.randomUUID(), ownerId, parentId, name, createdAt: now, updatedAt: now })
          .returning()
        return row!
      } catch (error) {
        if (isUniqueViolation(error, 'folders_owner_parent_name')) throw new FolderNameTakenError(name)
        throw error
      }
    })
  }

  /** Renames and/or moves a folder (parentId null: to the top level). Refuses a move into itself or below itself. */
  async update(ownerId: number, id: string, change: { name?: string; parentId?: string | null }, now: Date): Promise<FolderRow | FolderRefusal> {
    return this.serialised(ownerId, async (db) => {
      const row = await this.get(ownerId, id)
      if (!row) return 'folder_not_found'
      const parentId = change.parentId === undefined ? row.parentId : change.parentId
      if (parentId !== row.parentId && parentId !== null) {
        const path = await this.path(ownerId, parentId, db)
        if (path.length === 0) return 'folder_not_found'
        if (path.some((f) => f.id === id)) return 'cycle'
        if (path.length + 1 + (await this.height(id, db)) > MAX_FOLDER_DEPTH) return 'too_deep'
      }
      if (parentId !== row.parentId && (await this.countWhere(db, ownerId, parentId)) >= MAX_FOLDER_CHILDREN) return 'folder_full'
      try {
        const [updated] = await db
          .update(this.folders)
          .set({ name: change.name ?? row.name, parentId, updatedAt: now })
          .where(and(eq(this.folders.ownerId, ownerId), eq(this.folders.id, id)))
          .returning()
        return updated ?? 'folder_not_found'
      } catch (error) {
        if (isUniqueViolation(error, 'folders_owner_parent_name')) throw new FolderNameTakenError(change.name ?? row.name)
        throw error
      }
    })
  }

  /** Whether the folder holds anything (a file or a folder). */
  async isEmpty(ownerId: number, id: string): Promise<boolean> {
    const { files } = this.database.tables
    const [file] = await this.database.db.select({ id: files.id }).from(files).where(and(eq(files.ownerId, ownerId), eq(files.folderId, id))).limit(1)
    if (file) return false
    return (await this.countWhere(this.database.db, ownerId, id)) === 0
  }

  /** Deletes the folder with everything below it: returns the files that went (their bytes are the caller's to
   * remove), or undefined when the owner has no such folder. */
  async delete(ownerId: number, id: string): Promise<FileRow[] | undefined> {
    const { files } = this.database.tables
    return this.serialised(ownerId, async (db) => {
      if (!(await this.get(ownerId, id))) return undefined
      const ids = await this.subtree(id, db)
      const gone: FileRow[] = []
      for (let i = 0; i < ids.length; i += 500) {
        gone.push(...(await db.delete(files).where(and(eq(files.ownerId, ownerId), inArray(files.folderId, ids.slice(i, i + 500)))).returning()))
      }
      // The folders go with one statement: the rest of the subtree follows by cascade, with any file that landed in
      // it meanwhile (its bytes are then an orphan the blob sweep removes).
      await db.delete(this.folders).where(and(eq(this.folders.ownerId, ownerId), eq(this.folders.id, id)))
      return gone
    })
  }
}
