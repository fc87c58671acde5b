// What the vault's routes answer with, and the checks they share: a file or folder as its owner and the people it
// is shared with see it, ids, names.
import { t } from 'elysia'
import type { FileSort } from '../../db/files'
import type { FileRow, FolderRow } from '../../db/schema'
import { checkFileName } from '../../vault/names'
import { ApiError } from '../errors'

export interface PublicFile {
  id: string
  folderId: string | null
  name: string
  size: number
  contentType: string
  sha256: string
  createdAt: string
  updatedAt: string
  /** A small picture of it exists (GET …/thumbnail); in listings only. */
  hasThumbnail?: boolean
}

export function publicFile(row: FileRow): PublicFile {
  return {
    id: row.id,
    folderId: row.folderId,
    name: row.name,
    size: row.size,
    contentType: row.contentType,
    sha256: row.sha256,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}

export interface PublicFolder {
  id: string
  parentId: string | null
  name: string
  createdAt: string
  updatedAt: string
}

export function publicFolder(row: FolderRow): PublicFolder {
  return { id: row.id, parentId: row.parentId, name: row.name, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() }
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export function notFound(): ApiError {
  return new ApiError(404, 'file_not_found', 'no such file')
}

export function folderNotFound(): ApiError {
  return new ApiError(404, 'folder_not_found', 'no such folder')
}

/** A file or folder name as typed, normalised, or 400 with the reason. */
export function validName(raw: string): string {
  const checked = checkFileName(raw)
  if (!checked.ok) throw new ApiError(400, 'invalid_name', checked.reason)
  return checked.name
}

/** The query of a folder listing: sort, order and the page. */
export const listQuery = {
  sort: t.Optional(t.Union([t.Literal('name'), t.Literal('created'), t.Literal('size')], { error: 'sort must be name, created or size' })),
  order: t.Optional(t.Union([t.Literal('asc'), t.Literal('desc')], { error: 'order must be asc or desc' })),
  offset: t.Optional(t.Numeric({ minimum: 0, maximum: 1e9, multipleOf: 1, error: 'offset must be a whole number' })),
  limit: t.Optional(t.Numeric({ minimum: 1, maximum: 200, multipleOf: 1, error: 'limit must be 1 to 200' })),
}

/** A listing's query with its defaults filled in. */
export function listing(query: { sort?: FileSort; order?: 'asc' | 'desc'; offset?: number; limit?: number }, defaultSort: FileSort) {
  const sort = query.sort ?? defaultSort
  return { sort, order: query.order ?? (sort === 'name' ? 'asc' : 'desc'), offset: query.offset ?? 0, limit: query.limit ?? 50 } as const
}

/** A page of files as listings show them, each saying whether it has a thumbnail. */
export async function listedFiles(rows: FileRow[], withThumbnails: (ids: string[]) => Promise<Set<string>>): Promise<PublicFile[]> {
  const thumbs = await withThumbnails(rows.map((r) => r.id))
  return rows.map((row) => ({ ...publicFile(row), hasThumbnail: thumbs.has(row.id) }))
}

/** The image types a thumbnail may be, told by their first bytes (what the browser's canvas writes). */
export function thumbnailType(bytes: Uint8Array): string | undefined {
  const b = Buffer.from(bytes.subarray(0, 12))
  if (b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp'
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg'
  if (b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png'
  return undefined
}

/** A thumbnail as a response: cached by the browser (it changes only when remade, under the same URL for an hour). */
export function thumbnailResponse(thumb: { contentType: string; bytes: Buffer }): Response {
  return new Response(new Uint8Array(thumb.bytes), {
    headers: {
      'content-type': thumb.contentType,
      'cache-control': 'private, max-age=3600',
      'content-security-policy': "default-src 'none'; sandbox",
      'x-content-type-options': 'nosniff',
    },
  })
}
