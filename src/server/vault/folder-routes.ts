// /api/vault/folders: the owner's folder tree. Create, rename and move (never into itself or below itself), delete
// (a folder with something inside only when asked to delete that too), and download a folder as one zip streamed
// as it is read. Every lookup is by owner: another user's folder answers 404 like one that never existed.
import { Elysia, t } from 'elysia'
import { FolderNameTakenError, MAX_FOLDER_CHILDREN, MAX_FOLDER_DEPTH, MAX_FOLDERS, type FolderRefusal, type FolderStore } from '../../db/folders'
import type { FileStore } from '../../db/files'
import type { FolderRow } from '../../db/schema'
import type { BlobStore } from '../../vault/blob-store'
import { folderZip } from '../../vault/zip'
import { authentication, type SessionDeps } from '../auth/session'
import { readJsonBody } from '../body'
import { ApiError } from '../errors'
import type { Logger } from '../log'
import { folderNotFound, publicFolder, UUID, validName } from './views'

export interface FolderDeps extends SessionDeps {
  files: FileStore
  folders: FolderStore
  blobs: BlobStore
  log: Logger
  bytesOut?: (bytes: number) => void
}

const REFUSALS: Record<FolderRefusal, () => ApiError> = {
  folder_not_found: folderNotFound,
  too_deep: () => new ApiError(409, 'too_deep', `folders may be nested at most ${MAX_FOLDER_DEPTH} deep`),
  too_many_folders: () => new ApiError(409, 'too_many_folders', `you may have at most ${MAX_FOLDERS} folders`),
  folder_full: () => new ApiError(409, 'folder_full', `a folder may hold at most ${MAX_FOLDER_CHILDREN} folders`),
  cycle: () => new ApiError(400, 'cycle', 'a folder cannot be moved into itself or into a folder inside it'),
}

function nameTaken(): ApiError {
  return new ApiError(409, 'name_taken', 'that folder already has a folder with that name')
}

/** The body's name (validated) and parent (a folder id, or null for the top level), each optional. */
async function readChange(request: Request): Promise<{ name?: string; parentId?: string | null }> {
  const body = (await readJsonBody(request, 4096)) as { name?: unknown; parentId?: unknown } | undefined
  if (!body || typeof body !== 'object') throw new ApiError(400, 'invalid_request', 'send { "name": "…", "parentId": "folder id or null" }')
  if (body.name !== undefined && typeof body.name !== 'string') throw new ApiError(400, 'invalid_name', 'name must be a string')
  if (body.parentId !== undefined && body.parentId !== null && (typeof body.parentId !== 'string' || !UUID.test(body.parentId))) {
    throw new ApiError(400, 'invalid_request', 'parentId must be a folder id, or null for the top level')
  }
  return {
    ...(body.name !== undefined && { name: validName(body.name as string) }),
    ...(body.parentId !== undefined && { parentId: body.parentId as string | null }),
  }
}

export const folderRoutes = (deps: FolderDeps) => {
  const { folders } = deps
  const folderId = t.Object({ id: t.String() })
  const own = async (ownerId: number, id: string): Promise<FolderRow> => {
    const row = UUID.test(id) ? await folders.get(ownerId, id) : undefined
    if (!row) throw folderNotFound()
    return row
  }

  return new Elysia({ prefix: '/api/vault/folders' })
    .use(authentication(deps))
    .post(
      '/',
      async ({ user, request, set }) => {
        const change = await readChange(request)
        if (change.name === undefined) throw new ApiError(400, 'invalid_name', 'a folder needs a name')
        try {
          const created = await folders.create(user.id, change.parentId ?? null, change.name, new Date())
          if (typeof created === 'string') throw REFUSALS[created]()
          set.status = 201
          return { folder: publicFolder(created) }
        } catch (error) {
          if (error instanceof FolderNameTakenError) throw nameTaken()
          throw error
        }
      },
      { auth: true, parse: 'none' },
    )
    .get(
      '/:id',
      async ({ user, params }) => {
        const row = await own(user.id, params.id)
        const path = await folders.path(user.id, row.id)
        return { folder: publicFolder(row), path: path.map((f) => ({ id: f.id, name: f.name })) }
      },
      { auth: true, params: folderId },
    )
    .patch(
      '/:id',
      async ({ user, params, request }) => {
        const change = await readChange(request)
        if (change.name === undefined && change.parentId === undefined) throw new ApiError(400, 'invalid_request', 'send a new name, a new parentId, or both')
        await own(user.id, params.id)
        try {
          const updated = await folders.update(user.id, params.id, change, new Date())
          if (typeof updated === 'string') throw REFUSALS[updated]()
          return { folder: publicFolder(updated) }
        } catch (error) {
          if (error instanceof FolderNameTakenError) throw nameTaken()
          throw error
        }
      },
      { auth: true, params: folderId, parse: 'none' },
    )
    .delete(
      '/:id',
      async ({ user, params, query, set }) => {
        await own(user.id, params.id)
        if (query.recursive !== 'true' && !(await folders.isEmpty(user.id, params.id))) {
          throw new ApiError(409, 'folder_not_empty', 'the folder is not empty; send ?recursive=true to delete it with everything inside')
        }
        const gone = await folders.delete(user.id, params.id)
        if (!gone) throw folderNotFound()
        for (const file of gone) {
          await deps.blobs.remove(file.storageKey).catch((error: unknown) => deps.log.warn({ err: error, key: file.storageKey }, 'blob removal failed'))
        }
        deps.log.info({ event: 'vault.folder_delete', userId: user.id, folderId: params.id, files: gone.length }, 'folder deleted')
        set.status = 204
      },
      { auth: true, params: folderId, query: t.Object({ recursive: t.Optional(t.Union([t.Literal('true'), t.Literal('false')], { error: 'recursive must be true or false' })) }) },
    )
    .get(
      '/:id/zip',
      async ({ user, params }) => folderZip(await own(user.id, params.id), { files: deps.files, folders, blobs: deps.blobs, bytesOut: deps.bytesOut }),
      { auth: true, params: folderId },
    )
}
