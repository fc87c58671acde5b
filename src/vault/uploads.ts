// Resumable uploads (the tus model): an upload is created with its total length, receives bytes at its current
// offset in one or more requests, and becomes a vault file only when complete: flushed, hashed, renamed into
// place, and recorded. Bytes are hashed as they arrive, so a 1 GiB file is never read twice. Uploads live in
// memory and in DATA_DIR/vault/tmp; a restart discards them (the temporaries are removed at start).
import { randomUUID } from 'node:crypto'
import type { FileStore } from '../db/files'
import type { FileRow } from '../db/schema'
import { newKey, type LocalBlobStore } from './blob-store'
import { nextFreeName } from './names'
import { UploadWriter } from './upload-writer'

/** A refusal the client should see as it is: the edge answers with its status, code and message. */
export class VaultError extends Error {
  readonly expose = true
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export interface VaultLimits {
  quotaBytes: number
  maxFileBytes: number
  /** Uploads one user may have open at once. */
  maxOpenUploads: number
  /** An upload nobody touched for this long is discarded. */
  uploadIdleMs: number
}

interface Upload {
  id: string
  ownerId: number
  name: string
  contentType: string
  length: number
  offset: number
  key: string
  tempPath: string
  busy: boolean
  touchedAt: number
  /** Set once complete: the file it became. */
  file?: FileRow
}


export class UploadManager {
  private readonly uploads = new Map<string, Upload>()
  private sweeper: ReturnType<typeof setInterval> | undefined
  /** Writes each upload's bytes to its temporary file and hashes them, on a thread of its own. */
  private readonly writer = new UploadWriter()

