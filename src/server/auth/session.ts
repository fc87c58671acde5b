// Who is calling: a JWT from the Authorization header or the HttpOnly session cookie, checked for signature, expiry
// and a live session row. Routes (and the WebSocket upgrade) opt in with `{ auth: true }` and receive `user`.
import { Elysia } from 'elysia'
import { jwt } from '@elysiajs/jwt'
import { randomUUID } from 'node:crypto'
import type { SessionStore } from '../../db/sessions'
import type { User } from '../../db/schema'
import type { Role } from '../../db/users'
import { ApiError } from '../errors'
import { isHttps, originOf } from '../client-address'

export const SESSION_COOKIE = 'partyroom_session'

/** What the API and the client know of a user; never the password hash. */
export interface PublicUser {
  id: number
  username: string
  createdAt: string
  /** admin | moderator | member */
  role: Role
}

export function publicUser(user: User): PublicUser {
  return { id: user.id, username: user.username, createdAt: user.createdAt.toISOString(), role: user.role as Role }
}

export interface SessionDeps {
  secret: string
  sessions: SessionStore
  ttlSeconds: number
  trustProxy: boolean
}

interface CookieJar {
  [SESSION_COOKIE]: {
    value: unknown
    set(options: Record<string, unknown>): unknown
    remove(): unknown
  }
}

function bearerToken(authorization: string | undefined): string | undefined {
  const match = authorization?.match(/^Bearer\s+(\S+)\s*$/i)
  return match?.[1]
}

type Signer = {
  sign(payload: Record<string, string | number>): Promise<string>
  verify(token: string, options: { algorithms: string[] }): Promise<false | Record<string, unknown>>
}

const nowSeconds = () => Math.floor(Date.now() / 1000)

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** An unsafe request (or a WebSocket upgrade) whose Origin header names another origin than ours. */
function crossOrigin(request: Request, trustProxy: boolean): boolean {
  const origin = request.headers.get('origin')
  if (!origin) return false
  const upgrade = request.headers.get('upgrade')?.toLowerCase() === 'websocket'
  if (SAFE_METHODS.has(request.method) && !upgrade) return false
  const own = originOf(request, trustProxy)
  return origin.toLowerCase() !== own.toLowerCase()
}

/** The session operations for one request: start, resolve (sliding it forward) and end. */
function sessionTools(deps: SessionDeps, jwt: Signer, cookie: unknown, request: Request) {
  const jar = cookie as CookieJar
  const cookieOptions = () => ({
    httpOnly: true,
    sameSite: 'strict',
    secure: isHttps(request, deps.trustProxy),
    path: '/',
  })
  const setCookie = (token: string, expiresAt: number) =>
    jar[SESSION_COOKIE].set({ ...cookieOptions(), value: token, expires: new Date(expiresAt * 1000) })
  const sign = (user: User, sessionId: string, expiresAt: number) =>
    jwt.sign({ sub: String(user.id), jti: sessionId, name: user.username, exp: expiresAt })

  return {
    /** Starts a session: a row, a signed token, and the cookie. */
    async startSession(user: User) {
      const sessionId = randomUUID()
      const expiresAt = nowSeconds() + deps.ttlSeconds
      await deps.sessions.create(sessionId, user.id, new Date(), new Date(expiresAt * 1000))
      const token = await sign(user, sessionId, expiresAt)
      setCookie(token, expiresAt)
      return { token, expiresAt: new Date(expiresAt * 1000).toISOString() }
    },

    /** The caller's live session, slid forward when more than half its life is used; undefined when there is none. */
    async authenticate(): Promise<{ user: User; sessionId: string } | undefined> {
      const fromHeader = bearerToken(request.headers.get('authorization') ?? undefined)
      const cookieValue = jar[SESSION_COOKIE].value
      const fromCookie = typeof cookieValue === 'string' && cookieValue !== '' ? cookieValue : undefined
      const token = fromHeader ?? fromCookie
      if (!token) return undefined
      // A cookie rides along on requests other sites make the browser send. SameSite=Strict already keeps it off
      // them; as a second lock, a cookie-authenticated request that changes something (or opens the WebSocket)
      // must come from our own origin when the browser says where it comes from.
      if (!fromHeader && crossOrigin(request, deps.trustProxy)) {
        throw new ApiError(403, 'cross_origin', 'requests from other sites are not accepted with the session cookie')
      }
      // Only HS256 is accepted: `alg: none` and every other algorithm fail verification.
      const claims = await jwt.verify(token, { algorithms: ['HS256'] })
      if (!claims || typeof claims.jti !== 'string' || typeof claims.sub !== 'string' || typeof claims.exp !== 'number') {
        return undefined
      }
      const live = await deps.sessions.findLive(claims.jti, new Date())
      if (!live || String(live.user.id) !== claims.sub) return undefined
      if (!fromHeader && claims.exp - nowSeconds() < deps.ttlSeconds / 2) {
        const expiresAt = nowSeconds() + deps.ttlSeconds
        await deps.sessions.extend(claims.jti, new Date(expiresAt * 1000))
        setCookie(await sign(live.user, claims.jti, expiresAt), expiresAt)
      }
      return { user: live.user, sessionId: claims.jti }
    },

    /** Ends the session (if any) and clears the cookie. */
    async endSession(sessionId: string | undefined) {
      if (sessionId) await deps.sessions.revoke(sessionId)
      jar[SESSION_COOKIE].set({ ...cookieOptions(), value: '', maxAge: 0 })
    },
  }
}

export const authentication = (deps: SessionDeps) =>
  new Elysia({ name: 'authentication' })
    .use(jwt({ name: 'jwt', secret: deps.secret, alg: 'HS256' }))
    .derive({ as: 'scoped' }, ({ jwt, cookie, request }) => sessionTools(deps, jwt as Signer, cookie, request))
    .macro({
      auth: {
        async resolve({ jwt, cookie, request }) {
          const found = await sessionTools(deps, jwt as Signer, cookie, request).authenticate()
          if (!found) throw new ApiError(401, 'unauthenticated', 'log in first: the session is missing, invalid or expired')
          return { user: found.user, sessionId: found.sessionId }
        },
      },
    })
