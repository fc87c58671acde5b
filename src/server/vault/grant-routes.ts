// Sharing with people. The owner grants a file or folder to another registered user by username, lists what they
// shared with whom, and revokes; the recipient sees it under "Shared with me" (/api/vault/shared), read-only: they
// list a shared folder, preview and download its files, and download it as a zip — nothing that changes it. Every
// read is checked against the grants here, on each request, so a revoked grant ends access at once; anything not
// shared with the caller answers 404, exactly like an id that never existed.
import { Elysia, t } from 'elysia'
import type { FileStore } from '../../db/files'
import type { FolderStore } from '../../db/folders'
import { GrantExistsError, MAX_GRANTS, type GrantStore, type GrantView } from '../../db/grants'
import type { FileRow, FolderRow } from '../../db/schema'
import type { UserStore } from '../../db/users'
import type { BlobStore } from '../../vault/blob-store'
import { folderZip } from '../../vault/zip'
import { authentication, type SessionDeps } from '../auth/session'
import { readJsonBody } from '../body'
import { ApiError } from '../errors'
import type { Logger } from '../log'
import { fileResponse } from './download'
import { folderNotFound, listedFiles, listing, listQuery, notFound, publicFile, publicFolder, thumbnailResponse, UUID } from './views'

export interface GrantDeps extends SessionDeps {
  users: UserStore
  files: FileStore
  folders: FolderStore
  grants: GrantStore
  blobs: BlobStore
  log: Logger
  bytesOut?: (bytes: number) => void
}

const SHARED_LIST_LIMIT = 500

function grantView(view: GrantView) {
  return {
    id: view.grant.id,
    createdAt: view.grant.createdAt.toISOString(),
    owner: view.owner,
    recipient: view.recipient,
    file: view.file ? publicFile(view.file) : null,
    folder: view.folder ? publicFolder(view.folder) : null,
  }
}

