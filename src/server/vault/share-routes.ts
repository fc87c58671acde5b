// Share links. The owner makes, lists and revokes them under /api/vault; anyone holding a link uses /s/<token>: the
// page (served by the web client), /s/<token>/info for what it shows, /s/<token>/unlock for a password, and
// /s/<token>/content for the bytes (Range, ETag, like the owner's download). An ended link answers 410 and says why;
// a wrong token 404. Downloads count once per transfer that starts at byte 0, so resuming does not use a link up.
import { Elysia, t } from 'elysia'
import { createHmac, randomUUID } from 'node:crypto'
import type { FileStore } from '../../db/files'
import type { ShareRow } from '../../db/schema'
import type { ShareStore, ShareWithFile } from '../../db/shares'
import type { MessageStore } from '../../db/messages'
import type { BlobStore } from '../../vault/blob-store'
import { authentication, type SessionDeps } from '../auth/session'
import type { PasswordHasher } from '../auth/passwords'
import { AttemptThrottle, MemoryCounters, type Counters } from '../auth/throttle'
import { readJsonBody } from '../body'
import { clientAddress, isHttps, originOf } from '../client-address'
import { ApiError } from '../errors'
import type { Logger } from '../log'
import { fileResponse } from './download'
import { isPreviewable } from '../../vault/preview'
import { linkCookie, lookupHash, newToken, NOINDEX, readCookie, sameProof } from './link-tokens'
import { UUID } from './views'

export interface ShareDeps extends SessionDeps {
  shares: ShareStore
  /** Whether a share is attached to a chat message (chat attachments are opened through their message's share). */
  messages: MessageStore
  files: FileStore
  blobs: BlobStore
  passwords: PasswordHasher
  log: Logger
  /** SHARE_MAX_EXPIRY_DAYS: no link lives longer. */
  maxExpiryDays: number
  counters?: Counters
  bytesOut?: (bytes: number) => void
}

/** Links one user may hold at once (live or recently ended). */
export const MAX_SHARES_PER_USER = 1000
const MAX_DOWNLOADS = 1_000_000
/** How long an unlocked password-protected link stays unlocked in that browser. */
const UNLOCK_SECONDS = 3600

export type ShareState = 'live' | 'revoked' | 'deleted' | 'expired' | 'used_up'

export function shareState(found: ShareWithFile, now = Date.now()): ShareState {
  const { share, file } = found
  if (share.revokedAt) return 'revoked'
  if (!file) return 'deleted'
  if (share.expiresAt.getTime() <= now) return 'expired'
  if (share.maxDownloads !== null && share.downloads >= share.maxDownloads) return 'used_up'
  return 'live'
}

const ENDED: Record<Exclude<ShareState, 'live'>, string> = {
  revoked: 'its owner revoked this link',
  deleted: 'the shared file was deleted',
  expired: 'this link has expired',
  used_up: 'this link was downloaded as many times as its owner allowed',
}

/** The share a link's token names (a token that cannot be one is not looked up). */
export async function findShare(shares: ShareStore, token: string): Promise<ShareWithFile | undefined> {
  const hash = lookupHash(token)
  return hash ? shares.byToken(hash) : undefined
}

/** Whether the link's page may show the file in place: a type shown safely, and no download limit (a preview is
 * not counted, so it must not be a way around one). */
const previewable = ({ share, file }: ShareWithFile) => share.maxDownloads === null && !!file && isPreviewable(file.contentType)
const ended = (state: Exclude<ShareState, 'live'>) => new ApiError(410, `share_${state}`, ENDED[state], NOINDEX)
const cookieName = (share: ShareRow) => `partyroom_share_${share.id.slice(0, 8)}`
const grantName = (share: ShareRow) => `partyroom_dl_${share.id.slice(0, 8)}`
/** How long a counted download may be resumed after the link is used up. */
const GRANT_SECONDS = 24 * 3600

