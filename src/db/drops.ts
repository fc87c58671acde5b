// File drops: upload-only links into one folder of an owner's vault. Lookups go by the SHA-256 of the link's token.
// The bytes a drop may still take are reserved atomically as each upload is created (one conditional UPDATE), so
// uploads racing for the last of a drop's room cannot together pass its limit.
import { and, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm'
import type { Database } from './database'
import type { DropRow, FolderRow } from './schema'

export interface DropWithFolder {
  drop: DropRow
  folder: FolderRow
  owner: { id: number; username: string }
}

export class DropStore {
  constructor(private readonly database: Database) {}

  private get drops() {
    return this.database.tables.drops
  }

  async create(row: Omit<DropRow, 'bytesUsed' | 'closedAt'>): Promise<DropRow> {
    const [drop] = await this.database.db.insert(this.drops).values(row).returning()
    return drop!
  }

  private async withFolder(where: ReturnType<typeof and>, limit: number): Promise<DropWithFolder[]> {
    const { folders, users } = this.database.tables
    const rows = await this.database.db
      .select({ drop: this.drops, folder: folders, owner: { id: users.id, username: users.username } })
      .from(this.drops)
      .innerJoin(folders, eq(folders.id, this.drops.folderId))
      .innerJoin(users, eq(users.id, this.drops.ownerId))
      .where(where)
      .orderBy(desc(this.drops.createdAt), desc(this.drops.id))
      .limit(limit)
    return rows
  }

  async list(ownerId: number, limit: number): Promise<DropWithFolder[]> {
    return this.withFolder(eq(this.drops.ownerId, ownerId), limit)
  }

  async count(ownerId: number): Promise<number> {
    const [row] = await this.database.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(this.drops).where(eq(this.drops.ownerId, ownerId))
    return row!.n
  }

  async byToken(tokenHash: string): Promise<DropWithFolder | undefined> {
    const [found] = await this.withFolder(eq(this.drops.tokenHash, tokenHash), 1)
    return found
  }

  /** Closes one of the owner's drops; undefined when the owner has none with that id. */
  async close(ownerId: number, id: string, now: Date): Promise<DropRow | undefined> {
    const [row] = await this.database.db
      .update(this.drops)
      .set({ closedAt: now })
      .where(and(eq(this.drops.ownerId, ownerId), eq(this.drops.id, id)))
      .returning()
    return row
  }

  /** Reserves `bytes` of the drop's room if it is open, live and has that much left: true when reserved. */
  async reserve(id: string, bytes: number, now: Date): Promise<boolean> {
    const { drops } = this
    const rows = await this.database.db
      .update(drops)
      .set({ bytesUsed: sql`${drops.bytesUsed} + ${bytes}` })
      .where(and(eq(drops.id, id), isNull(drops.closedAt), gt(drops.expiresAt, now), sql`${drops.bytesUsed} + ${bytes} <= ${drops.maxBytes}`))
      .returning({ id: drops.id })
    return rows.length === 1
  }

  /** Gives back a reservation (an upload refused or cancelled before it became a file). */
  async release(id: string, bytes: number): Promise<void> {
    const { drops } = this
    // The larger of two values: SQLite's two-argument max, PostgreSQL's greatest.
    const larger = this.database.dialect === 'sqlite' ? sql`max(0, ${drops.bytesUsed} - ${bytes})` : sql`greatest(0, ${drops.bytesUsed} - ${bytes})`
    await this.database.db.update(drops).set({ bytesUsed: larger }).where(eq(drops.id, id))
  }

  /** Removes drops that ended (closed or expired) before `before`: the server's sweep. */
  async deleteEnded(before: Date): Promise<number> {
    const { drops } = this
    const rows = await this.database.db.delete(drops).where(or(lt(drops.closedAt, before), lt(drops.expiresAt, before))).returning({ id: drops.id })
    return rows.length
  }
}
