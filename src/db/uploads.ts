// Uploads in progress, durable: a tus client resumes after a restart, and in cluster mode on another node. Creation
// checks the owner's limits and quota and inserts in one step per owner, so two nodes cannot both fit into the same
// free space; a writer holds a lease on the row, so two nodes never append to one upload at once.
import { and, eq, isNull, lt, or, sql } from 'drizzle-orm'
import type { Database } from './database'
import { FileNameTakenError, isFileNameClash } from './files'
import type { FileRow, UploadRow } from './schema'

export type { UploadRow }

export interface UploadPart {
  n: number
  etag: string
  size: number
}

export interface UploadLimits {
  quotaBytes: number
  maxOpenUploads: number
  maxOpenUploadsTotal: number
}

export type CreateRefusal = 'too_many_uploads' | 'uploads_busy' | 'quota_exceeded'

/** What a writer changes on its upload; only the lease holder may. */
export type UploadProgress = Partial<Pick<UploadRow, 'received' | 'segments' | 'parts' | 'tailSize' | 'touchedAt' | 'multipartId'>>

const UPLOAD_LOCK = 0x5550_4c44 // "UPLD"

export class UploadStore {
  constructor(private readonly database: Database) {}

  private get uploads() {
    return this.database.tables.uploads
  }

  /** Inserts the upload unless the owner has too many open, the server has, or it would not fit the quota (bytes
   * of files plus bytes promised to open uploads). */
  async create(row: UploadRow, limits: UploadLimits): Promise<UploadRow | CreateRefusal> {
    const { db, tables, dialect } = this.database
    const { uploads, files } = tables
    // What the decision reads, written once; PostgreSQL awaits it, SQLite runs it synchronously (below).
    const reads = (q: typeof db) => ({
      mine: q
        .select({ n: sql<number>`count(*)`.mapWith(Number), bytes: sql<number>`coalesce(sum(${uploads.size}), 0)`.mapWith(Number) })
        .from(uploads)
        .where(eq(uploads.ownerId, row.ownerId)),
      all: q.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(uploads),
      stored: q
        .select({ bytes: sql<number>`coalesce(sum(${files.size}), 0)`.mapWith(Number) })
        .from(files)
        .where(eq(files.ownerId, row.ownerId)),
    })
    const refusal = (mine: { n: number; bytes: number }, all: number, stored: number): CreateRefusal | undefined => {
      if (mine.n >= limits.maxOpenUploads) return 'too_many_uploads'
      if (all >= limits.maxOpenUploadsTotal) return 'uploads_busy'
      if (stored + mine.bytes + row.size > limits.quotaBytes) return 'quota_exceeded'
      return undefined
    }
    if (dialect === 'postgres') {
      // One creation per owner at a time, across nodes; the lock ends with the transaction.
      return db.transaction(async (tx) => {
        await (tx as unknown as { execute(query: unknown): Promise<unknown> }).execute(sql`select pg_advisory_xact_lock(${UPLOAD_LOCK}, ${row.ownerId})`)
        const q = reads(tx as unknown as typeof db)
        const [mine] = await q.mine
        const [all] = await q.all
        const [stored] = await q.stored
        const refused = refusal(mine!, all!.n, stored!.bytes)
        if (refused) return refused
        const [inserted] = await tx.insert(uploads).values(row).returning()
        return inserted!
      })
    }
    // SQLite: one process, and nothing else runs between the statements of this synchronous transaction.
    return this.database.sqlite!.transaction(() => {
      const q = reads(db)
      const refused = refusal(q.mine.get()!, q.all.get()!.n, q.stored.get()!.bytes)
      return refused ?? db.insert(uploads).values(row).returning().get()
    }).immediate()
  }

  /** The owner's upload; someone else's is as unknown as a made-up id. */
  async get(ownerId: number, id: string): Promise<UploadRow | undefined> {
    const { uploads } = this
    const [row] = await this.database.db
      .select()
      .from(uploads)
      .where(and(eq(uploads.id, id), eq(uploads.ownerId, ownerId)))
      .limit(1)
    return row
  }

  /** The multipart upload an upload's bytes go to (set once, right after creation). */
  async attach(id: string, multipartId: string): Promise<void> {
    const { uploads } = this
    await this.database.db.update(uploads).set({ multipartId }).where(eq(uploads.id, id))
  }

