// File drops: upload-only links into one folder of the owner's vault. The owner makes them for a folder (with an
// expiry and a size limit for the link), lists and closes them under /api/vault; anyone with the link opens
// /d/<token> and uploads with tus at /d/<token>/uploads (resumable, like the owner's uploads), up to the link's
// limit and the owner's quota. An uploader is told apart by a signed cookie the link's page gives them, and may
// only resume or cancel their own uploads; nothing of the folder is ever listed to them. An ended link answers 410
// saying why, a wrong token 404.
import { Elysia, t } from 'elysia'
import { createHmac, randomBytes, randomUUID } from 'node:crypto'
import type { DropStore, DropWithFolder } from '../../db/drops'
import type { FolderStore } from '../../db/folders'
import { cleanContentType } from '../../vault/names'
import type { UploadManager, VaultLimits } from '../../vault/uploads'
import { authentication, type SessionDeps } from '../auth/session'
import { AttemptThrottle, MemoryCounters, type Counters } from '../auth/throttle'
import { readJsonBody } from '../body'
import { clientAddress, isHttps, originOf } from '../client-address'
import { ApiError } from '../errors'
import type { Logger } from '../log'
import { integerHeader, parseMetadata, TUS_HEADERS, TUS_VERSION } from './tus'
import { linkCookie, lookupHash, newToken, NOINDEX, readCookie, sameProof } from './link-tokens'
import { folderNotFound, UUID, validName } from './views'

export interface DropDeps extends SessionDeps {
  drops: DropStore
  folders: FolderStore
  uploads: UploadManager
  limits: VaultLimits
  log: Logger
  /** SHARE_MAX_EXPIRY_DAYS: no link lives longer. */
  maxExpiryDays: number
  counters?: Counters
}

/** Drop links one user may hold at once (live or recently ended). */
export const MAX_DROPS_PER_USER = 100
/** Uploads one address may start through drops per hour. */
const UPLOADS_PER_ADDRESS_HOUR = 200
const UPLOADER_SECONDS = 30 * 86_400

export type DropState = 'live' | 'closed' | 'expired' | 'full'

export function dropState(drop: DropWithFolder['drop'], now = Date.now()): DropState {
  if (drop.closedAt) return 'closed'
  if (drop.expiresAt.getTime() <= now) return 'expired'
  if (drop.bytesUsed >= drop.maxBytes) return 'full'
  return 'live'
}

const ENDED: Record<Exclude<DropState, 'live'>, string> = {
  closed: 'its owner closed this file drop',
  expired: 'this file drop has expired',
  full: 'this file drop has taken all it may take',
}

/** The drop a link's token names (a token that cannot be one is not looked up). */
export async function findDrop(drops: DropStore, token: string): Promise<DropWithFolder | undefined> {
  const hash = lookupHash(token)
  return hash ? drops.byToken(hash) : undefined
}

