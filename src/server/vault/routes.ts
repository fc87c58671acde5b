// /api/vault: a user's own files. Uploads speak tus 1.0.0 (core, creation, creation-with-upload, termination), so
// any tus client can resume them; downloads stream from disk with Range and ETag support. Every route requires a
// login, and every lookup is by owner: another user's id answers 404, exactly like an id that never existed.
import { Elysia, t } from 'elysia'
import type { FileStore } from '../../db/files'
import { FileNameTakenError, MAX_THUMBNAIL_BYTES } from '../../db/files'
import type { FolderStore } from '../../db/folders'
import type { FileRow } from '../../db/schema'
import type { BlobStore } from '../../vault/blob-store'
import { fileResponse } from './download'
import { cleanContentType } from '../../vault/names'
import { folderNotFound, listedFiles, listing, listQuery, notFound, publicFile, publicFolder, thumbnailResponse, thumbnailType, UUID, validName } from './views'
import type { UploadManager, VaultLimits } from '../../vault/uploads'
import { authentication, type SessionDeps } from '../auth/session'
import { readBytes, readJsonBody } from '../body'
import { integerHeader, parseMetadata, TUS_HEADERS, TUS_VERSION } from './tus'
import { ApiError } from '../errors'
import type { Logger } from '../log'

export interface VaultDeps extends SessionDeps {
  files: FileStore
  folders: FolderStore
  blobs: BlobStore
  uploads: UploadManager
  limits: VaultLimits
  log: Logger
  /** Counts the bytes sent (metrics). */
  bytesOut?: (bytes: number) => void
}

