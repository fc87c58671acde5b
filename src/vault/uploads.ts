// Resumable uploads (the tus model): an upload is created with its total length, receives bytes at its current
// offset in one or more requests, and becomes a vault file only when complete: flushed, hashed, renamed into
// place, and recorded. Bytes are hashed as they arrive, so a 1 GiB file is never read twice. Uploads live in
// memory and in DATA_DIR/vault/tmp; a restart discards them (the temporaries are removed at start).
import { closeSync, ftruncateSync, openSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import type { FileStore } from '../db/files'
import type { FileRow } from '../db/schema'
import { newKey, type LocalBlobStore } from './blob-store'
import { nextFreeName } from './names'
import { UploadHasher } from './hasher'

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

/** Bytes buffered by the file writer before they are flushed and counted: bounded memory per upload. */
const WRITE_BUFFER = 2 << 20
/** Bytes handed to the hashing thread per message. */
const HASH_BATCH = 1 << 20

export class UploadManager {
  private readonly uploads = new Map<string, Upload>()
  private sweeper: ReturnType<typeof setInterval> | undefined
  /** SHA-256 of each upload's bytes [0, offset), computed on a worker thread beside the transfer. */
  private readonly hasher = new UploadHasher()

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
    this.hasher.start(upload.id)
    try {
      await Bun.write(upload.tempPath, '')
    } catch (error) {
      this.uploads.delete(upload.id)
      this.hasher.drop(upload.id)
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
    let fd: number | undefined
    try {
      // Appending, from exactly the offset: whatever a failed request may have left past it is cut off first.
      fd = openSync(upload.tempPath, 'a')
      ftruncateSync(fd, upload.offset)
      await this.receive(upload, fd, body)
    } finally {
      upload.busy = false
      upload.touchedAt = this.now()
      if (fd !== undefined) closeSync(fd)
    }
    if (upload.offset === upload.length) await this.complete(upload)
    return upload
  }

  private async receive(upload: Upload, fd: number, body: ReadableStream<Uint8Array> | null): Promise<void> {
    if (!body) return
    // Bun's native file writer on an O_APPEND descriptor, and the hash on a worker thread: reading the socket,
    // writing the disk and hashing overlap. Bytes count as received (the offset moves) only once a flush has put
    // them on disk; if a flush fails, the hash rolls back to the last commit and the file is cut back to the
    // offset, so offset, file and hash always agree, whatever happens to the connection or the disk.
    const writer = Bun.file(fd).writer({ highWaterMark: WRITE_BUFFER })
    let unflushed = 0
    let toHash: Uint8Array[] = []
    let toHashBytes = 0
    const sendToHasher = () => {
      if (toHashBytes === 0) return
      // A fresh buffer of our own to transfer: the writer may still hold the stream's buffers, and a pooled Buffer
      // must never be detached.
      const batch = new Uint8Array(toHashBytes)
      let at = 0
      for (const chunk of toHash) {
        batch.set(chunk, at)
        at += chunk.byteLength
      }
      this.hasher.update(upload.id, batch)
      toHash = []
      toHashBytes = 0
    }
    const commit = async () => {
      if (unflushed === 0) return
      try {
        await writer.flush()
      } catch (error) {
        toHash = []
        toHashBytes = 0
        this.hasher.rollback(upload.id)
        try {
          ftruncateSync(fd, upload.offset)
        } catch {}
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'ENOSPC' || code === 'EDQUOT') throw new VaultError(507, 'storage_full', 'the server has no space left for this upload')
        throw error
      }
      sendToHasher()
      this.hasher.commit(upload.id)
      upload.offset += unflushed
      unflushed = 0
    }
    const reader = body.getReader()
    // Everything read so far, written or not: past the declared length the request is refused at once.
    let received = upload.offset
    try {
      for (;;) {
        let result: Awaited<ReturnType<typeof reader.read>>
        try {
          result = await reader.read()
        } catch {
          break // the client went away: keep what arrived
        }
        if (result.done) break
        const chunk = result.value
        received += chunk.byteLength
        if (received > upload.length) {
          await commit()
          throw new VaultError(413, 'beyond_length', `the upload is ${upload.length} bytes; the body went past its end`)
        }
        writer.write(chunk)
        toHash.push(chunk)
        toHashBytes += chunk.byteLength
        unflushed += chunk.byteLength
        if (toHashBytes >= HASH_BATCH) {
          sendToHasher()
          await this.hasher.ready()
        }
        if (unflushed >= WRITE_BUFFER) await commit()
      }
      await commit()
    } finally {
      reader.releaseLock()
    }
  }

  private async complete(upload: Upload): Promise<void> {
    const sha256 = await this.hasher.digest(upload.id)
    this.hasher.drop(upload.id)
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
    this.hasher.drop(id)
    if (!upload.file) await this.blobs.removeTemp(upload.tempPath)
  }

  /** Forgets finished uploads and discards abandoned ones. */
  async sweep(): Promise<void> {
    const cutoff = this.now() - this.limits.uploadIdleMs
    for (const upload of [...this.uploads.values()]) {
      if (upload.busy || upload.touchedAt > cutoff) continue
      this.uploads.delete(upload.id)
      this.hasher.drop(upload.id)
      if (!upload.file) await this.blobs.removeTemp(upload.tempPath)
    }
  }

  start(intervalMs: number): void {
    this.sweeper = setInterval(() => void this.sweep(), intervalMs)
    this.sweeper.unref()
  }

  stop(): void {
    clearInterval(this.sweeper)
    this.hasher.close()
  }
}

export type { Upload }