export const dropRoutes = (deps: DropDeps) => {
  const counters = deps.counters ?? new MemoryCounters()
  const byAddress = new AttemptThrottle('drop-upload-address', counters, UPLOADS_PER_ADDRESS_HOUR, 3600_000)
  const cookieName = (dropId: string) => `partyroom_drop_${dropId.slice(0, 8)}`
  const sign = (dropId: string, uploader: string) => createHmac('sha256', deps.secret).update(`drop:${dropId}:${uploader}`).digest('base64url')
  /** The uploader this browser is for this drop, from its signed cookie. */
  const uploaderOf = (dropId: string, request: Request): string | undefined => {
    const [uploader, given] = (readCookie(request.headers.get('cookie'), cookieName(dropId)) ?? '').split('.')
    if (!uploader || !given || !/^[A-Za-z0-9_-]{22}$/.test(uploader)) return undefined
    return sameProof(sign(dropId, uploader), given) ? uploader : undefined
  }
  const uploaderCookie = (dropId: string, token: string, request: Request) => {
    const uploader = randomBytes(16).toString('base64url')
    return linkCookie(cookieName(dropId), `${uploader}.${sign(dropId, uploader)}`, `/d/${token}`, UPLOADER_SECONDS, isHttps(request, deps.trustProxy))
  }

  const view = (found: DropWithFolder, request: Request) => ({
    id: found.drop.id,
    folderId: found.folder.id,
    folderName: found.folder.name,
    createdAt: found.drop.createdAt.toISOString(),
    expiresAt: found.drop.expiresAt.toISOString(),
    maxBytes: found.drop.maxBytes,
    bytesUsed: found.drop.bytesUsed,
    state: dropState(found.drop),
    origin: originOf(request, deps.trustProxy),
  })

  /** The drop a public request names, or its error: 404 for a token that is not one, 410 for an ended one. An
   * upload already under way may go on in a drop that is full (it reserved its room), not in a closed or expired one. */
  const resolve = async (token: string, underWay = false) => {
    const found = await findDrop(deps.drops, token)
    if (!found) throw new ApiError(404, 'drop_not_found', 'no such file drop: check that the link was copied whole', NOINDEX)
    const state = dropState(found.drop)
    if (state !== 'live' && !(underWay && state === 'full')) throw new ApiError(410, `drop_${state}`, ENDED[state], NOINDEX)
    return found
  }

  /** The uploader's own upload through this drop, or 404 (anyone else's is as unknown as a made-up id). */
  const ownUpload = async (found: DropWithFolder, request: Request, id: string) => {
    const uploader = uploaderOf(found.drop.id, request)
    const origin = uploader && UUID.test(id) ? await deps.uploads.originOf(found.drop.ownerId, id) : undefined
    if (!origin || origin.dropId !== found.drop.id || origin.uploader !== uploader) {
      throw new ApiError(404, 'upload_not_found', 'no such upload', { ...TUS_HEADERS, ...NOINDEX })
    }
  }

  return (
    new Elysia()
      .use(authentication(deps))
      .post(
        '/api/vault/folders/:id/drops',
        async ({ user, params, request, set }) => {
          const folder = UUID.test(params.id) ? await deps.folders.get(user.id, params.id) : undefined
          if (!folder) throw folderNotFound()
          const body = (await readJsonBody(request, 4096)) as { expiresInSeconds?: unknown; maxBytes?: unknown } | undefined
          const maxSeconds = deps.maxExpiryDays * 86_400
          const seconds = body?.expiresInSeconds ?? Math.min(7 * 86_400, maxSeconds)
          const maxBytes = body?.maxBytes ?? Math.min(1024 ** 3, deps.limits.quotaBytes)
          if (!Number.isInteger(seconds) || (seconds as number) < 60) throw new ApiError(400, 'invalid_request', 'expiresInSeconds is a whole number of seconds, at least 60')
          if ((seconds as number) > maxSeconds) throw new ApiError(400, 'invalid_request', `a link lives at most ${deps.maxExpiryDays} days on this server`)
          if (!Number.isInteger(maxBytes) || (maxBytes as number) < 1 || (maxBytes as number) > deps.limits.quotaBytes) {
            throw new ApiError(400, 'invalid_request', `maxBytes is a whole number of bytes from 1 to your quota (${deps.limits.quotaBytes})`)
          }
          if ((await deps.drops.count(user.id)) >= MAX_DROPS_PER_USER) {
            throw new ApiError(409, 'too_many_drops', `at most ${MAX_DROPS_PER_USER} file drops at once; close some first`)
          }
          const { token, hash } = newToken()
          const now = new Date()
          const drop = await deps.drops.create({
            id: randomUUID(),
            tokenHash: hash,
            ownerId: user.id,
            folderId: folder.id,
            createdAt: now,
            expiresAt: new Date(now.getTime() + (seconds as number) * 1000),
            maxBytes: maxBytes as number,
          })
          deps.log.info({ event: 'vault.drop_created', userId: user.id, folderId: folder.id, drop: drop.id }, 'file drop created')
          set.status = 201
          const shown = view({ drop, folder, owner: { id: user.id, username: user.username } }, request)
          // The token is shown once, to its owner, inside the URL; only its hash is kept.
          return { drop: { ...shown, url: `${shown.origin}/d/${token}` } }
        },
        { auth: true, params: t.Object({ id: t.String({ maxLength: 64 }) }), parse: 'none' },
      )
      .get('/api/vault/drops', async ({ user, request }) => ({ drops: (await deps.drops.list(user.id, MAX_DROPS_PER_USER)).map((d) => view(d, request)) }), { auth: true })
      .delete(
        '/api/vault/drops/:id',
        async ({ user, params, set }) => {
          const row = UUID.test(params.id) ? await deps.drops.close(user.id, params.id, new Date()) : undefined
          if (!row) throw new ApiError(404, 'drop_not_found', 'no such file drop')
          deps.log.info({ event: 'vault.drop_closed', userId: user.id, drop: row.id }, 'file drop closed')
          set.status = 204
        },
        { auth: true, params: t.Object({ id: t.String({ maxLength: 64 }) }) },
      )

      // The public side.
      .get('/d/:token/info', async ({ params, request, set }) => {
        const found = await resolve(params.token)
        set.headers = { ...NOINDEX }
        if (!uploaderOf(found.drop.id, request)) set.headers['set-cookie'] = uploaderCookie(found.drop.id, params.token, request)
        return {
          drop: {
            folderName: found.folder.name,
            owner: found.owner.username,
            expiresAt: found.drop.expiresAt.toISOString(),
            bytesLeft: Math.max(0, found.drop.maxBytes - found.drop.bytesUsed),
            maxFileBytes: deps.limits.maxFileBytes,
          },
        }
      })
      .options('/d/:token/uploads', ({ set }) => {
        set.status = 204
        set.headers['tus-resumable'] = TUS_VERSION
        set.headers['tus-version'] = TUS_VERSION
        set.headers['tus-extension'] = 'creation,termination'
        set.headers['tus-max-size'] = String(deps.limits.maxFileBytes)
      })
      .post(
        '/d/:token/uploads',
        async ({ params, request, server, set }) => {
          const found = await resolve(params.token)
          if (request.headers.get('tus-resumable') !== TUS_VERSION) {
            throw new ApiError(412, 'unsupported_tus_version', `send Tus-Resumable: ${TUS_VERSION}`, { 'tus-version': TUS_VERSION })
          }
          const uploader = uploaderOf(found.drop.id, request)
          if (!uploader) throw new ApiError(403, 'open_the_drop_page', 'open the file drop page first: it lets this browser upload', NOINDEX)
          const length = integerHeader(request, 'upload-length')
          if (length === undefined) throw new ApiError(400, 'length_required', 'Upload-Length is required')
          const metadata = parseMetadata(request.headers.get('upload-metadata'))
          if (metadata.filename === undefined) throw new ApiError(400, 'invalid_name', 'Upload-Metadata must include filename')
          const name = validName(metadata.filename)
          const verdict = await byAddress.hit(clientAddress(request, server, deps.trustProxy))
          if (!verdict.allowed) {
            throw new ApiError(429, 'too_many_uploads', 'too many uploads from this address; try again later', { 'retry-after': String(verdict.retryAfterSeconds) })
          }
          if (length > deps.limits.maxFileBytes) throw new ApiError(413, 'file_too_large', `a file may be at most ${deps.limits.maxFileBytes} bytes`)
          if (!(await deps.drops.reserve(found.drop.id, length, new Date()))) {
            throw new ApiError(413, 'drop_full', `this file drop has ${Math.max(0, found.drop.maxBytes - found.drop.bytesUsed)} bytes left`, NOINDEX)
          }
          let upload
          try {
            upload = await deps.uploads.create(found.drop.ownerId, name, cleanContentType(metadata.filetype), length, found.folder.id, { dropId: found.drop.id, uploader })
          } catch (error) {
            await deps.drops.release(found.drop.id, length)
            throw error
          }
          deps.log.info({ event: 'vault.drop_upload', drop: found.drop.id, uploadId: upload.id, length }, 'upload through a file drop')
          set.status = 201
          set.headers['location'] = `/d/${params.token}/uploads/${upload.id}`
          set.headers['tus-resumable'] = TUS_VERSION
          set.headers['upload-offset'] = String(upload.offset)
          return ''
        },
        { parse: 'none' },
      )
      .head('/d/:token/uploads/:id', async ({ params, request, set }) => {
        const found = await resolve(params.token, true)
        await ownUpload(found, request, params.id)
        const upload = await deps.uploads.get(found.drop.ownerId, params.id)
        set.headers['tus-resumable'] = TUS_VERSION
        set.headers['upload-offset'] = String(upload.offset)
        set.headers['upload-length'] = String(upload.length)
        set.headers['cache-control'] = 'no-store'
        return ''
      })
      .patch(
        '/d/:token/uploads/:id',
        async ({ params, request, set }) => {
          const found = await resolve(params.token, true)
          await ownUpload(found, request, params.id)
          if (request.headers.get('content-type') !== 'application/offset+octet-stream') {
            throw new ApiError(415, 'unsupported_media_type', 'send the bytes as application/offset+octet-stream', TUS_HEADERS)
          }
          const offset = integerHeader(request, 'upload-offset')
          if (offset === undefined) throw new ApiError(400, 'offset_required', 'Upload-Offset is required', TUS_HEADERS)
          const upload = await deps.uploads.append(found.drop.ownerId, params.id, offset, request, integerHeader(request, 'content-length'))
          if (upload.file) deps.log.info({ event: 'vault.drop_stored', drop: found.drop.id, fileId: upload.file.id, size: upload.length }, 'file stored through a drop')
          set.status = 204
          set.headers['tus-resumable'] = TUS_VERSION
          set.headers['upload-offset'] = String(upload.offset)
        },
        { parse: 'none' },
      )
      .delete('/d/:token/uploads/:id', async ({ params, request, set }) => {
        const found = await resolve(params.token, true)
        await ownUpload(found, request, params.id)
        const upload = await deps.uploads.get(found.drop.ownerId, params.id)
        await deps.uploads.terminate(found.drop.ownerId, params.id)
        // What was cancelled before it became a file gives its room back.
        if (!upload.file) await deps.drops.release(found.drop.id, upload.length)
        set.status = 204
        set.headers['tus-resumable'] = TUS_VERSION
      })
  )
}