export const vaultRoutes = (deps: VaultDeps) => {
  const { files, folders, uploads, blobs, limits } = deps

  const download = (row: FileRow, request: Request, inline: boolean) => fileResponse(row, request, blobs, { bytesOut: deps.bytesOut, inline })

  /** The owner's folder named by a request (null: the top level), or 404. */
  const ownFolder = async (ownerId: number, id: string | null | undefined): Promise<string | null> => {
    if (id === null || id === undefined || id === '') return null
    if (!UUID.test(id) || !(await folders.get(ownerId, id))) throw folderNotFound()
    return id
  }

  const fileId = t.Object({ id: t.String() })

  return (
    new Elysia({ prefix: '/api/vault' })
      .use(authentication(deps))
      .get(
        '/usage',
        async ({ user }) => {
          const usage = await files.usage(user.id)
          return { files: usage.files, usedBytes: usage.bytes, quotaBytes: limits.quotaBytes, maxFileBytes: limits.maxFileBytes }
        },
        { auth: true },
      )
      .get(
        '/files',
        async ({ user, query }) => {
          const { sort, order, offset, limit } = listing(query, 'created')
          const folderId = await ownFolder(user.id, query.folder)
          const path = folderId === null ? [] : await folders.path(user.id, folderId)
          return {
            folder: path.length > 0 ? publicFolder(path[path.length - 1]!) : null,
            path: path.map((f) => ({ id: f.id, name: f.name })),
            folders: (await folders.children(user.id, folderId)).map(publicFolder),
            files: await listedFiles(await files.list(user.id, folderId, sort, order, offset, limit), (ids) => files.withThumbnails(ids)),
            total: await files.countIn(user.id, folderId),
            offset,
            limit,
          }
        },
        {
          auth: true,
          query: t.Object({ folder: t.Optional(t.String({ maxLength: 64, error: 'folder must be a folder id' })), ...listQuery }),
        },
      )
      .get(
        '/files/:id',
        async ({ user, params }) => {
          const row = UUID.test(params.id) ? await files.get(user.id, params.id) : undefined
          if (!row) throw notFound()
          return { file: publicFile(row) }
        },
        { auth: true, params: fileId },
      )
      .get(
        '/files/:id/content',
        async ({ user, params, request, query }) => {
          const row = UUID.test(params.id) ? await files.get(user.id, params.id) : undefined
          if (!row) throw notFound()
          return download(row, request, query.inline !== undefined)
        },
        { auth: true, params: fileId, query: t.Object({ inline: t.Optional(t.String({ maxLength: 8 })) }) },
      )
      // A small picture of an image file, made by the owner's browser: WebP, JPEG or PNG (told by its bytes), at most
      // 32 KiB; the list then shows it instead of the image itself.
      .put(
        '/files/:id/thumbnail',
        async ({ user, params, request, set }) => {
          const bytes = await readBytes(request, MAX_THUMBNAIL_BYTES)
          const type = thumbnailType(bytes)
          if (!type) throw new ApiError(415, 'unsupported_media_type', 'a thumbnail is a WebP, JPEG or PNG picture')
          if (!UUID.test(params.id) || !(await files.setThumbnail(user.id, params.id, type, bytes, new Date()))) throw notFound()
          set.status = 204
        },
        { auth: true, params: fileId, parse: 'none' },
      )
      .get(
        '/files/:id/thumbnail',
        async ({ user, params }) => {
          const thumb = UUID.test(params.id) && (await files.get(user.id, params.id)) ? await files.thumbnail(params.id) : undefined
          if (!thumb) throw new ApiError(404, 'thumbnail_not_found', 'this file has no thumbnail')
          return thumbnailResponse(thumb)
        },
        { auth: true, params: fileId },
      )
      .patch(
        '/files/:id',
        async ({ user, params, request }) => {
          const body = (await readJsonBody(request, 4096)) as { name?: unknown; folderId?: unknown } | undefined
          const hasName = typeof body?.name === 'string'
          const hasFolder = body?.folderId === null || typeof body?.folderId === 'string'
          if (!body || typeof body !== 'object' || (!hasName && !hasFolder) || (body.name !== undefined && !hasName) || (body.folderId !== undefined && !hasFolder)) {
            throw new ApiError(400, 'invalid_request', 'send { "name": "new name" } and/or { "folderId": "folder id or null for the top level" }')
          }
          const name = hasName ? validName(body.name as string) : undefined
          if (!UUID.test(params.id) || !(await files.get(user.id, params.id))) throw notFound()
          const folderId = hasFolder ? await ownFolder(user.id, body.folderId as string | null) : undefined
          try {
            const row = await files.update(user.id, params.id, { name, folderId }, new Date())
            if (!row) throw (await files.get(user.id, params.id)) ? folderNotFound() : notFound()
            return { file: publicFile(row) }
          } catch (error) {
            if (error instanceof FileNameTakenError) throw new ApiError(409, 'name_taken', 'that folder already has a file with that name')
            throw error
          }
        },
        { auth: true, params: fileId, parse: 'none' },
      )
      .delete(
        '/files/:id',
        async ({ user, params, set }) => {
          const row = UUID.test(params.id) ? await files.delete(user.id, params.id) : undefined
          if (!row) throw notFound()
          // The row is gone first, so the file vanishes at once; a blob left by a failed unlink is an orphan that the
          // next start removes.
          await blobs.remove(row.storageKey).catch((error: unknown) => deps.log.warn({ err: error, key: row.storageKey }, 'blob removal failed'))
          deps.log.info({ event: 'vault.delete', userId: user.id, fileId: row.id }, 'file deleted')
          set.status = 204
        },
        { auth: true, params: fileId },
      )

      // tus 1.0.0
      .options('/uploads', ({ set }) => {
        set.status = 204
        set.headers['tus-resumable'] = TUS_VERSION
        set.headers['tus-version'] = TUS_VERSION
        set.headers['tus-extension'] = 'creation,creation-with-upload,termination'
        set.headers['tus-max-size'] = String(limits.maxFileBytes)
      })
      .post(
        '/uploads',
        async ({ user, request, set }) => {
          if (request.headers.get('tus-resumable') !== TUS_VERSION) {
            throw new ApiError(412, 'unsupported_tus_version', `send Tus-Resumable: ${TUS_VERSION}`, { 'tus-version': TUS_VERSION })
          }
          if (request.headers.has('upload-defer-length')) {
            throw new ApiError(400, 'length_required', 'Upload-Length is required (deferred length is not supported)')
          }
          const length = integerHeader(request, 'upload-length')
          if (length === undefined) throw new ApiError(400, 'length_required', 'Upload-Length is required')
          const metadata = parseMetadata(request.headers.get('upload-metadata'))
          if (metadata.filename === undefined) throw new ApiError(400, 'invalid_name', 'Upload-Metadata must include filename')
          const name = validName(metadata.filename)
          const contentType = cleanContentType(metadata.filetype)
          const folderId = await ownFolder(user.id, metadata.folderId)
          let upload = await uploads.create(user.id, name, contentType, length, folderId)
          set.status = 201
          set.headers['location'] = `/api/vault/uploads/${upload.id}`
          set.headers['tus-resumable'] = TUS_VERSION
          // creation-with-upload: the first bytes may ride along.
          if (request.headers.get('content-type') === 'application/offset+octet-stream' && length > 0) {
            try {
              upload = await uploads.append(user.id, upload.id, 0, request, integerHeader(request, 'content-length'))
            } catch (error) {
              // A refused first body (too long, no space) leaves no upload behind: the client never learnt its URL.
              await uploads.terminate(user.id, upload.id).catch(() => {})
              throw error
            }
          }
          set.headers['upload-offset'] = String(upload.offset)
          if (upload.file) set.headers['vault-file-id'] = upload.file.id
          deps.log.info({ event: 'vault.upload_created', userId: user.id, uploadId: upload.id, length }, 'upload created')
          return ''
        },
        { auth: true, parse: 'none' },
      )
      .head(
        '/uploads/:id',
        async ({ user, params, set }) => {
          const upload = await uploads.get(user.id, params.id)
          set.headers['tus-resumable'] = TUS_VERSION
          set.headers['upload-offset'] = String(upload.offset)
          set.headers['upload-length'] = String(upload.length)
          set.headers['cache-control'] = 'no-store'
          if (upload.file) set.headers['vault-file-id'] = upload.file.id
          return ''
        },
        { auth: true, params: fileId },
      )
      .patch(
        '/uploads/:id',
        async ({ user, params, request, set }) => {
          if (request.headers.get('content-type') !== 'application/offset+octet-stream') {
            throw new ApiError(415, 'unsupported_media_type', 'send the bytes as application/offset+octet-stream', TUS_HEADERS)
          }
          const offset = integerHeader(request, 'upload-offset')
          if (offset === undefined) throw new ApiError(400, 'offset_required', 'Upload-Offset is required', TUS_HEADERS)
          const upload = await uploads.append(user.id, params.id, offset, request, integerHeader(request, 'content-length'))
          set.status = 204
          set.headers['tus-resumable'] = TUS_VERSION
          set.headers['upload-offset'] = String(upload.offset)
          if (upload.file) {
            set.headers['vault-file-id'] = upload.file.id
            deps.log.info({ event: 'vault.upload_complete', userId: user.id, fileId: upload.file.id, size: upload.length }, 'file stored')
          }
        },
        { auth: true, params: fileId, parse: 'none' },
      )
      .delete(
        '/uploads/:id',
        async ({ user, params, set }) => {
          await uploads.terminate(user.id, params.id)
          set.status = 204
          set.headers['tus-resumable'] = TUS_VERSION
        },
        { auth: true, params: fileId },
      )
  )
}