  /** Takes the writer's lease when nobody holds it (or the holder's lapsed): the row, or undefined when another
   * writer holds it. */
  async claim(ownerId: number, id: string, holder: string, now: Date, until: Date): Promise<UploadRow | undefined> {
    const { uploads } = this
    const [row] = await this.database.db
      .update(uploads)
      .set({ leaseOwner: holder, leaseUntil: until, touchedAt: now })
      .where(and(eq(uploads.id, id), eq(uploads.ownerId, ownerId), or(isNull(uploads.leaseUntil), lt(uploads.leaseUntil, now))))
      .returning()
    return row
  }

  /** Frees the leases whose holder names start with `prefix`: a node's own, left by its previous process. */
  async releaseAll(prefix: string): Promise<number> {
    const { uploads } = this
    const rows = await this.database.db
      .update(uploads)
      .set({ leaseOwner: null, leaseUntil: null })
      .where(sql`${uploads.leaseOwner} like ${prefix + '%'}`) // a hex node id and ':', nothing LIKE would read as a pattern
      .returning({ id: uploads.id })
    return rows.length
  }

  /** Extends the lease; false when it was lost (it lapsed and someone else took it, or the upload is gone). */
  async renew(id: string, holder: string, until: Date): Promise<boolean> {
    const { uploads } = this
    const rows = await this.database.db
      .update(uploads)
      .set({ leaseUntil: until })
      .where(and(eq(uploads.id, id), eq(uploads.leaseOwner, holder)))
      .returning({ id: uploads.id })
    return rows.length > 0
  }

  /** Records progress while holding the lease; false when the lease was lost. */
  async progress(id: string, holder: string, change: UploadProgress): Promise<boolean> {
    const { uploads } = this
    const rows = await this.database.db
      .update(uploads)
      .set(change)
      .where(and(eq(uploads.id, id), eq(uploads.leaseOwner, holder)))
      .returning({ id: uploads.id })
    return rows.length > 0
  }

  async release(id: string, holder: string, now: Date): Promise<void> {
    const { uploads } = this
    await this.database.db
      .update(uploads)
      .set({ leaseOwner: null, leaseUntil: null, touchedAt: now })
      .where(and(eq(uploads.id, id), eq(uploads.leaseOwner, holder)))
  }

  /** The upload becomes the file: its row replaces the upload's in one transaction. FileNameTakenError when the
   * owner has a file of that name by now (nothing changes then). */
  async finish(id: string, file: FileRow): Promise<FileRow> {
    const { db, tables, dialect } = this.database
    const { uploads, files } = tables
    try {
      if (dialect === 'postgres') {
        return await db.transaction(async (tx) => {
          const [inserted] = await tx.insert(files).values(file).returning()
          await tx.delete(uploads).where(eq(uploads.id, id))
          return inserted!
        })
      }
      return db.transaction((tx) => {
        const inserted = tx.insert(files).values(file).returning().get()
        tx.delete(uploads).where(eq(uploads.id, id)).run()
        return inserted
      })
    } catch (error) {
      if (isFileNameClash(this.database, error)) throw new FileNameTakenError(file.name)
      throw error
    }
  }

  /** Removes the row (the bytes are the caller's to remove); returns it, or undefined when it was gone. */
  async delete(id: string): Promise<UploadRow | undefined> {
    const { uploads } = this
    const [row] = await this.database.db.delete(uploads).where(eq(uploads.id, id)).returning()
    return row
  }

  /** Uploads nobody has touched since `before` and nobody writes to: the sweep discards them. */
  async idle(before: Date, now: Date, limit: number): Promise<UploadRow[]> {
    const { uploads } = this
    return this.database.db
      .select()
      .from(uploads)
      .where(and(lt(uploads.touchedAt, before), or(isNull(uploads.leaseUntil), lt(uploads.leaseUntil, now))))
      .limit(limit)
  }

  async ofOwner(ownerId: number): Promise<UploadRow[]> {
    const { uploads } = this
    return this.database.db.select().from(uploads).where(eq(uploads.ownerId, ownerId))
  }

  async all(): Promise<UploadRow[]> {
    return this.database.db.select().from(this.uploads)
  }

}
