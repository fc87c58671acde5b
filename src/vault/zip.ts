// A folder as one zip, streamed: client-zip writes each entry as its bytes are read from the blob store (stored, not
// compressed — vault files are mostly compressed already — with ZIP64 past 4 GiB), and the folder tree and its
// files are walked a page at a time, so memory stays bounded whatever the folder holds.
import { makeZip } from 'client-zip'
import * as contentDisposition from 'content-disposition'
import type { FileStore } from '../db/files'
import type { FolderStore } from '../db/folders'
import type { FolderRow } from '../db/schema'
import type { BlobStore } from './blob-store'
import { candidateNames } from './names'

export interface ZipSources {
  files: FileStore
  folders: FolderStore
  blobs: BlobStore
  bytesOut?: (bytes: number) => void
}

type Entry = { name: string; lastModified: Date } | { name: string; lastModified: Date; input: ReadableStream<Uint8Array>; size: number }

/** The entries of `folder` and everything below it, under `prefix`. */
async function* entries(folder: FolderRow, prefix: string, sources: ZipSources): AsyncGenerator<Entry> {
  const { files, folders, blobs } = sources
  yield { name: `${prefix}/`, lastModified: folder.updatedAt }
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
    const body = new Response(await blobs.body(file.storageKey, file.size)).body ?? new ReadableStream({ start: (c) => c.close() })
    sources.bytesOut?.(file.size)
    yield { name: `${prefix}/${name}`, lastModified: file.updatedAt, input: body, size: file.size }
  }
  for (const sub of subfolders) yield* entries(sub, `${prefix}/${sub.name}`, sources)
}

/** The response for a folder's zip. */
export function folderZip(folder: FolderRow, sources: ZipSources): Response {
  const stream = makeZip(entries(folder, folder.name, sources), { buffersAreUTF8: true })
  return new Response(stream, {
    headers: {
      'content-type': 'application/zip',
      'content-disposition': contentDisposition.create(`${folder.name}.zip`),
      'cache-control': 'private, no-store',
      'x-content-type-options': 'nosniff',
    },
  })
}
