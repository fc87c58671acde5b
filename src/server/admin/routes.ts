// /api/admin: accounts, the registration policy, invite links, the audit log and live figures. Admins may do all of
// it; moderators may manage invites; everyone else gets 403 `forbidden` (401 without a session). Rules that need the
// database's view (the last admin, an invite's last use) are decided in the stores, in one transaction each.
import { Elysia, t } from 'elysia'
import { randomBytes } from 'node:crypto'
import type { User } from '../../db/schema'
import { LastAdminError, ROLES, type Role, type UserStore } from '../../db/users'
import type { SessionStore } from '../../db/sessions'
import type { FileStore } from '../../db/files'
import { REGISTRATION_POLICIES, type AuditStore, type InviteStore, type RegistrationPolicy, type SettingsStore } from '../../db/governance'
import type { RoomRegistry } from '../../rooms/registry'
import type { UploadManager } from '../../vault/uploads'
import { authentication, type SessionDeps } from '../auth/session'
import { readJsonBody } from '../body'
import { originOf } from '../client-address'
import { ApiError } from '../errors'
import type { Logger } from '../log'
import type { LiveSockets } from '../ws/live-sockets'
import type { Moderation } from '../../rooms/moderation'

export interface AdminDeps extends SessionDeps {
  users: UserStore
  settings: SettingsStore
  invites: InviteStore
  audit: AuditStore
  files: FileStore
  uploads: UploadManager
  rooms: RoomRegistry
  liveSockets: LiveSockets
  log: Logger
  /** REGISTRATION: the policy until an admin stores another. */
  defaultRegistration: RegistrationPolicy
  /** What the rooms enforce: told of every role change and chat mute at once. */
  moderation: Moderation
}

const MAX_MUTE_SECONDS = 30 * 24 * 3600
const RANK: Record<Role, number> = { member: 0, moderator: 1, admin: 2 }

/** Invites kept at once (live and recently ended), server-wide. */
export const MAX_INVITES = 500
const MAX_INVITE_USES = 1000
const MAX_INVITE_SECONDS = 30 * 24 * 3600
const MAX_BODY_BYTES = 4096

export interface AdminUser {
  id: number
  username: string
  role: Role
  disabled: boolean
  createdAt: string
  /** Connected to this node right now. */
  online: boolean
  /** Muted in chat until then (ISO time), or null. */
  chatMutedUntil: string | null
}

/** The stored registration policy, else the configured one. */
export async function registrationPolicy(settings: SettingsStore, fallback: RegistrationPolicy): Promise<RegistrationPolicy> {
  const stored = await settings.get('registration')
  return (REGISTRATION_POLICIES as readonly string[]).includes(stored ?? '') ? (stored as RegistrationPolicy) : fallback
}

function mustBe(user: User, roles: readonly Role[]) {
  if (!roles.includes(user.role as Role)) {
    throw new ApiError(403, 'forbidden', roles.length === 1 ? 'only an admin may do this' : 'only an admin or a moderator may do this')
  }
}

const ADMIN: readonly Role[] = ['admin']
const STAFF: readonly Role[] = ['admin', 'moderator']

const userId = t.Object({ id: t.Numeric({ minimum: 1, maximum: 2 ** 31 - 1, error: 'a user id is a positive integer' }) })