export const grantRoutes = (deps: GrantDeps) => {
  const { users, files, folders, grants, blobs } = deps
  const id = t.Object({ id: t.String() })

  /** A folder the caller may read because it, or a folder above it, is shared with them; with the path from the
   * shared folder down to it (nothing above what was shared is shown). */
  const sharedFolder = async (userId: number, folderId: string): Promise<{ folder: FolderRow; path: FolderRow[] }> => {
    const path = UUID.test(folderId) ? await folders.path(undefined, folderId) : []
    const grant = path.length > 0 ? await grants.covering(userId, undefined, path.map((f) => f.id).reverse()) : undefined
    if (!grant) throw folderNotFound()
    const from = path.findIndex((f) => f.id === grant.folderId)
    return { folder: path[path.length - 1]!, path: path.slice(from) }
  }

  const sharedFile = async (userId: number, fileId: string): Promise<FileRow> => {
    const file = UUID.test(fileId) ? await files.byId(fileId) : undefined
    if (!file || file.ownerId === userId) throw notFound()
    const path = file.folderId ? await folders.path(undefined, file.folderId) : []
    if (!(await grants.covering(userId, file.id, path.map((f) => f.id)))) throw notFound()
    return file
  }

  return (
    new Elysia({ prefix: '/api/vault' })
      .use(authentication(deps))
      .post(
        '/grants',
        async ({ user, request, set }) => {
          const body = (await readJsonBody(request, 4096)) as { username?: unknown; fileId?: unknown; folderId?: unknown } | undefined
          const fileId = typeof body?.fileId === 'string' ? body.fileId : undefined
          const folderId = typeof body?.folderId === 'string' ? body.folderId : undefined
          if (!body || typeof body.username !== 'string' || body.username.length > 64 || (fileId === undefined) === (folderId === undefined)) {
            throw new ApiError(400, 'invalid_request', 'send { "username": "…", "fileId": "…" } or { "username": "…", "folderId": "…" }')
          }
          if (fileId !== undefined && !(UUID.test(fileId) && (await files.get(user.id, fileId)))) throw notFound()
          if (folderId !== undefined && !(UUID.test(folderId) && (await folders.get(user.id, folderId)))) throw folderNotFound()
          const recipient = await users.byUsername(body.username.trim())
          if (!recipient || recipient.disabled) throw new ApiError(404, 'user_not_found', 'no user has that name')
          if (recipient.id === user.id) throw new ApiError(400, 'self_share', 'you cannot share with yourself')
          try {
            const target = fileId !== undefined ? { fileId } : { folderId: folderId! }
            const row = await grants.create(user.id, recipient.id, target, new Date())
            if (row === 'too_many_grants') throw new ApiError(409, 'too_many_grants', `you may share at most ${MAX_GRANTS} items with people`)
            deps.log.info({ event: 'vault.grant', userId: user.id, recipientId: recipient.id, ...target }, 'shared with a user')
            set.status = 201
            return { grant: grantView((await grants.view(row.id))!) }
          } catch (error) {
            if (error instanceof GrantExistsError) throw new ApiError(409, 'already_shared', `this is already shared with ${recipient.username}`)
            throw error
          }
        },
        { auth: true, parse: 'none' },
      )
      .get('/grants', async ({ user }) => ({ grants: (await grants.byOwner(user.id)).map(grantView) }), { auth: true })
      .delete(
        '/grants/:id',
        async ({ user, params, set }) => {
          const row = UUID.test(params.id) ? await grants.revoke(user.id, params.id) : undefined
          if (!row) throw new ApiError(404, 'grant_not_found', 'no such share')
          deps.log.info({ event: 'vault.grant_revoked', userId: user.id, grantId: row.id }, 'share with a user ended')
          set.status = 204
        },
        { auth: true, params: id },
      )
      .get('/shared', async ({ user }) => ({ shared: (await grants.sharedWith(user.id, SHARED_LIST_LIMIT)).map(grantView) }), { auth: true })
      .get(
        '/shared/folders/:id',
        async ({ user, params, query }) => {
          const { folder, path } = await sharedFolder(user.id, params.id)
          const { sort, order, offset, limit } = listing(query, 'name')
          return {
            folder: publicFolder(folder),
            path: path.map((f) => ({ id: f.id, name: f.name })),
            folders: (await folders.children(folder.ownerId, folder.id)).map(publicFolder),
            files: await listedFiles(await files.list(folder.ownerId, folder.id, sort, order, offset, limit), (ids) => files.withThumbnails(ids)),
            total: await files.countIn(folder.ownerId, folder.id),
            offset,
            limit,
          }
        },
        {
          auth: true,
          params: id,
          query: t.Object(listQuery),
        },
      )
      .get(
        '/shared/folders/:id/zip',
        async ({ user, params }) => folderZip((await sharedFolder(user.id, params.id)).folder, { files, folders, blobs, bytesOut: deps.bytesOut }),
        { auth: true, params: id },
      )
      .get(
        '/shared/files/:id/thumbnail',
        async ({ user, params }) => {
          const thumb = await files.thumbnail((await sharedFile(user.id, params.id)).id)
          if (!thumb) throw new ApiError(404, 'thumbnail_not_found', 'this file has no thumbnail')
          return thumbnailResponse(thumb)
        },
        { auth: true, params: id },
      )
      .get('/shared/files/:id', async ({ user, params }) => ({ file: publicFile(await sharedFile(user.id, params.id)) }), { auth: true, params: id })
      .get(
        '/shared/files/:id/content',
        async ({ user, params, request, query }) =>
          fileResponse(await sharedFile(user.id, params.id), request, blobs, { bytesOut: deps.bytesOut, inline: query.inline !== undefined }),
        { auth: true, params: id, query: t.Object({ inline: t.Optional(t.String({ maxLength: 8 })) }) },
      )
  )
}
