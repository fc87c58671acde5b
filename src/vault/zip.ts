// A folder as one zip, streamed: each file's bytes go out as they are read from the blob store, stored (not
// compressed — vault files are mostly compressed already), with their CRC-32 computed natively on the way
// (node:zlib's crc32) and written after them in a data descriptor; ZIP64 where sizes or offsets pass 4 GiB. The
// folder tree and its files are walked a page at a time, and the stream is pulled by the client, so memory stays
// bounded whatever the folder holds: what is kept is the central directory (a few dozen bytes per entry, capped).
//
// Why not a library: client-zip (tried first) and fflate both compute the CRC in JavaScript; measured here they
// streamed a file at 164-237 MiB/s, and client-zip's zip of a 1 GiB folder grew the server's RSS by 75 MiB, against
// 2,100 MiB/s for reading the file alone and 1,700-1,900 MiB/s for native CRC-32 (BENCHMARKS.md, "Folder zip").
// The format written is APPNOTE 6.3's stored entries, checked in the tests by Info-ZIP's `unzip -t` and fflate.
import * as contentDisposition from 'content-disposition'
import { crc32 } from 'node:zlib'
import type { FileStore } from '../db/files'
import type { FolderStore } from '../db/folders'
import type { FolderRow } from '../db/schema'
import type { BlobStore } from './blob-store'
import { candidateNames } from './names'
import { VaultError } from './errors'

export interface ZipSources {
  files: FileStore
  folders: FolderStore
  blobs: BlobStore
  bytesOut?: (bytes: number) => void
}

/** A zip holds at most this many entries (files and folders): its central directory is kept until the end. */
export const MAX_ZIP_ENTRIES = 20_000
/** ...and its central directory at most this many bytes (long paths). */
const MAX_DIRECTORY_BYTES = 16 * 1024 * 1024

const U32 = 0xffffffff
/** The chunks read from the blob store live outside the JavaScript heap, which the collector does not count, so
 * they pile up between its runs: a full collection every 64 MiB sent keeps a 1 GiB zip's RSS growth at about 40 MiB
 * instead of 75 (a minor one does not free them; every 32 MiB costs a third of the speed). Measured in
 * bench/folder-zip.ts. */
const COLLECT_EVERY = 64 * 1024 * 1024
const UTF8 = 0x0800
const DESCRIPTOR = 0x0008

type Entry = { path: string; modified: Date; file?: { storageKey: string; size: number } }

/** The entries of `folder` and everything below it, under `prefix`, a page of files at a time. */
async function* entries(folder: FolderRow, prefix: string, sources: ZipSources): AsyncGenerator<Entry> {
  const { files, folders } = sources
  yield { path: `${prefix}/`, modified: folder.updatedAt }
  const subfolders = await folders.children(folder.ownerId, folder.id)
  const folderNames = new Set(subfolders.map((f) => f.name))
  for await (const file of files.walk(folder.ownerId, folder.id)) {
    // A file named like a folder beside it would clash inside the zip: it gets the next free name.
    let name = file.name
    if (folderNames.has(name)) {
      for (const candidate of candidateNames(file.name)) {
        if (!folderNames.has(candidate) && !(await files.nameTaken(folder.ownerId, folder.id, candidate))) {
          name = candidate
          break
        }
      }
    }
    yield { path: `${prefix}/${name}`, modified: file.updatedAt, file: { storageKey: file.storageKey, size: file.size } }
  }
  for (const sub of subfolders) yield* entries(sub, `${prefix}/${sub.name}`, sources)
}

/** MS-DOS time and date (local fields, as every zip tool reads them; seconds in twos). */
function dosTime(date: Date): { time: number; date: number } {
  const year = Math.min(2107, Math.max(1980, date.getFullYear()))
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1),
    date: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  }
}

class ZipWriter {
  private offset = 0
  private readonly directory: Buffer[] = []
  private directoryBytes = 0
  private count = 0

