// Resumable uploads (the tus model): an upload is created with its total length, receives bytes at its current
// offset in one or more requests, and becomes a vault file only when complete: whole in the blob store, hashed,
// and recorded. Its state is a row (src/db/uploads.ts), so it survives a restart, and in cluster mode any node
// continues it; the bytes are the blob store's (local disk or S3). A request writing to an upload holds a short
// lease on the row, renewed while bytes arrive: a second writer, on this node or another, gets 423.
import { createHash, randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { FileStore } from '../db/files'
import type { FileRow } from '../db/schema'
import type { UploadProgress, UploadRow, UploadStore } from '../db/uploads'
import { FileNameTakenError } from '../db/files'
import { isForeignKeyViolation } from '../db/errors'
import { newKey, type BlobStore } from './blob-store'
import { candidateNames } from './names'
import { VaultError } from './errors'

export { VaultError }

export interface VaultLimits {
  quotaBytes: number
  maxFileBytes: number
  /** Unfinished uploads one user, and the whole server, may have open at once. */
  maxOpenUploads: number
  maxOpenUploadsTotal: number
  /** An upload that never received a byte is discarded after this long. */
  unusedUploadMs: number
  /** An upload nobody touched for this long is discarded. */
  uploadIdleMs: number
}

/** Where an upload through a file drop came from: the drop, and the uploader's anonymous id. */
export interface UploadOrigin {
  dropId: string
  uploader: string
}

/** What the routes see of an upload. */
export interface Upload {
  id: string
  offset: number
  length: number
  /** Set once complete: the file it became. */
  file?: FileRow
}

/** A writer's lease on an upload: long enough to ride out a slow moment, short enough that an upload whose node
 * died is free again soon after. Renewed every third of it while bytes arrive. */
export const LEASE_MS = 15_000

/** Bytes no row refers to are removed once they are this old (work under way on another node is younger). */
const ORPHAN_GRACE_MS = 60 * 60_000


export class UploadManager {
  /** Uploads this node finished recently: a client that lost the last answer asks again and learns the file. */
  private readonly finished = new Map<string, { ownerId: number; upload: Upload; at: number; origin: UploadOrigin | null }>()
  private sweeper: ReturnType<typeof setInterval> | undefined
  private orphanSweeper: ReturnType<typeof setInterval> | undefined

  /** Names this node in lease holders: stable across its restarts (host and data directory), unlike the process. */
  private readonly node: string

  constructor(
    private readonly files: FileStore,
    private readonly uploads: UploadStore,
    private readonly blobs: BlobStore,
    private readonly limits: VaultLimits,
    private readonly now: () => number = Date.now,
    /** Counts the bytes that arrive (metrics). */
    private readonly bytesIn: (bytes: number) => void = () => {},
    nodeIdentity = `${hostname()}`,
  ) {
    this.node = createHash('sha256').update(nodeIdentity).digest('hex').slice(0, 12)
  }

  /** At start: leases this node's previous process held (it died mid-request) are free again at once, instead of
   * after LEASE_MS, so its clients resume right away. */
  async releaseStaleLeases(): Promise<number> {
    return this.uploads.releaseAll(`${this.node}:`)
  }

  private view(row: UploadRow, file?: FileRow): Upload {
    return { id: row.id, offset: file ? row.size : row.received, length: row.size, file }
  }

  /** A new upload into the owner's folder `folderId` (null: the top level; the caller checked it is the owner's). */
  async create(ownerId: number, name: string, contentType: string, length: number, folderId: string | null = null, origin?: UploadOrigin): Promise<Upload> {
    if (length > this.limits.maxFileBytes) {
      throw new VaultError(413, 'file_too_large', `a file may be at most ${this.limits.maxFileBytes} bytes`)
    }
    const at = new Date(this.now())
    const row: UploadRow = {
      id: randomUUID(),
      ownerId,
      name,
      folderId,
      dropId: origin?.dropId ?? null,
      uploader: origin?.uploader ?? null,
      contentType,
      size: length,
      received: 0,
      storageKey: newKey(),
      segments: 0,
      multipartId: null,
      parts: '[]',
      tailSize: 0,
      leaseOwner: null,
      leaseUntil: null,
      createdAt: at,
      touchedAt: at,
    }
    const created = await this.uploads.create(row, this.limits).catch((error: unknown) => {
      if (isForeignKeyViolation(error)) throw new VaultError(404, 'folder_not_found', 'no such folder')
      throw error
    })
    if (created === 'too_many_uploads') {
      throw new VaultError(429, 'too_many_uploads', `at most ${this.limits.maxOpenUploads} uploads may be open at once`)
    }
    if (created === 'uploads_busy') {
      throw new VaultError(503, 'uploads_busy', 'the server has as many uploads open as it takes; try again in a few minutes')
    }
    if (created === 'quota_exceeded') {
      throw new VaultError(413, 'quota_exceeded', `this upload would exceed your quota of ${this.limits.quotaBytes} bytes`)
    }
    try {
      const { multipartId } = await this.blobs.beginUpload(row.storageKey, length)
      if (multipartId) {
        await this.uploads.attach(row.id, multipartId)
        row.multipartId = multipartId
      }
    } catch (error) {
      await this.uploads.delete(row.id).catch(() => {})
      throw error
    }
    if (length === 0) return this.view(row, await this.complete(row))
    return this.view(row)
  }

  /** Where one of the owner's uploads came from: its drop and uploader, null for the owner's own, undefined when
   * the owner has no such upload. */
  async originOf(ownerId: number, id: string): Promise<UploadOrigin | null | undefined> {
    const done = this.finished.get(id)
    if (done && done.ownerId === ownerId) return done.origin
    const row = await this.uploads.get(ownerId, id)
    if (!row) return undefined
    return row.dropId && row.uploader ? { dropId: row.dropId, uploader: row.uploader } : null
  }

  /** The owner's upload (or the file it recently became); someone else's id is as unknown as a made-up one. */
  async get(ownerId: number, id: string): Promise<Upload> {
    const done = this.finished.get(id)
    if (done && done.ownerId === ownerId) return done.upload
    const row = await this.uploads.get(ownerId, id)
    if (!row) throw new VaultError(404, 'upload_not_found', 'no such upload')
    // Every byte arrived but a crash came before the file was recorded: finish it now.
    if (row.received === row.size && row.size > 0) return this.view(row, await this.withLease(row, () => this.complete(row)))
    return this.view(row)
  }

  /** Runs `work` holding the upload's lease (renewed meanwhile); 423 when another writer holds it. */
  private async withLease<T>(row: UploadRow, work: (claimed: UploadRow, record: (change: UploadProgress) => Promise<void>) => Promise<T>): Promise<T> {
    const holder = `${this.node}:${process.pid}:${randomUUID()}`
    const claimed = await this.uploads.claim(row.ownerId, row.id, holder, new Date(this.now()), new Date(this.now() + LEASE_MS))
    if (!claimed) throw new VaultError(423, 'upload_busy', 'another request is writing to this upload')
    let lost = false
    const renewal = setInterval(() => {
      void this.uploads.renew(row.id, holder, new Date(this.now() + LEASE_MS)).then(
        (held) => (lost ||= !held),
        () => {},
      )
    }, LEASE_MS / 3)
    const record = async (change: UploadProgress) => {
      if (lost || !(await this.uploads.progress(row.id, holder, { ...change, touchedAt: new Date(this.now()) }))) {
        lost = true
        throw new VaultError(423, 'upload_busy', 'another request took over this upload')
      }
      Object.assign(claimed, change)
    }
    try {
      return await work(claimed, record)
    } finally {
      clearInterval(renewal)
      await this.uploads.release(row.id, holder, new Date(this.now())).catch(() => {})
    }
  }

  /**
   * Appends a request body at `offset`. Returns the upload as it now stands. A body that ends early (a dropped
   * connection) keeps every byte that was stored, so the client can ask for the offset and continue from there.
   */
  async append(ownerId: number, id: string, offset: number, request: Request, declaredLength?: number): Promise<Upload> {
    if (this.finished.get(id)?.ownerId === ownerId) throw new VaultError(409, 'upload_complete', 'this upload is already complete')
    const row = await this.uploads.get(ownerId, id)
    if (!row) throw new VaultError(404, 'upload_not_found', 'no such upload')
    if (offset !== row.received) {
      throw new VaultError(409, 'offset_mismatch', `the upload is at offset ${row.received}, not ${offset}`)
    }
    if (declaredLength !== undefined && row.received + declaredLength > row.size) {
      throw new VaultError(413, 'beyond_length', `the upload is ${row.size} bytes; this body would go past its end`)
    }
    return this.withLease(row, async (claimed, record) => {
      if (claimed.received !== offset) throw new VaultError(409, 'offset_mismatch', `the upload is at offset ${claimed.received}, not ${offset}`)
      let outcome
      try {
        outcome = await this.blobs.append({ upload: claimed, request, declaredLength, record, bytesIn: this.bytesIn })
      } catch (error) {
        if (error instanceof VaultError && error.code === 'upload_broken') await this.discard(claimed)
        throw error
      }
      if (outcome.received === claimed.size) return this.view(claimed, await this.complete(claimed))
      if (outcome.refused) throw outcome.refused
      return this.view(claimed)
    })
  }

  /** The upload becomes a file: the blob made whole, then its row written in place of the upload's, under its
   * name or the next free one ("name (2).ext") when another file took it meanwhile. */
  private async complete(row: UploadRow): Promise<FileRow> {
    try {
      const sha256 = await this.blobs.completeUpload(row)
      const at = new Date(this.now())
      let folderId = row.folderId
      for (const name of candidateNames(row.name)) {
        if (await this.files.nameTaken(row.ownerId, folderId, name)) continue
        try {
          const file = await this.uploads.finish(row.id, {
            id: randomUUID(),
            ownerId: row.ownerId,
            folderId,
            name,
            size: row.size,
            contentType: row.contentType,
            sha256,
            storageKey: row.storageKey,
            createdAt: at,
            updatedAt: at,
          })
          const origin = row.dropId && row.uploader ? { dropId: row.dropId, uploader: row.uploader } : null
          this.finished.set(row.id, { ownerId: row.ownerId, upload: this.view(row, file), at: this.now(), origin })
          return file
        } catch (error) {
          // Its folder was deleted while the bytes arrived: the file lands at the top level instead of being lost.
          if (isForeignKeyViolation(error) && folderId !== null) folderId = null
          else if (!(error instanceof FileNameTakenError)) throw error
        }
      }
      throw new Error('unreachable')
    } catch (error) {
      if (error instanceof VaultError && error.code !== 'upload_broken') throw error
      // A complete upload that cannot become a file cannot be resumed either: nothing of it is kept.
      await this.blobs.remove(row.storageKey).catch(() => {})
      await this.discard(row)
      throw error
    }
  }

  /** Forgets an upload and deletes everything it stored. */
  private async discard(row: UploadRow): Promise<void> {
    await this.blobs.abortUpload(row).catch(() => {})
    await this.uploads.delete(row.id)
  }

  /** Cancels an upload and deletes what it received. */
  async terminate(ownerId: number, id: string): Promise<void> {
    const done = this.finished.get(id)
    if (done && done.ownerId === ownerId) {
      this.finished.delete(id)
      return
    }
    const row = await this.uploads.get(ownerId, id)
    if (!row) throw new VaultError(404, 'upload_not_found', 'no such upload')
    await this.withLease(row, async (claimed) => {
      await this.blobs.abortUpload(claimed)
      await this.uploads.delete(claimed.id)
    })
  }

  /** Discards abandoned uploads (soon when they never received a byte) and forgets finished ones. */
  async sweep(): Promise<void> {
    const now = this.now()
    for (const [id, done] of this.finished) if (done.at < now - this.limits.uploadIdleMs) this.finished.delete(id)
    const before = new Date(now - Math.min(this.limits.unusedUploadMs, this.limits.uploadIdleMs))
    for (const row of await this.uploads.idle(before, new Date(now), 500)) {
      const idleFor = row.received === 0 ? this.limits.unusedUploadMs : this.limits.uploadIdleMs
      if (row.touchedAt.getTime() > now - idleFor) continue
      await this.discard(row).catch(() => {})
    }
  }

  /**
   * Erases an owner's vault around `deleteRows` (which deletes the account and, by foreign key, its file and upload
   * rows): what their files and unfinished uploads stored is read first and deleted once the rows are gone. Bytes a
   * failure leaves behind have no row, so the orphan sweep takes them later.
   */
  async eraseOwner<T>(ownerId: number, deleteRows: () => Promise<T>): Promise<T> {
    const [keys, open] = await Promise.all([this.files.keysOf(ownerId), this.uploads.ofOwner(ownerId)])
    const result = await deleteRows()
    for (const key of keys) await this.blobs.remove(key).catch(() => {})
    for (const row of open) await this.blobs.abortUpload(row).catch(() => {})
    return result
  }

  /** Removes bytes no row refers to; `graceMs` 0 at the start of a single node, which has nothing under way. */
  async removeOrphans(graceMs = ORPHAN_GRACE_MS): Promise<number> {
    return this.blobs.sweep(await this.files.storageKeys(), await this.uploads.all(), graceMs)
  }

  start(intervalMs: number): void {
    this.sweeper = setInterval(() => void this.sweep().catch(() => {}), intervalMs)
    this.sweeper.unref()
    this.orphanSweeper = setInterval(() => void this.removeOrphans().catch(() => {}), 6 * 60 * 60_000)
    this.orphanSweeper.unref()
  }

  stop(): void {
    clearInterval(this.sweeper)
    clearInterval(this.orphanSweeper)
    this.blobs.close()
  }
}