export const shareRoutes = (deps: ShareDeps) => {
  const counters = deps.counters ?? new MemoryCounters()
  const wrongByShare = new AttemptThrottle('share-password', counters, 10, 60_000)
  const wrongByAddress = new AttemptThrottle('share-password-address', counters, 30, 60_000)
  const proof = (share: ShareRow, purpose: string, expires: number) => createHmac('sha256', deps.secret).update(`${share.id}:${purpose}:${expires}`).digest('base64url')
  /** A cookie "<expiry>.<HMAC>" for this share and purpose, still valid. */
  const holds = (share: ShareRow, purpose: string, name: string, cookieHeader: string | null): boolean => {
    const [expires, given] = (readCookie(cookieHeader, name) ?? '').split('.')
    if (!expires || !given || Number(expires) < Date.now() / 1000) return false
    return sameProof(proof(share, purpose, Number(expires)), given)
  }
  const cookie = (share: ShareRow, token: string, purpose: string, name: string, seconds: number, request: Request) => {
    const expires = Math.floor(Date.now() / 1000) + seconds
    return linkCookie(name, `${expires}.${proof(share, purpose, expires)}`, `/s/${token}`, seconds, isHttps(request, deps.trustProxy))
  }

  const view = (found: ShareWithFile, request: Request) => {
    const { share, file } = found
    return {
      id: share.id,
      fileId: share.fileId,
      fileName: file?.name ?? share.fileName,
      createdAt: share.createdAt.toISOString(),
      expiresAt: share.expiresAt.toISOString(),
      maxDownloads: share.maxDownloads,
      downloads: share.downloads,
      hasPassword: share.passwordHash !== null,
      state: shareState(found),
      origin: originOf(request, deps.trustProxy),
    }
  }

  /** The share a public request names, or the error it gets: 404 for a token that is not one, 410 for an ended one. */
  const resolve = async (token: string, allowEnded = false) => {
    const found = await findShare(deps.shares, token)
    if (!found) throw new ApiError(404, 'share_not_found', 'no such link: check that it was copied whole', NOINDEX)
    const state = shareState(found)
    if (state !== 'live' && !allowEnded) throw ended(state)
    return found
  }

  const unlocked = (share: ShareRow, cookieHeader: string | null) => !share.passwordHash || holds(share, 'unlock', cookieName(share), cookieHeader)

  return new Elysia()
    .use(authentication(deps))
    .onParse(({ request }) => readJsonBody(request, 4096))
    .post(
      '/api/vault/files/:id/shares',
      async ({ user, params, body, request, set }) => {
        const file = UUID.test(params.id) ? await deps.files.get(user.id, params.id) : undefined
        if (!file) throw new ApiError(404, 'file_not_found', 'no such file')
        const maxSeconds = deps.maxExpiryDays * 86_400
        // A chat attachment: the room's members open it through the message as long as the server lets a link live.
        if (body.chat && (body.expiresInSeconds !== undefined || body.maxDownloads !== undefined || body.password !== undefined)) {
          throw new ApiError(400, 'invalid_request', 'a chat attachment takes no expiry, download limit or password')
        }
        const seconds = body.chat ? maxSeconds : (body.expiresInSeconds ?? Math.min(7 * 86_400, maxSeconds))
        if (seconds > maxSeconds) throw new ApiError(400, 'invalid_request', `a link lives at most ${deps.maxExpiryDays} days on this server`)
        if (body.password !== undefined && Buffer.byteLength(body.password) > 72) throw new ApiError(400, 'invalid_password', 'a link password is at most 72 bytes')
        // Ended links count until the server's sweep removes them, 30 days after they ended.
        if ((await deps.shares.count(user.id)) >= MAX_SHARES_PER_USER) {
          throw new ApiError(409, 'too_many_shares', `at most ${MAX_SHARES_PER_USER} links at once; revoke some first`)
        }
        const { token, hash } = newToken()
        const now = new Date()
        const share = await deps.shares.create({
          id: randomUUID(),
          tokenHash: hash,
          ownerId: user.id,
          fileId: file.id,
          fileName: file.name,
          createdAt: now,
          expiresAt: new Date(now.getTime() + seconds * 1000),
          maxDownloads: body.maxDownloads ?? null,
          passwordHash: body.password ? await deps.passwords.hash(body.password) : null,
        })
        deps.log.info({ event: 'vault.share_created', userId: user.id, fileId: file.id, share: share.id }, 'share link created')
        set.status = 201
        const shown = view({ share, file }, request)
        // The token is shown once, to its owner, inside the URL; only its hash is kept.
        return { share: { ...shown, url: `${shown.origin}/s/${token}` } }
      },
      {
        auth: true,
        params: t.Object({ id: t.String({ maxLength: 64 }) }),
        body: t.Object({
          expiresInSeconds: t.Optional(t.Integer({ minimum: 60, maximum: 3650 * 86_400, error: 'expiresInSeconds is a whole number of seconds, at least 60' })),
          maxDownloads: t.Optional(t.Integer({ minimum: 1, maximum: MAX_DOWNLOADS, error: `maxDownloads is from 1 to ${MAX_DOWNLOADS}` })),
          password: t.Optional(t.String({ minLength: 4, maxLength: 72, error: 'a link password is 4 to 72 characters' })),
          chat: t.Optional(t.Boolean({ error: 'chat is true or false' })),
        }),
      },
    )
    .get(
      '/api/vault/shares',
      async ({ user, request }) => ({ shares: (await deps.shares.list(user.id, MAX_SHARES_PER_USER)).map((s) => view(s, request)) }),
      { auth: true },
    )
    .delete(
      '/api/vault/shares/:id',
      async ({ user, params, set }) => {
        const row = UUID.test(params.id) ? await deps.shares.revoke(user.id, params.id, new Date()) : undefined
        if (!row) throw new ApiError(404, 'share_not_found', 'no such link')
        set.status = 204
      },
      { auth: true, params: t.Object({ id: t.String({ maxLength: 64 }) }) },
    )
    // A file attached to a chat message, for anyone logged in who holds its share's id — which only a message shows, so
    // only those who could read that message (the global chat: every account; a call's chat: its members). Its
    // share must be attached to a message that is still there, and live.
    .get(
      '/api/chat/attachments/:id/content',
      async ({ params, request, query }) => {
        const found = UUID.test(params.id) && (await deps.messages.hasAttachment(params.id)) ? await deps.shares.byId(params.id) : undefined
        if (!found) throw new ApiError(404, 'attachment_not_found', 'no such attachment')
        const state = shareState(found)
        if (state !== 'live') throw new ApiError(410, `attachment_${state === 'deleted' ? 'deleted' : 'removed'}`, state === 'deleted' ? 'the attached file was deleted' : 'its author took the attachment back')
        return fileResponse(found.file!, request, deps.blobs, { bytesOut: deps.bytesOut, inline: query.inline !== undefined })
      },
      { auth: true, params: t.Object({ id: t.String({ maxLength: 64 }) }), query: t.Object({ inline: t.Optional(t.String({ maxLength: 8 })) }) },
    )
    .get('/s/:token/info', async ({ params, request, set }) => {
      set.headers = { ...NOINDEX }
      const found = await resolve(params.token)
      const { file, share } = found
      return {
        share: {
          name: file!.name,
          size: file!.size,
          contentType: file!.contentType,
          expiresAt: share.expiresAt.toISOString(),
          downloadsLeft: share.maxDownloads === null ? null : share.maxDownloads - share.downloads,
          hasPassword: share.passwordHash !== null,
          preview: previewable(found),
          unlocked: unlocked(share, request.headers.get('cookie')),
        },
      }
    })
    .post(
      '/s/:token/unlock',
      async ({ params, body, request, server, set }) => {
        const { share } = await resolve(params.token)
        if (!share.passwordHash) {
          set.status = 204
          return
        }
        const address = clientAddress(request, server, deps.trustProxy)
        const verdicts = [await wrongByShare.check(share.id), await wrongByAddress.check(address)]
        const refused = verdicts.find((v) => !v.allowed)
        if (refused) {
          throw new ApiError(429, 'rate_limited', `too many wrong passwords; try again in ${refused.retryAfterSeconds} s`, { 'retry-after': String(refused.retryAfterSeconds) })
        }
        if (!(await deps.passwords.verify(body.password, share.passwordHash))) {
          await wrongByShare.add(share.id)
          await wrongByAddress.add(address)
          throw new ApiError(401, 'wrong_password', 'that is not the password of this link')
        }
        set.headers = { ...NOINDEX, 'set-cookie': cookie(share, params.token, 'unlock', cookieName(share), UNLOCK_SECONDS, request) }
        set.status = 204
      },
      { body: t.Object({ password: t.String({ maxLength: 200, error: 'send { "password": "…" }' }) }) },
    )
    .get('/s/:token/content', async ({ params, request, query }) => {
      const found = await resolve(params.token, true)
      const { share } = found
      const state = shareState(found)
      const range = request.headers.get('range')
      // A download counted before the link was used up may still be resumed (a Range past its first byte) by the
      // browser that started it, which holds its grant; nothing else of an ended link is served.
      const resuming = state === 'used_up' && range !== null && !/^bytes=0-/.test(range) && holds(share, 'download', grantName(share), request.headers.get('cookie'))
      if (state !== 'live' && !resuming) throw ended(state)
      const file = found.file!
      if (!unlocked(share, request.headers.get('cookie'))) {
        throw new ApiError(401, 'password_required', 'this link needs its password: open the link page and enter it', NOINDEX)
      }
      let granted: string | undefined
      // A preview (an image shown, a video played) is not a download and is not counted; so it is offered only by
      // links without a download limit, which a preview could otherwise get around.
      if (query.inline !== undefined && previewable(found)) {
        return fileResponse(file, request, deps.blobs, { bytesOut: deps.bytesOut, headers: NOINDEX, inline: true })
      }
      const response = await fileResponse(file, request, deps.blobs, {
        bytesOut: deps.bytesOut,
        headers: NOINDEX,
        // A transfer from the first byte is a download; a resumed one (a later Range) is the same download.
        fromStart: async () => {
          if (await deps.shares.countDownload(share.id, new Date())) {
            granted = cookie(share, params.token, 'download', grantName(share), GRANT_SECONDS, request)
            return
          }
          // Not counted: the link ended meanwhile (another download took the last one, or it was revoked).
          const now = await deps.shares.byToken(share.tokenHash)
          const state = now ? shareState(now) : 'revoked'
          throw ended(state === 'live' ? 'used_up' : state)
        },
      })
      if (granted) response.headers.append('set-cookie', granted)
      return response
    })
}