  /** The local header of an entry: a file's CRC and sizes follow its data (in the descriptor); a folder has none. */
  header(path: Buffer, modified: Date, zip64: boolean, isFolder = false): Buffer {
    const { time, date } = dosTime(modified)
    const extra = zip64 ? Buffer.alloc(20) : Buffer.alloc(0)
    if (zip64) {
      extra.writeUInt16LE(0x0001, 0)
      extra.writeUInt16LE(16, 2) // original and compressed size, both zero here: the descriptor has them
    }
    const head = Buffer.alloc(30)
    head.writeUInt32LE(0x04034b50, 0)
    head.writeUInt16LE(zip64 ? 45 : 20, 4)
    head.writeUInt16LE(isFolder ? UTF8 : UTF8 | DESCRIPTOR, 6)
    head.writeUInt16LE(0, 8) // stored
    head.writeUInt16LE(time, 10)
    head.writeUInt16LE(date, 12)
    head.writeUInt32LE(0, 14)
    head.writeUInt32LE(zip64 ? U32 : 0, 18)
    head.writeUInt32LE(zip64 ? U32 : 0, 22)
    head.writeUInt16LE(path.length, 26)
    head.writeUInt16LE(extra.length, 28)
    return Buffer.concat([head, path, extra])
  }

  descriptor(crc: number, size: number, zip64: boolean): Buffer {
    const out = Buffer.alloc(zip64 ? 24 : 16)
    out.writeUInt32LE(0x08074b50, 0)
    out.writeUInt32LE(crc, 4)
    if (zip64) {
      out.writeBigUInt64LE(BigInt(size), 8)
      out.writeBigUInt64LE(BigInt(size), 16)
    } else {
      out.writeUInt32LE(size, 8)
      out.writeUInt32LE(size, 12)
    }
    return out
  }

  /** Records an entry written at `start` in the central directory. */
  record(path: Buffer, modified: Date, start: number, crc: number, size: number, isFolder: boolean): void {
    const { time, date } = dosTime(modified)
    const bigSize = size >= U32
    const bigOffset = start >= U32
    const fields = [...(bigSize ? [size, size] : []), ...(bigOffset ? [start] : [])]
    const extra = Buffer.alloc(fields.length > 0 ? 4 + fields.length * 8 : 0)
    if (fields.length > 0) {
      extra.writeUInt16LE(0x0001, 0)
      extra.writeUInt16LE(fields.length * 8, 2)
      fields.forEach((value, i) => extra.writeBigUInt64LE(BigInt(value), 4 + i * 8))
    }
    const entry = Buffer.alloc(46)
    entry.writeUInt32LE(0x02014b50, 0)
    entry.writeUInt16LE((3 << 8) | 45, 4) // made by: Unix, 4.5 (so the mode below is read)
    entry.writeUInt16LE(bigSize || bigOffset ? 45 : 20, 6)
    entry.writeUInt16LE(isFolder ? UTF8 : UTF8 | DESCRIPTOR, 8)
    entry.writeUInt16LE(0, 10)
    entry.writeUInt16LE(time, 12)
    entry.writeUInt16LE(date, 14)
    entry.writeUInt32LE(crc, 16)
    entry.writeUInt32LE(bigSize ? U32 : size, 20)
    entry.writeUInt32LE(bigSize ? U32 : size, 24)
    entry.writeUInt16LE(path.length, 28)
    entry.writeUInt16LE(extra.length, 30)
    entry.writeUInt16LE(0, 32) // comment
    entry.writeUInt16LE(0, 34) // disk
    entry.writeUInt16LE(0, 36) // internal attributes
    entry.writeUInt32LE((((isFolder ? 0o040755 : 0o100644) << 16) | (isFolder ? 0x10 : 0)) >>> 0, 38)
    entry.writeUInt32LE(bigOffset ? U32 : start, 42)
    const record = Buffer.concat([entry, path, extra])
    this.directory.push(record)
    this.directoryBytes += record.length
    this.count++
    if (this.count > MAX_ZIP_ENTRIES || this.directoryBytes > MAX_DIRECTORY_BYTES) throw new Error('the folder is too large for one zip')
  }

  advance(bytes: number): void {
    this.offset += bytes
  }

  get position(): number {
    return this.offset
  }

