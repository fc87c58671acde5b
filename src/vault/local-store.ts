// Vault bytes on local disk: DATA_DIR/vault/blobs/<2 hex>/<32 hex> for files, DATA_DIR/vault/tmp for uploads in
// progress. Each request body of an upload is written by Bun straight into a segment file of its own (natively, as
// fast as a bare Bun.write), while the upload's hashing thread follows the file and hashes what lands, so hashing
// overlaps the transfer and covers exactly the stored bytes. The row records each finished segment; after a
// restart the segments on disk are hashed again by the next request's thread, and a segment the row does not
// record (a request cut by a crash) is dropped: the client asks for the offset and sends it again.
import { mkdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import type { UploadRow } from '../db/uploads'
import { checkKey, type AppendContext, type AppendOutcome, type BlobStore, type ByteRange } from './blob-store'
import { uploadBroken, VaultError } from './errors'
import { UploadHasher } from './hasher'

export class LocalBlobStore implements BlobStore {
  readonly kind = 'local' as const
  readonly tmpDir: string
  readonly blobsDir: string
  /** The hashing state of uploads this process is receiving. */
  private readonly hashers = new Map<string, UploadHasher>()

  constructor(root: string) {
    this.tmpDir = join(root, 'tmp')
    this.blobsDir = join(root, 'blobs')
    mkdirSync(this.tmpDir, { recursive: true })
    mkdirSync(this.blobsDir, { recursive: true })
  }

  async verify(): Promise<void> {}

  /** The path of a blob; throws for anything that is not a key this store made, so no request can steer a path. */
  path(key: string): string {
    checkKey(key)
    return join(this.blobsDir, key.slice(0, 2), key)
  }

  private tempPath(key: string): string {
    return join(this.tmpDir, `${checkKey(key)}.part`)
  }

  /** Where the `index`-th request body of an upload is written. */
  private segmentPath(key: string, index: number): string {
    return `${this.tempPath(key)}.${index}`
  }

  private segments(upload: UploadRow): string[] {
    return Array.from({ length: upload.segments }, (_, i) => this.segmentPath(upload.storageKey, i))
  }

  private hasherFor(upload: UploadRow): UploadHasher {
    let hasher = this.hashers.get(upload.id)
    if (!hasher) this.hashers.set(upload.id, (hasher = new UploadHasher()))
    return hasher
  }

  private dropHasher(upload: UploadRow): void {
    this.hashers.get(upload.id)?.close()
    this.hashers.delete(upload.id)
  }

  async beginUpload(): Promise<{ multipartId: string | null }> {
    return { multipartId: null }
  }

  /**
   * Writes one request body into a new segment file. With a Content-Length Bun streams the request into it
   * natively; without one, a counting stream in between refuses the first chunk past the upload's end. A body cut
   * short keeps every byte that landed. The row moves only after the hash has covered the segment.
   */
  async append({ upload, request, declaredLength, record, bytesIn }: AppendContext): Promise<AppendOutcome> {
    const path = this.segmentPath(upload.storageKey, upload.segments)
    // Left by a request that a crash cut short: not recorded, so not part of the upload.
    rmSync(path, { force: true })
    // `request.body` is not touched on the fast path: reading it turns Bun's native body into a JavaScript
    // stream, and Bun.write then copies through it at about half the speed.
    if (declaredLength === 0 || (declaredLength === undefined && !request.body)) return { received: upload.received }
    writeFileSync(path, '')
    const hasher = this.hasherFor(upload)
    const following = hasher.follow(path, this.segments(upload))
    let refused: VaultError | undefined
    let source: Request | Response = request
    if (declaredLength === undefined) {
      let received = upload.received
      source = new Response(
        request.body!.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              received += chunk.byteLength
              if (received > upload.size) {
                refused = new VaultError(413, 'beyond_length', `the upload is ${upload.size} bytes; the body went past its end`)
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
    if (hashed !== size || upload.received + size > upload.size) {
      // The hash and the bytes no longer agree: this upload cannot be trusted or resumed.
      this.dropHasher(upload)
      throw uploadBroken()
    }
    if (size === 0) {
      rmSync(path, { force: true })
      if (refused) throw refused
      return { received: upload.received }
    }
    const received = upload.received + size
    try {
      await record({ received, segments: upload.segments + 1 })
    } catch (error) {
      // Not recorded, so not stored: the hash (which now covers it) starts again from the recorded segments.
      this.dropHasher(upload)
      rmSync(path, { force: true })
      throw error
    }
    bytesIn(size)
    return { received, refused }
  }

  async completeUpload(upload: UploadRow): Promise<string> {
    const target = this.path(upload.storageKey)
    const segments = this.segments(upload)
    if (upload.size > 0 && !segments.every((s) => existsSync(s)) && existsSync(target)) {
      // Completed once already, and a crash came before the row: the blob is whole; hash it again.
      if ((await stat(target)).size !== upload.size) throw uploadBroken()
      const hash = createHash('sha256')
      for await (const chunk of Bun.file(target).stream()) hash.update(chunk)
      return hash.digest('hex')
    }
    const sha256 = await this.hasherFor(upload).digest(segments)
    const temp = this.tempPath(upload.storageKey)
    if (segments.length === 0) writeFileSync(temp, '')
    await this.publish(await this.assemble(segments, temp), upload.storageKey)
    this.dropHasher(upload)
    return sha256
  }

  /** The complete file as one temporary: the only segment as it is, or the segments joined. */
  private async assemble(segments: string[], temp: string): Promise<string> {
    if (segments.length === 0) return temp
    if (segments.length === 1) return segments[0]!
    const writer = Bun.file(temp).writer()
    for (const segment of segments) {
      for await (const chunk of Bun.file(segment).stream()) {
        writer.write(chunk)
        await writer.flush()
      }
    }
    await writer.end()
    for (const segment of segments) rmSync(segment, { force: true })
    return temp
  }

  /** Makes a finished temporary file a blob: flushed to disk, then renamed into place, then the directory entry
   * flushed, so after a crash the blob is either whole or absent. */
  private async publish(tempPath: string, key: string): Promise<void> {
    const target = this.path(key)
    const dir = join(this.blobsDir, key.slice(0, 2))
    const file = await open(tempPath, 'r+')
    try {
      await file.sync()
    } finally {
      await file.close()
    }
    await mkdir(dir, { recursive: true })
    await rename(tempPath, target)
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  }

  async abortUpload(upload: UploadRow): Promise<void> {
    this.dropHasher(upload)
    // One past the recorded segments: the one a failed request may have left.
    for (let i = 0; i <= upload.segments; i++) await rm(this.segmentPath(upload.storageKey, i), { force: true })
    await rm(this.tempPath(upload.storageKey), { force: true })
  }

  async body(key: string, _size: number, range?: ByteRange): Promise<BodyInit> {
    const file = Bun.file(this.path(key))
    return range ? file.slice(range.start, range.end + 1) : file
  }

  async remove(key: string): Promise<void> {
    await unlink(this.path(key)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
    })
  }

  async sweep(fileKeys: Set<string>, uploads: UploadRow[], graceMs: number): Promise<number> {
    const cutoff = Date.now() - graceMs
    const live = new Set(uploads.map((u) => u.storageKey))
    let removed = 0
    const old = async (path: string) => (await stat(path).catch(() => undefined))?.mtimeMs ?? Infinity
    for (const name of await readdir(this.tmpDir)) {
      const key = name.slice(0, 32)
      if (live.has(key) || (await old(join(this.tmpDir, name))) > cutoff) continue
      await rm(join(this.tmpDir, name), { force: true, recursive: true })
      removed++
    }
    for (const shard of await readdir(this.blobsDir)) {
      for (const name of await readdir(join(this.blobsDir, shard))) {
        const path = join(this.blobsDir, shard, name)
        if (fileKeys.has(name) || live.has(name) || (await old(path)) > cutoff) continue
        await rm(path, { force: true, recursive: true })
        removed++
      }
    }
    return removed
  }

  close(): void {
    for (const hasher of this.hashers.values()) hasher.close()
    this.hashers.clear()
  }
}
