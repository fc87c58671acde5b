// Where vault bytes live: DATA_DIR/vault/blobs/<2 hex>/<32 hex>, names the server chose, and DATA_DIR/vault/tmp for
// uploads in progress. A user's file name never reaches a path here. An S3-backed store would implement the same
// operations (publish = complete a multipart upload).
import { mkdirSync } from 'node:fs'
import { mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'

const KEY = /^[0-9a-f]{32}$/

export function newKey(): string {
  return randomBytes(16).toString('hex')
}

export class LocalBlobStore {
  readonly tmpDir: string
  readonly blobsDir: string

  constructor(root: string) {
    this.tmpDir = join(root, 'tmp')
    this.blobsDir = join(root, 'blobs')
    mkdirSync(this.tmpDir, { recursive: true })
    mkdirSync(this.blobsDir, { recursive: true })
  }

  /** The path of a blob; throws for anything that is not a key this store made, so no request can steer a path. */
  path(key: string): string {
    if (!KEY.test(key)) throw new Error(`not a storage key: ${JSON.stringify(key)}`)
    return join(this.blobsDir, key.slice(0, 2), key)
  }

  tempPath(key: string): string {
    if (!KEY.test(key)) throw new Error(`not an upload key: ${JSON.stringify(key)}`)
    return join(this.tmpDir, `${key}.part`)
  }

  /** Makes a finished temporary file a blob: flushed to disk, then renamed into place, then the directory entry
   * flushed, so after a crash the blob is either whole or absent. */
  async publish(tempPath: string, key: string): Promise<void> {
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

  async remove(key: string): Promise<void> {
    await unlink(this.path(key)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
    })
  }

  async removeTemp(path: string): Promise<void> {
    await rm(path, { force: true })
  }

  /** Deletes every leftover temporary (uploads do not survive a restart); returns how many. */
  async cleanTemporaries(): Promise<number> {
    const entries = await readdir(this.tmpDir)
    await Promise.all(entries.map((name) => rm(join(this.tmpDir, name), { force: true, recursive: true })))
    return entries.length
  }

  /** Deletes blobs no metadata row refers to (a crash between publishing and recording); returns how many. */
  async removeOrphans(known: Set<string>): Promise<number> {
    let removed = 0
    for (const shard of await readdir(this.blobsDir)) {
      for (const name of await readdir(join(this.blobsDir, shard))) {
        if (!known.has(name)) {
          await rm(join(this.blobsDir, shard, name), { force: true, recursive: true })
          removed++
        }
      }
    }
    return removed
  }
}