  /** The central directory and its end records. */
  finish(): Buffer[] {
    const start = this.offset
    const size = this.directoryBytes
    const zip64 = this.count >= 0xffff || start >= U32 || size >= U32
    const out = [...this.directory]
    if (zip64) {
      const record = Buffer.alloc(56)
      record.writeUInt32LE(0x06064b50, 0)
      record.writeBigUInt64LE(44n, 4)
      record.writeUInt16LE(45, 12)
      record.writeUInt16LE(45, 14)
      record.writeUInt32LE(0, 16)
      record.writeUInt32LE(0, 20)
      record.writeBigUInt64LE(BigInt(this.count), 24)
      record.writeBigUInt64LE(BigInt(this.count), 32)
      record.writeBigUInt64LE(BigInt(size), 40)
      record.writeBigUInt64LE(BigInt(start), 48)
      const locator = Buffer.alloc(20)
      locator.writeUInt32LE(0x07064b50, 0)
      locator.writeUInt32LE(0, 4)
      locator.writeBigUInt64LE(BigInt(start + size), 8)
      locator.writeUInt32LE(1, 16)
      out.push(record, locator)
    }
    const end = Buffer.alloc(22)
    end.writeUInt32LE(0x06054b50, 0)
    end.writeUInt16LE(zip64 ? 0xffff : this.count, 8)
    end.writeUInt16LE(zip64 ? 0xffff : this.count, 10)
    end.writeUInt32LE(zip64 ? U32 : size, 12)
    end.writeUInt32LE(zip64 ? U32 : start, 16)
    end.writeUInt16LE(0, 20)
    out.push(end)
    this.directory.length = 0
    return out
  }
}

/** The zip's bytes, pulled one chunk at a time by whoever reads the stream. */
function zipStream(folder: FolderRow, sources: ZipSources): ReadableStream<Uint8Array> {
  const writer = new ZipWriter()
  const walk = entries(folder, folder.name, sources)
  // The entry being streamed: its path, where its header began, its reader and running CRC.
  let current: { path: Buffer; modified: Date; start: number; size: number; crc: number; zip64: boolean; reader: ReadableStreamDefaultReader<Uint8Array> } | undefined
  let done = false
  let sinceCollect = 0
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (current) {
          const { value, done: ended } = await current.reader.read()
          if (!ended) {
            current.crc = crc32(value, current.crc)
            writer.advance(value.byteLength)
            sinceCollect += value.byteLength
            if (sinceCollect >= COLLECT_EVERY) {
              sinceCollect = 0
              Bun.gc(true)
            }
            controller.enqueue(value)
            return
          }
          const descriptor = writer.descriptor(current.crc, current.size, current.zip64)
          writer.record(current.path, current.modified, current.start, current.crc, current.size, false)
          writer.advance(descriptor.length)
          current = undefined
          controller.enqueue(descriptor)
          return
        }
        if (done) return
        const next = await walk.next()
        if (next.done) {
          done = true
          for (const part of writer.finish()) controller.enqueue(part)
          controller.close()
          return
        }
        const entry = next.value
        const path = Buffer.from(entry.path, 'utf8')
        const start = writer.position
        if (!entry.file) {
          const header = writer.header(path, entry.modified, false, true)
          writer.record(path, entry.modified, start, 0, 0, true)
          writer.advance(header.length)
          controller.enqueue(header)
          return
        }
        const zip64 = entry.file.size >= U32 || start >= U32
        const header = writer.header(path, entry.modified, zip64)
        writer.advance(header.length)
        const body = new Response(await sources.blobs.body(entry.file.storageKey, entry.file.size)).body
        sources.bytesOut?.(entry.file.size)
        current = { path, modified: entry.modified, start, size: entry.file.size, crc: 0, zip64, reader: (body ?? new Blob([]).stream()).getReader() }
        controller.enqueue(header)
      },
      async cancel() {
        await current?.reader.cancel().catch(() => {})
        await walk.return(undefined)
      },
    },
    { highWaterMark: 0 },
  )
}

/** The response for a folder's zip; 413 for a folder with more entries than one zip may hold. */
export async function folderZip(folder: FolderRow, sources: ZipSources): Promise<Response> {
  const folderIds = await sources.folders.subtree(folder.id)
  const entryCount = folderIds.length + (await sources.files.countInFolders(folder.ownerId, folderIds))
  if (entryCount > MAX_ZIP_ENTRIES) {
    throw new VaultError(413, 'folder_too_large', `a zip holds at most ${MAX_ZIP_ENTRIES} files and folders and this folder has ${entryCount}; download its folders one at a time`)
  }
  return new Response(zipStream(folder, sources), {
    headers: {
      'content-type': 'application/zip',
      'content-disposition': contentDisposition.create(`${folder.name}.zip`),
      'cache-control': 'private, no-store',
      'x-content-type-options': 'nosniff',
    },
  })
}
