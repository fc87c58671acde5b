// /api/auth: register, login, logout, me.
import { Elysia, t } from 'elysia'
import type { UserStore } from '../../db/users'
import { InviteInvalidError, UsernameTakenError } from '../../db/users'
import type { RegistrationPolicy } from '../../db/governance'
import type { Logger } from '../log'
import { ApiError } from '../errors'
import { readJsonBody } from '../body'
import { clientAddress } from '../client-address'
import { authentication, publicUser, type SessionDeps } from './session'
import { PASSWORD_MAX_BYTES, passwordProblem, type PasswordHasher } from './passwords'
import { AttemptThrottle, MemoryCounters, type Counters } from './throttle'

export const USERNAME_PATTERN = '^[A-Za-z0-9_.-]{3,32}$'
const MAX_AUTH_BODY_BYTES = 4096
/** Failed logins for one username from all addresses together, as a multiple of the per-address limit. */
const USER_FAILURES_FACTOR = 10

export interface AuthDeps extends SessionDeps {
  users: UserStore
  passwords: PasswordHasher
  log: Logger
  loginLimitPerUser: number
  loginLimitPerAddress: number
  registerLimitPerAddress: number
  /** Told when a session ends by logout, so its open sockets close too. */
  onSessionEnded: (sessionId: string) => void
  /** Where attempts are counted: in memory on one node, in the database when nodes share it. */
  counters?: Counters
  /** Who may register now (an admin's stored choice, else REGISTRATION). */
  registration: () => Promise<RegistrationPolicy>
}

export const INVITE_PATTERN = '^[A-Za-z0-9_-]{16,64}$'

const Credentials = t.Object({
  username: t.String({
    pattern: USERNAME_PATTERN,
    error: 'username must be 3 to 32 characters: letters, digits, "_", "-" or "."',
  }),
  password: t.String({ error: 'password must be a string of 8 to 72 bytes' }),
})

const Registration = t.Object({
  ...Credentials.properties,
  invite: t.Optional(t.String({ pattern: INVITE_PATTERN, error: 'invite must be the code of an invite link' })),
})

function tooMany(retryAfterSeconds: number): ApiError {
  return new ApiError(429, 'rate_limited', `too many attempts; try again in ${retryAfterSeconds} s`, {
    'retry-after': String(retryAfterSeconds),
  })
}

export const authRoutes = (deps: AuthDeps) => {
  const minute = 60_000
  const counters = deps.counters ?? new MemoryCounters()
  const loginFailuresByPair = new AttemptThrottle('login-pair', counters, deps.loginLimitPerUser, minute)
  const loginFailuresByUser = new AttemptThrottle('login-user', counters, deps.loginLimitPerUser * USER_FAILURES_FACTOR, minute)
  const loginByAddress = new AttemptThrottle('login-address', counters, deps.loginLimitPerAddress, minute)
  const registerByAddress = new AttemptThrottle('register-address', counters, deps.registerLimitPerAddress, minute)

  return new Elysia({ prefix: '/api/auth' })
    .use(authentication(deps))
    .onParse(({ request }) => readJsonBody(request, MAX_AUTH_BODY_BYTES))
    .post(
      '/register',
      async ({ body, request, server, set }) => {
        const address = clientAddress(request, server, deps.trustProxy)
        const verdict = await registerByAddress.hit(address)
        if (!verdict.allowed) throw tooMany(verdict.retryAfterSeconds)
        const policy = await deps.registration()
        if (policy === 'closed') throw new ApiError(403, 'registration_closed', 'registration is closed on this server; ask an admin for an account')
        if (policy === 'invite' && body.invite === undefined) {
          throw new ApiError(403, 'invite_required', 'this server registers people by invitation only: open the invite link you were given')
        }
        const problem = passwordProblem(body.password)
        if (problem) throw new ApiError(400, 'invalid_password', problem)
        if (await deps.users.byUsername(body.username)) throw new ApiError(409, 'username_taken', 'that username is already taken')
        const hash = await deps.passwords.hash(body.password)
        try {
          const user = await deps.users.create(body.username, hash, { invite: policy === 'invite' ? body.invite : undefined })
          deps.log.info({ event: 'auth.register', userId: user.id, username: user.username, role: user.role, address, invite: policy === 'invite' }, 'user registered')
          set.status = 201
          return { user: publicUser(user) }
        } catch (error) {
          // Two registrations for one name can race past the check above while both hash.
          if (error instanceof UsernameTakenError) throw new ApiError(409, 'username_taken', 'that username is already taken')
          if (error instanceof InviteInvalidError) {
            throw new ApiError(403, 'invite_required', 'this invite link is unknown, expired, revoked or used up; ask for a new one')
          }
          throw error
        }
      },
      { body: Registration },
    )
    .post(
      '/login',
      async ({ body, request, server, startSession }) => {
        const address = clientAddress(request, server, deps.trustProxy)
        const userKey = body.username.toLowerCase()
        const pairKey = `${userKey}\n${address}`
        // The attacker is slowed, not the account's owner: failures count per (username, address) and per address;
        // failures for a username from everywhere only hold back addresses that have failed for it themselves. A
        // right password from an address with no failures is never refused.
        const byAddress = await loginByAddress.hit(address)
        const byPair = await loginFailuresByPair.check(pairKey)
        const pairFailed = (await loginFailuresByPair.count(pairKey)) > 0
        const byUser = pairFailed ? await loginFailuresByUser.check(userKey) : { allowed: true, retryAfterSeconds: 0 }
        const refused = [byAddress, byPair, byUser].filter((v) => !v.allowed)
        if (refused.length > 0) {
          deps.log.warn({ event: 'auth.throttled', username: body.username, address }, 'login throttled')
          throw tooMany(Math.max(...refused.map((v) => v.retryAfterSeconds)))
        }
        const user = await deps.users.byUsername(body.username)
        // Unknown users and passwords bcrypt cannot take whole (over 72 bytes, refused at registration too) are
        // verified against a dummy hash: the same answer in the same time as a wrong password.
        const tooLong = Buffer.byteLength(body.password, 'utf8') > PASSWORD_MAX_BYTES
        const ok = await deps.passwords.verify(tooLong ? '' : body.password, tooLong ? undefined : user?.passwordHash)
        if (!ok || !user) {
          await loginFailuresByPair.add(pairKey)
          await loginFailuresByUser.add(userKey)
          deps.log.info({ event: 'auth.login_failed', username: body.username, address }, 'login failed')
          throw new ApiError(401, 'invalid_credentials', 'wrong username or password')
        }
        await loginFailuresByPair.reset(pairKey)
        // Said only to someone who knows the password.
        if (user.disabled) throw new ApiError(403, 'account_disabled', 'this account is disabled; ask an admin')
        const session = await startSession(user)
        deps.log.info({ event: 'auth.login', userId: user.id, username: user.username, address }, 'user logged in')
        return { user: publicUser(user), token: session.token, expiresAt: session.expiresAt }
      },
      { body: Credentials },
    )
    .post('/logout', async ({ authenticate, endSession, set }) => {
      const found = await authenticate()
      await endSession(found?.sessionId)
      if (found) {
        deps.onSessionEnded(found.sessionId)
        deps.log.info({ event: 'auth.logout', userId: found.user.id }, 'user logged out')
      }
      set.status = 204
    })
    .get('/me', ({ user }) => ({ user: publicUser(user) }), { auth: true })
}
