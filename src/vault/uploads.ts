// Resumable uploads (the tus model): an upload is created with its total length, receives bytes at its current
// offset in one or more requests, and becomes a vault file only when complete: flushed, hashed, renamed into
// place, and recorded. Each request body is written by Bun straight into a segment file of its own (natively, as
// fast as a bare Bun.write), while the upload's worker follows the file and hashes what lands, so hashing overlaps
// the transfer and covers exactly the stored bytes. A one-request upload's segment becomes the file as it is;
// several segments are joined at the end. Uploads live in memory and in DATA_DIR/vault/tmp; a restart discards
// them (the temporaries are removed at start).
import { rmSync, statSync, writeFileSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import type { FileStore } from '../db/files'
import type { FileRow } from '../db/schema'
import { newKey, type LocalBlobStore } from './blob-store'
import { candidateNames } from './names'
import { FileNameTakenError } from '../db/files'
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
  /** Unfinished uploads one user, and the whole server, may have open at once. */
  maxOpenUploads: number
  maxOpenUploadsTotal: number
  /** An upload that never received a byte is discarded after this long. */
  unusedUploadMs: number
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
  /** The bodies received so far, in order; their sizes add up to `offset`. */
  segments: string[]
  /** SHA-256 of bytes [0, offset), kept by the upload's own worker. */
  hasher: UploadHasher
  /** Set once complete: the file it became. */
  file?: FileRow
}


/** Where the `index`-th request body of an upload is written. */
function segmentPath(upload: Upload, index: number): string {
  return `${upload.tempPath}.${index}`
}

export class UploadManager {
  private readonly uploads = new Map<string, Upload>()
  private sweeper: ReturnType<typeof setInterval> | undefined