export const adminRoutes = (deps: AdminDeps) => {
  const view = (user: User): AdminUser => ({
    id: user.id,
    username: user.username,
    role: user.role as Role,
    disabled: user.disabled,
    createdAt: user.createdAt.toISOString(),
    online: deps.liveSockets.countFor(user.id) > 0,
    chatMutedUntil: user.chatMutedUntil && user.chatMutedUntil.getTime() > Date.now() ? user.chatMutedUntil.toISOString() : null,
  })
  const actorOf = (user: User) => ({ id: user.id, username: user.username })
  const inviteView = (row: Awaited<ReturnType<InviteStore['list']>>[number], request: Request, now = Date.now()) => {
    return {
      code: row.code,
      url: `${originOf(request, deps.trustProxy)}/register?invite=${row.code}`,
      maxUses: row.maxUses,
      uses: row.uses,
      createdAt: row.createdAt.toISOString(),
      expiresAt: row.expiresAt.toISOString(),
      revokedAt: row.revokedAt?.toISOString() ?? null,
      state: row.revokedAt ? 'revoked' : row.uses >= row.maxUses ? 'used_up' : row.expiresAt.getTime() <= now ? 'expired' : 'live',
    }
  }
  /** An account is shut out: its sessions end everywhere and its sockets on this node close with 4001. */
  const shutOut = async (id: number, reason: string) => {
    await deps.sessions.revokeAll(id)
    deps.liveSockets.endUser(id, reason)
  }

  return new Elysia({ prefix: '/api/admin' })
    .use(authentication(deps))
    .onParse(({ request }) => readJsonBody(request, MAX_BODY_BYTES))
    .get(
      '/users',
      async ({ user, query }) => {
        mustBe(user, ADMIN)
        const page = await deps.users.list(query.query ?? '', query.offset ?? 0, query.limit ?? 50)
        return { users: page.users.map(view), total: page.total }
      },
      {
        auth: true,
        query: t.Object({
          query: t.Optional(t.String({ maxLength: 32 })),
          offset: t.Optional(t.Numeric({ minimum: 0, maximum: 1_000_000 })),
          limit: t.Optional(t.Numeric({ minimum: 1, maximum: 200 })),
        }),
      },
    )
    .patch(
      '/users/:id',
      async ({ user, params, body }) => {
        mustBe(user, ADMIN)
        if (body.role === undefined && body.disabled === undefined) throw new ApiError(400, 'invalid_request', 'give "role", "disabled" or both')
        const before = await deps.users.byId(params.id)
        if (!before) throw new ApiError(404, 'user_not_found', 'no such user')
        let after: User | undefined
        try {
          after = await deps.users.update(params.id, body)
        } catch (error) {
          if (error instanceof LastAdminError) throw new ApiError(409, 'last_admin', error.message)
          throw error
        }
        if (!after) throw new ApiError(404, 'user_not_found', 'no such user')
        deps.moderation.setRole(after.id, after.role as Role)
        const target = actorOf(after)
        if (before.role !== after.role) {
          await deps.audit.record({ actor: actorOf(user), action: 'user.role', target, detail: { from: before.role, to: after.role } })
        }
        if (before.disabled !== after.disabled) {
          await deps.audit.record({ actor: actorOf(user), action: after.disabled ? 'user.disable' : 'user.enable', target })
          if (after.disabled) await shutOut(after.id, 'account disabled')
        }
        deps.log.info({ event: 'admin.user_changed', by: user.id, userId: after.id, role: after.role, disabled: after.disabled }, 'account changed')
        return { user: view(after) }
      },
      {
        auth: true,
        params: userId,
        body: t.Object(
          {
            role: t.Optional(t.Union([t.Literal('admin'), t.Literal('moderator'), t.Literal('member')], { error: `role is one of ${ROLES.join(', ')}` })),
            disabled: t.Optional(t.Boolean({ error: 'disabled is true or false' })),
          },
          { additionalProperties: false },
        ),
      },
    )
    .delete(
      '/users/:id',
      async ({ user, params, set }) => {
        mustBe(user, ADMIN)
        let deleted: User | undefined
        try {
          deleted = await deps.uploads.eraseOwner(params.id, () => deps.users.delete(params.id))
        } catch (error) {
          if (error instanceof LastAdminError) throw new ApiError(409, 'last_admin', error.message)
          throw error
        }
        if (!deleted) throw new ApiError(404, 'user_not_found', 'no such user')
        deps.liveSockets.endUser(deleted.id, 'account deleted')
        deps.moderation.forget(deleted.id)
        await deps.audit.record({ actor: actorOf(user), action: 'user.delete', target: actorOf(deleted) })
        deps.log.info({ event: 'admin.user_deleted', by: user.id, userId: deleted.id }, 'account deleted')
        set.status = 204
      },
      { auth: true, params: userId },
    )
    .put(
      '/users/:id/chat-mute',
      async ({ user, params, body }) => {
        mustBe(user, STAFF)
        const target = await deps.users.byId(params.id)
        if (!target) throw new ApiError(404, 'user_not_found', 'no such user')
        // A moderator mutes members; an admin mutes members and moderators; nobody mutes an admin or themselves.
        if (target.id === user.id || RANK[target.role as Role] >= RANK[user.role as Role]) {
          throw new ApiError(403, 'forbidden', 'you can mute only people whose role is below yours')
        }
        const until = new Date(Date.now() + body.seconds * 1000)
        const muted = (await deps.users.setChatMute(target.id, until))!
        deps.moderation.setMute(target.id, until.getTime())
        await deps.audit.record({ actor: actorOf(user), action: 'chat.mute', target: actorOf(target), detail: { seconds: body.seconds } })
        return { user: view(muted) }
      },
      {
        auth: true,
        params: userId,
        body: t.Object(
          { seconds: t.Integer({ minimum: 60, maximum: MAX_MUTE_SECONDS, error: `seconds is from 60 to ${MAX_MUTE_SECONDS} (30 days)` }) },
          { additionalProperties: false },
        ),
      },
    )
    .delete(
      '/users/:id/chat-mute',
      async ({ user, params }) => {
        mustBe(user, STAFF)
        const target = await deps.users.setChatMute(params.id, null)
        if (!target) throw new ApiError(404, 'user_not_found', 'no such user')
        deps.moderation.setMute(target.id, undefined)
        await deps.audit.record({ actor: actorOf(user), action: 'chat.unmute', target: actorOf(target) })
        return { user: view(target) }
      },
      { auth: true, params: userId },
    )
    .get(
      '/settings',
      async ({ user }) => {
        mustBe(user, ADMIN)
        return { registration: await registrationPolicy(deps.settings, deps.defaultRegistration) }
      },
      { auth: true },
    )
    .put(
      '/settings',
      async ({ user, body }) => {
        mustBe(user, ADMIN)
        const before = await registrationPolicy(deps.settings, deps.defaultRegistration)
        await deps.settings.set('registration', body.registration)
        if (before !== body.registration) {
          await deps.audit.record({ actor: actorOf(user), action: 'settings.registration', detail: { from: before, to: body.registration } })
        }
        return { registration: body.registration }
      },
      {
        auth: true,
        body: t.Object(
          { registration: t.Union([t.Literal('open'), t.Literal('invite'), t.Literal('closed')], { error: `registration is one of ${REGISTRATION_POLICIES.join(', ')}` }) },
          { additionalProperties: false },
        ),
      },
    )
    .post(
      '/invites',
      async ({ user, body, request, set }) => {
        mustBe(user, STAFF)
        const now = new Date()
        // Ended invites are shown for a week, then the server's sweep removes them; until then they count too.
        if ((await deps.invites.count()) >= MAX_INVITES) {
          throw new ApiError(409, 'too_many_invites', `at most ${MAX_INVITES} invites at once; revoke some first`)
        }
        const row = await deps.invites.create({
          code: randomBytes(18).toString('base64url'),
          createdBy: user.id,
          maxUses: body.maxUses,
          createdAt: now,
          expiresAt: new Date(now.getTime() + body.expiresInSeconds * 1000),
        })
        await deps.audit.record({ actor: actorOf(user), action: 'invite.create', detail: { code: row.code.slice(0, 6), maxUses: row.maxUses, expiresAt: row.expiresAt.toISOString() } })
        set.status = 201
        return { invite: inviteView(row, request) }
      },
      {
        auth: true,
        body: t.Object(
          {
            maxUses: t.Integer({ minimum: 1, maximum: MAX_INVITE_USES, error: `maxUses is a whole number from 1 to ${MAX_INVITE_USES}` }),
            expiresInSeconds: t.Integer({ minimum: 60, maximum: MAX_INVITE_SECONDS, error: `expiresInSeconds is from 60 to ${MAX_INVITE_SECONDS} (30 days)` }),
          },
          { additionalProperties: false },
        ),
      },
    )
    .get(
      '/invites',
      async ({ user, request }) => {
        mustBe(user, STAFF)
        return { invites: (await deps.invites.list(MAX_INVITES)).map((row) => inviteView(row, request)) }
      },
      { auth: true },
    )
    .delete(
      '/invites/:code',
      async ({ user, params, set }) => {
        mustBe(user, STAFF)
        const row = await deps.invites.revoke(params.code, new Date())
        if (!row) throw new ApiError(404, 'invite_not_found', 'no such invite')
        await deps.audit.record({ actor: actorOf(user), action: 'invite.revoke', detail: { code: row.code.slice(0, 6) } })
        set.status = 204
      },
      { auth: true, params: t.Object({ code: t.String({ maxLength: 64 }) }) },
    )
    .get(
      '/audit',
      async ({ user, query }) => {
        mustBe(user, ADMIN)
        const limit = query.limit ?? 50
        const rows = await deps.audit.page(query.before, limit + 1)
        return {
          entries: rows.slice(0, limit).map((r) => ({
            id: r.id,
            at: r.at.toISOString(),
            actor: { id: r.actorId, username: r.actorName },
            action: r.action,
            target: r.targetName === null ? null : { id: r.targetId, username: r.targetName },
            detail: JSON.parse(r.detail) as Record<string, unknown>,
          })),
          hasMore: rows.length > limit,
        }
      },
      {
        auth: true,
        query: t.Object({
          before: t.Optional(t.Numeric({ minimum: 1, maximum: 2 ** 53 })),
          limit: t.Optional(t.Numeric({ minimum: 1, maximum: 200 })),
        }),
      },
    )
    .get(
      '/stats',
      async ({ user }) => {
        mustBe(user, ADMIN)
        const rooms = deps.rooms
          .all()
          .filter((room) => room.isCall)
          .map((room) => ({ name: room.name, members: room.callMembers.length, mode: room.mediaMode?.mode ?? 'mesh' }))
          .sort((a, b) => b.members - a.members || a.name.localeCompare(b.name))
        return {
          online: deps.liveSockets.users(),
          sockets: deps.liveSockets.count(),
          rooms: rooms.slice(0, 100),
          openRooms: rooms.length,
          vault: await deps.files.totalUsage(),
        }
      },
      { auth: true },
    )
}