  constructor(
    private readonly files: FileStore,
    private readonly blobs: LocalBlobStore,
    private readonly limits: VaultLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Bytes promised to this owner's unfinished uploads, counted against the quota before they arrive. */
  private reserved(ownerId: number): number {
    let bytes = 0
    for (const upload of this.uploads.values()) if (upload.ownerId === ownerId && !upload.file) bytes += upload.length
    return bytes
  }

  async create(ownerId: number, name: string, contentType: string, length: number): Promise<Upload> {
    if (length > this.limits.maxFileBytes) {
      throw new VaultError(413, 'file_too_large', `a file may be at most ${this.limits.maxFileBytes} bytes`)
    }
    const open = [...this.uploads.values()].filter((u) => u.ownerId === ownerId && !u.file).length
    if (open >= this.limits.maxOpenUploads) {
      throw new VaultError(429, 'too_many_uploads', `at most ${this.limits.maxOpenUploads} uploads may be open at once`)
    }
    const used = this.files.usage(ownerId).bytes + this.reserved(ownerId)
    if (used + length > this.limits.quotaBytes) {
      throw new VaultError(413, 'quota_exceeded', `this upload would exceed your quota of ${this.limits.quotaBytes} bytes`)
    }
    const key = newKey()
    const upload: Upload = {
      id: randomUUID(),
      ownerId,
      name,
      contentType,
      length,
      offset: 0,
      key,
      tempPath: this.blobs.tempPath(key),
      busy: false,
      touchedAt: this.now(),
    }
    // Reserved before the first await, so two uploads created at once cannot both fit into the same free space.
    this.uploads.set(upload.id, upload)
    this.writer.start(upload.id)
    try {
      await Bun.write(upload.tempPath, '')
    } catch (error) {
      this.uploads.delete(upload.id)
      this.writer.drop(upload.id)
      throw error
    }
    if (length === 0) await this.complete(upload)
    return upload
  }

  /** The owner's upload; someone else's id is as unknown as a made-up one. */
  get(ownerId: number, id: string): Upload {
    const upload = this.uploads.get(id)
    if (!upload || upload.ownerId !== ownerId) throw new VaultError(404, 'upload_not_found', 'no such upload')
    return upload
  }

  /**
   * Appends a request body at `offset`. Returns the new offset. A body that ends early (a dropped connection) keeps
   * every byte that arrived, so the client can ask for the offset and continue from there.
   */
  async append(ownerId: number, id: string, offset: number, body: ReadableStream<Uint8Array> | null, declaredLength?: number): Promise<Upload> {
    const upload = this.get(ownerId, id)
    if (upload.file) throw new VaultError(409, 'upload_complete', 'this upload is already complete')
    if (upload.busy) throw new VaultError(423, 'upload_busy', 'another request is writing to this upload')
    if (offset !== upload.offset) {
      throw new VaultError(409, 'offset_mismatch', `the upload is at offset ${upload.offset}, not ${offset}`)
    }
    if (declaredLength !== undefined && upload.offset + declaredLength > upload.length) {
      throw new VaultError(413, 'beyond_length', `the upload is ${upload.length} bytes; this body would go past its end`)
    }
    upload.busy = true
    upload.touchedAt = this.now()
    try {
      await this.receive(upload, body)
    } finally {
      upload.busy = false
      upload.touchedAt = this.now()
    }
    if (upload.offset === upload.length) await this.complete(upload)
    return upload
  }

  /** Reads the body and hands it to the writer thread; the offset moves to what that thread committed. A body
   * that ends early keeps every byte that reached the disk; one that runs past the declared length is refused. */
  private async receive(upload: Upload, body: ReadableStream<Uint8Array> | null): Promise<void> {
    if (!body) return
    // Appending from exactly the offset: whatever a failed request left past it is cut off first.
    this.writer.open(upload.id, upload.tempPath, upload.offset)
    let refused: VaultError | undefined
    let received = upload.offset
    const reader = body.getReader()
    try {
      for (;;) {
        let result: Awaited<ReturnType<typeof reader.read>>
        try {
          result = await reader.read()
        } catch {
          break // the client went away: keep what arrived
        }
        if (result.done) break
        received += result.value.byteLength
        if (received > upload.length) {
          refused = new VaultError(413, 'beyond_length', `the upload is ${upload.length} bytes; the body went past its end`)
          break
        }
        this.writer.write(upload.id, result.value)
        await this.writer.ready()
      }
    } finally {
      reader.releaseLock()
      const closed = await this.writer.close(upload.id)
      upload.offset = closed.offset
      if (closed.error && !refused) {
        const full = closed.error.code === 'ENOSPC' || closed.error.code === 'EDQUOT'
        refused = full
          ? new VaultError(507, 'storage_full', 'the server has no space left for this upload')
          : new VaultError(500, 'write_failed', 'the upload could not be written; try again')
      }
    }
    if (refused) throw refused
  }

  private async complete(upload: Upload): Promise<void> {
    const sha256 = await this.writer.digest(upload.id)
    this.writer.drop(upload.id)
    await this.blobs.publish(upload.tempPath, upload.key)
    const at = new Date(this.now())
    try {
      upload.file = this.files.insert({
        id: randomUUID(),
        ownerId: upload.ownerId,
        name: nextFreeName(upload.name, (candidate) => this.files.nameTaken(upload.ownerId, candidate)),
        size: upload.length,
        contentType: upload.contentType,
        sha256,
        storageKey: upload.key,
        createdAt: at,
        updatedAt: at,
      })
    } catch (error) {
      await this.blobs.remove(upload.key)
      this.uploads.delete(upload.id)
      throw error
    }
  }

  /** Cancels an upload and deletes what it received. */
  async terminate(ownerId: number, id: string): Promise<void> {
    const upload = this.get(ownerId, id)
    if (upload.busy) throw new VaultError(423, 'upload_busy', 'another request is writing to this upload')
    this.uploads.delete(id)
    this.writer.drop(id)
    if (!upload.file) await this.blobs.removeTemp(upload.tempPath)
  }

  /** Forgets finished uploads and discards abandoned ones. */
  async sweep(): Promise<void> {
    const cutoff = this.now() - this.limits.uploadIdleMs
    for (const upload of [...this.uploads.values()]) {
      if (upload.busy || upload.touchedAt > cutoff) continue
      this.uploads.delete(upload.id)
      this.writer.drop(upload.id)
      if (!upload.file) await this.blobs.removeTemp(upload.tempPath)
    }
  }

  start(intervalMs: number): void {
    this.sweeper = setInterval(() => void this.sweep(), intervalMs)
    this.sweeper.unref()
  }

  stop(): void {
    clearInterval(this.sweeper)
    this.writer.terminate()
  }
}

export type { Upload }