  constructor(
    private readonly files: FileStore,
    private readonly blobs: LocalBlobStore,
    private readonly limits: VaultLimits,
    private readonly now: () => number = Date.now,
    /** Counts the bytes that arrive (metrics). */
    private readonly bytesIn: (bytes: number) => void = () => {},
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
    const unfinished = [...this.uploads.values()].filter((u) => !u.file)
    if (unfinished.filter((u) => u.ownerId === ownerId).length >= this.limits.maxOpenUploads) {
      throw new VaultError(429, 'too_many_uploads', `at most ${this.limits.maxOpenUploads} uploads may be open at once`)
    }
    if (unfinished.length >= this.limits.maxOpenUploadsTotal) {
      throw new VaultError(503, 'uploads_busy', 'the server has as many uploads open as it takes; try again in a few minutes')
    }
    const used = (await this.files.usage(ownerId)).bytes + this.reserved(ownerId)
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
      segments: [],
      hasher: new UploadHasher(),
    }
    // Reserved before the first await, so two uploads created at once cannot both fit into the same free space.
    this.uploads.set(upload.id, upload)
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
  async append(ownerId: number, id: string, offset: number, request: Request, declaredLength?: number): Promise<Upload> {
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
      await this.receive(upload, request, declaredLength)
    } finally {
      upload.busy = false
      upload.touchedAt = this.now()
    }
    if (upload.offset === upload.length) await this.complete(upload)
    return upload
  }

  /**
   * Writes one request body into a new segment file. With a Content-Length Bun streams the request into it
   * natively; without one, a counting stream in between refuses the first chunk past the declared length. A body cut
   * short keeps every byte that landed. The offset moves only after the hash has covered the segment.
   */
  private async receive(upload: Upload, request: Request, declaredLength?: number): Promise<void> {
    // `request.body` is not touched on the fast path: reading it turns Bun's native body into a JavaScript
    // stream, and Bun.write then copies through it at about half the speed.
    if (declaredLength === 0 || (declaredLength === undefined && !request.body)) return
    const path = segmentPath(upload, upload.segments.length)
    writeFileSync(path, '')
    const following = upload.hasher.follow(path, upload.segments)
    let refused: VaultError | undefined
    let source: Request | Response = request
    if (declaredLength === undefined) {
      let received = upload.offset
      source = new Response(
        request.body!.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              received += chunk.byteLength
              if (received > upload.length) {
                refused = new VaultError(413, 'beyond_length', `the upload is ${upload.length} bytes; the body went past its end`)
                controller.error(refused)
              } else controller.enqueue(chunk)
            },
          }),
        ),
      )
    }
    try {
      await Bun.write(path, source)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (!refused && (code === 'ENOSPC' || code === 'EDQUOT')) {
        refused = new VaultError(507, 'storage_full', 'the server has no space left for this upload')
      }
      // Anything else is the client going away mid-body: what arrived stays, and it can resume from there.
    }
    const size = statSync(path).size
    const hashed = await following.finish(size).catch(() => -1)
    if (hashed !== size || upload.offset + size > upload.length) {
      // The hash and the bytes no longer agree: this upload cannot be trusted or resumed.
      await this.discard(upload)
      throw new VaultError(500, 'upload_broken', 'the upload could not be verified; start it again')
    }
    if (size > 0) upload.segments.push(path)
    else rmSync(path, { force: true })
    upload.offset += size
    this.bytesIn(size)
    if (refused) throw refused
  }

  /** Forgets an upload and deletes everything it wrote. */
  private async discard(upload: Upload): Promise<void> {
    this.uploads.delete(upload.id)
    upload.hasher.close()
    // One past the recorded segments: the one a failed request may have left.
    for (let i = 0; i <= upload.segments.length; i++) await this.blobs.removeTemp(segmentPath(upload, i))
    await this.blobs.removeTemp(upload.tempPath)
  }

  /** The complete file as one temporary: the only segment as it is, or the segments joined. */
  private async assemble(upload: Upload): Promise<string> {
    if (upload.segments.length === 1) return upload.segments[0]!
    const writer = Bun.file(upload.tempPath).writer()
    for (const segment of upload.segments) {
      for await (const chunk of Bun.file(segment).stream()) {
        writer.write(chunk)
        await writer.flush()
      }
    }
    await writer.end()
    for (const segment of upload.segments) rmSync(segment, { force: true })
    return upload.tempPath
  }

  /** Writes the file's row under its name, or the next free one ("name (2).ext"); another upload finishing with the
   * same name at the same moment (on this node or another) makes the insert fail, and the next name is tried. */
  private async record(row: FileRow): Promise<FileRow> {
    for (const name of candidateNames(row.name)) {
      if (await this.files.nameTaken(row.ownerId, name)) continue
      try {
        return await this.files.insert({ ...row, name })
      } catch (error) {
        if (!(error instanceof FileNameTakenError)) throw error
      }
    }
    throw new Error('unreachable')
  }

  private async complete(upload: Upload): Promise<void> {
    try {
      const sha256 = await upload.hasher.digest(upload.segments)
      if (upload.segments.length === 0) writeFileSync(upload.tempPath, '')
      await this.blobs.publish(await this.assemble(upload), upload.key)
      const at = new Date(this.now())
      try {
        upload.file = await this.record({
          id: randomUUID(),
          ownerId: upload.ownerId,
          name: upload.name,
          size: upload.length,
          contentType: upload.contentType,
          sha256,
          storageKey: upload.key,
          createdAt: at,
          updatedAt: at,
        })
      } catch (error) {
        await this.blobs.remove(upload.key)
        throw error
      }
      upload.hasher.close()
    } catch (error) {
      // A complete upload that cannot become a file cannot be resumed either: nothing of it is kept.
      await this.discard(upload)
      throw error
    }
  }

  /** Cancels an upload and deletes what it received. */
  async terminate(ownerId: number, id: string): Promise<void> {
    const upload = this.get(ownerId, id)
    if (upload.busy) throw new VaultError(423, 'upload_busy', 'another request is writing to this upload')
    if (upload.file) this.uploads.delete(id)
    else await this.discard(upload)
  }

  /** Forgets finished uploads and discards abandoned ones: soon when they never received a byte. */
  async sweep(): Promise<void> {
    const now = this.now()
    for (const upload of [...this.uploads.values()]) {
      const idleFor = upload.offset === 0 && !upload.file ? this.limits.unusedUploadMs : this.limits.uploadIdleMs
      if (upload.busy || upload.touchedAt > now - idleFor) continue
      if (upload.file) this.uploads.delete(upload.id)
      else await this.discard(upload)
    }
  }

  start(intervalMs: number): void {
    this.sweeper = setInterval(() => void this.sweep(), intervalMs)
    this.sweeper.unref()
  }

  stop(): void {
    clearInterval(this.sweeper)
    for (const upload of this.uploads.values()) upload.hasher.close()
  }
}

export type { Upload }
