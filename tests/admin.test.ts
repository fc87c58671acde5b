// Roles, the registration policy, invites and the admin API, over HTTP and the WebSocket of a real server: every
// rule from both sides (the allowed role succeeds, every other role gets `forbidden`), changes taking effect on open
// sockets, invites under concurrent registrations, and the last-admin rule.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { startServer, type TestServer } from './support/server'
import { registerAndLogin, requestJson, uniqueName } from './support/http'
import { TestSocket } from './support/ws'
import { TusClient, randomBytes } from './support/tus'

type Account = Awaited<ReturnType<typeof registerAndLogin>>

let server: TestServer
let admin: Account
let moderator: Account
let member: Account
beforeAll(async () => {
  server = await startServer({ LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000' })
  // The first account on an empty server is its admin; every later one a member.
  admin = await registerAndLogin(server.url, uniqueName('root'))
  moderator = await registerAndLogin(server.url, uniqueName('mod'))
  member = await registerAndLogin(server.url, uniqueName('mem'))
  const promoted = await call(admin, 'PATCH', `/admin/users/${moderator.user.id}`, { role: 'moderator' })
  expect(promoted.status).toBe(200)
}, 30_000)
afterAll(async () => {
  await server?.dispose()
})

const api = (path: string) => `${server.url}/api${path}`
const call = (who: Account | undefined, method: string, path: string, body?: unknown) =>
  requestJson(api(path), { method, body, headers: who ? { authorization: `Bearer ${who.token}` } : {} })

function expectError(response: { status: number; body: any }, status: number, code: string) {
  expect({ status: response.status, code: response.body?.error?.code }).toEqual({ status, code })
  expect(typeof response.body.error.message).toBe('string')
}

async function setPolicy(registration: string) {
  expect((await call(admin, 'PUT', '/admin/settings', { registration })).status).toBe(200)
}

describe('roles', () => {
  test('the first account is the admin, later ones are members; /me says which', async () => {
    expect((await call(admin, 'GET', '/auth/me')).body.user.role).toBe('admin')
    expect((await call(moderator, 'GET', '/auth/me')).body.user.role).toBe('moderator')
    expect((await call(member, 'GET', '/auth/me')).body.user.role).toBe('member')
  }, 30_000)

  test('every admin route: 401 without a session, 403 forbidden for members and moderators, allowed for the admin', async () => {
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/admin/users'],
      ['PATCH', `/admin/users/${member.user.id}`, { role: 'member' }],
      ['GET', '/admin/settings'],
      ['PUT', '/admin/settings', { registration: 'open' }],
      ['GET', '/admin/audit'],
      ['GET', '/admin/stats'],
    ]
    for (const [method, path, body] of routes) {
      expectError(await call(undefined, method, path, body), 401, 'unauthenticated')
      expectError(await call(member, method, path, body), 403, 'forbidden')
      expectError(await call(moderator, method, path, body), 403, 'forbidden')
      expect({ path, status: (await call(admin, method, path, body)).status }).toEqual({ path, status: 200 })
    }
    // Deleting: refused to both, and the account is still there.
    expectError(await call(member, 'DELETE', `/admin/users/${moderator.user.id}`), 403, 'forbidden')
    expectError(await call(moderator, 'DELETE', `/admin/users/${member.user.id}`), 403, 'forbidden')
    expect((await call(member, 'GET', '/auth/me')).status).toBe(200)
  }, 30_000)

  test('invites: admins and moderators create, list and revoke them; members cannot', async () => {
    for (const who of [admin, moderator]) {
      const created = await call(who, 'POST', '/admin/invites', { maxUses: 2, expiresInSeconds: 3600 })
      expect(created.status).toBe(201)
      const invite = created.body.invite
      expect(invite).toMatchObject({ maxUses: 2, uses: 0, state: 'live', revokedAt: null })
      // At least 128 random bits, and the URL carries nothing else.
      expect(invite.code).toMatch(/^[A-Za-z0-9_-]{24,}$/)
      expect(invite.url).toBe(`${server.url}/register?invite=${invite.code}`)
      expect((await call(who, 'GET', '/admin/invites')).body.invites.map((i: any) => i.code)).toContain(invite.code)
      expect((await call(who, 'DELETE', `/admin/invites/${invite.code}`)).status).toBe(204)
      const listed = (await call(who, 'GET', '/admin/invites')).body.invites.find((i: any) => i.code === invite.code)
      expect(listed.state).toBe('revoked')
    }
    expectError(await call(member, 'POST', '/admin/invites', { maxUses: 1, expiresInSeconds: 3600 }), 403, 'forbidden')
    expectError(await call(member, 'GET', '/admin/invites'), 403, 'forbidden')
    expectError(await call(undefined, 'GET', '/admin/invites'), 401, 'unauthenticated')
    expectError(await call(admin, 'DELETE', '/admin/invites/no-such-invite-code-here'), 404, 'invite_not_found')
  }, 30_000)

  test('a role change applies at once: a promoted member may create invites, and loses that the moment it is demoted', async () => {
    const someone = await registerAndLogin(server.url, uniqueName('up'))
    expectError(await call(someone, 'POST', '/admin/invites', { maxUses: 1, expiresInSeconds: 60 }), 403, 'forbidden')
    const promoted = await call(admin, 'PATCH', `/admin/users/${someone.user.id}`, { role: 'moderator' })
    expect(promoted.body.user).toMatchObject({ id: someone.user.id, role: 'moderator', disabled: false })
    expect((await call(someone, 'POST', '/admin/invites', { maxUses: 1, expiresInSeconds: 60 })).status).toBe(201)
    await call(admin, 'PATCH', `/admin/users/${someone.user.id}`, { role: 'member' })
    expectError(await call(someone, 'POST', '/admin/invites', { maxUses: 1, expiresInSeconds: 60 }), 403, 'forbidden')
    expect((await call(someone, 'GET', '/auth/me')).body.user.role).toBe('member')
  }, 30_000)

  test('the last admin cannot be demoted, disabled or deleted; with a second admin it can', async () => {
    expectError(await call(admin, 'PATCH', `/admin/users/${admin.user.id}`, { role: 'member' }), 409, 'last_admin')
    expectError(await call(admin, 'PATCH', `/admin/users/${admin.user.id}`, { disabled: true }), 409, 'last_admin')
    expectError(await call(admin, 'DELETE', `/admin/users/${admin.user.id}`), 409, 'last_admin')
    const second = await registerAndLogin(server.url, uniqueName('adm'))
    await call(admin, 'PATCH', `/admin/users/${second.user.id}`, { role: 'admin' })
    // Now the second admin may step down, and then it is the last one again for the first... and vice versa.
    expect((await call(second, 'PATCH', `/admin/users/${second.user.id}`, { role: 'member' })).status).toBe(200)
    expectError(await call(admin, 'PATCH', `/admin/users/${admin.user.id}`, { role: 'moderator' }), 409, 'last_admin')
    expect((await call(admin, 'GET', '/auth/me')).body.user.role).toBe('admin')
  }, 30_000)

  test('disabling an account closes its sockets with 4001, ends its sessions and refuses its login; enabling lets it back', async () => {
    const target = await registerAndLogin(server.url, uniqueName('off'))
    const socket = await TestSocket.open(server.url, { authorization: `Bearer ${target.token}` })
    await socket.next((f) => f.type === 'hello')
    const changed = await call(admin, 'PATCH', `/admin/users/${target.user.id}`, { disabled: true })
    expect(changed.body.user.disabled).toBe(true)
    expect((await socket.waitClosed()).code).toBe(4001)
    expectError(await call(target, 'GET', '/auth/me'), 401, 'unauthenticated')
    const login = await requestJson(api('/auth/login'), { body: { username: target.username, password: target.password } })
    expectError(login, 403, 'account_disabled')
    // A wrong password still gets the usual answer: being disabled is said only to someone who knows the password.
    expectError(await requestJson(api('/auth/login'), { body: { username: target.username, password: 'not the password' } }), 401, 'invalid_credentials')
    await call(admin, 'PATCH', `/admin/users/${target.user.id}`, { disabled: false })
    expect((await requestJson(api('/auth/login'), { body: { username: target.username, password: target.password } })).status).toBe(200)
  }, 30_000)

  test('deleting an account removes its sessions and vault bytes; the name is free again; the audit log keeps the names', async () => {
    const target = await registerAndLogin(server.url, uniqueName('gone'))
    const tus = new TusClient(server.url, target.token)
    await tus.upload('notes.bin', randomBytes(200_000), 'application/octet-stream')
    const [row] = await server.query<{ storage_key: string }>('select storage_key from files where owner_id = ?', target.user.id)
    expect(await holds(row!.storage_key)).toBe(true)

    expect((await call(admin, 'DELETE', `/admin/users/${target.user.id}`)).status).toBe(204)
    expectError(await call(target, 'GET', '/auth/me'), 401, 'unauthenticated')
    expect(await server.query('select id from files where owner_id = ?', target.user.id)).toEqual([])
    expect(await holds(row!.storage_key)).toBe(false)
    expectError(await call(admin, 'DELETE', `/admin/users/${target.user.id}`), 404, 'user_not_found')
    expect((await requestJson(api('/auth/register'), { body: { username: target.username, password: 'another fine password' } })).status).toBe(201)

    const audit = (await call(admin, 'GET', '/admin/audit?limit=5')).body.entries
    expect(audit[0]).toMatchObject({ action: 'user.delete', actor: { id: admin.user.id, username: admin.username }, target: { id: target.user.id, username: target.username } })
  }, 30_000)

  test('bad input gets a 4xx with a reason, and changes nothing', async () => {
    const cases: Array<[string, string, unknown, number, string]> = [
      ['PATCH', `/admin/users/${member.user.id}`, { role: 'god' }, 400, 'invalid_request'],
      ['PATCH', `/admin/users/${member.user.id}`, {}, 400, 'invalid_request'],
      ['PATCH', `/admin/users/${member.user.id}`, { disabled: 'yes' }, 400, 'invalid_request'],
      ['PATCH', '/admin/users/abc', { role: 'member' }, 400, 'invalid_request'],
      ['PATCH', '/admin/users/999999', { role: 'member' }, 404, 'user_not_found'],
      ['PUT', '/admin/settings', { registration: 'sometimes' }, 400, 'invalid_request'],
      ['POST', '/admin/invites', { maxUses: 0, expiresInSeconds: 3600 }, 400, 'invalid_request'],
      ['POST', '/admin/invites', { maxUses: 1, expiresInSeconds: 10 }, 400, 'invalid_request'],
      ['POST', '/admin/invites', { maxUses: 1, expiresInSeconds: 99_999_999 }, 400, 'invalid_request'],
      ['GET', '/admin/users?limit=100000', undefined, 400, 'invalid_request'],
    ]
    for (const [method, path, body, status, code] of cases) {
      const response = await call(admin, method, path, body)
      expect({ path, body, status: response.status, code: response.body?.error?.code }).toEqual({ path, body, status, code })
    }
    expect((await call(member, 'GET', '/auth/me')).body.user.role).toBe('member')
    expect((await call(admin, 'GET', '/admin/settings')).body.registration).toBe('open')
  }, 30_000)

  test('the users list searches by name and pages; stats count who is online, open rooms and the vault', async () => {
    const list = await call(admin, 'GET', `/admin/users?query=${encodeURIComponent(member.username.slice(0, 12))}`)
    expect(list.body.users.map((u: any) => u.username)).toContain(member.username)
    expect(list.body.users.every((u: any) => u.username.toLowerCase().includes(member.username.slice(0, 12).toLowerCase()))).toBe(true)
    const page = await call(admin, 'GET', '/admin/users?offset=1&limit=2')
    expect(page.body.users.length).toBe(2)
    expect(page.body.total).toBeGreaterThanOrEqual(4)
    // A LIKE wildcard is a literal character here.
    expect((await call(admin, 'GET', '/admin/users?query=%25')).body.users).toEqual([])

    const socket = await TestSocket.open(server.url, { authorization: `Bearer ${member.token}` })
    await socket.next((f) => f.type === 'hello')
    const room = uniqueName('statroom').replace(/_/g, '-')
    socket.send({ type: 'room.join', room, media: { camera: false, mic: false, screen: false } })
    await socket.next((f) => f.type === 'room.joined')
    const stats = (await call(admin, 'GET', '/admin/stats')).body
    expect(stats.online).toBeGreaterThanOrEqual(1)
    expect(stats.rooms).toContainEqual({ name: room, members: 1, mode: 'mesh' })
    expect(stats.vault).toEqual({ files: expect.any(Number), bytes: expect.any(Number) })
    socket.close()
  }, 30_000)
})

describe('partyroom admin create', () => {
  const ROOT = join(import.meta.dir, '..')
  const run = async (args: string[], stdin: string) => {
    const child = Bun.spawn(['bun', 'src/cli/admin.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: server.dataDir, ...server.cluster?.env },
      stdin: new Blob([stdin]),
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
    return { code, output: out + err }
  }

  test('promotes an existing account, or creates an admin with the password from standard input; bad use exits 2', async () => {
    const someone = await registerAndLogin(server.url, uniqueName('cli'))
    const promoted = await run(['create', someone.username], '')
    expect(promoted).toMatchObject({ code: 0 })
    expect(promoted.output).toContain(`${someone.username} (id ${someone.user.id}) is an admin`)
    expect((await call(someone, 'GET', '/auth/me')).body.user.role).toBe('admin')

    const name = uniqueName('newadm')
    expect((await run(['create', name], 'a fine admin password\n')).code).toBe(0)
    const login = await requestJson(api('/auth/login'), { body: { username: name, password: 'a fine admin password' } })
    expect(login.body.user).toMatchObject({ username: name, role: 'admin' })
    const audit = (await call(admin, 'GET', '/admin/audit?limit=5')).body.entries
    expect(audit[0]).toMatchObject({ action: 'user.create_admin', actor: { id: null, username: 'shell' }, target: { username: name } })

    expect(await run(['create', uniqueName('weak')], 'short\n')).toMatchObject({ code: 2, output: expect.stringContaining('at least 8 bytes') })
    expect(await run(['create', 'no spaces allowed'], '')).toMatchObject({ code: 2, output: expect.stringContaining('3 to 32 characters') })
    expect(await run(['delete', 'x'], '')).toMatchObject({ code: 2, output: expect.stringContaining('usage: partyroom admin create <username>') })
    // Demote them again, so the rest of the file has one admin.
    for (const username of [someone.username, name]) {
      const [row] = await server.query<{ id: number }>('select id from users where username = ?', username)
      await call(admin, 'PATCH', `/admin/users/${row!.id}`, { role: 'member' })
    }
  }, 30_000)
})

describe('registration policy', () => {
  test('closed refuses everyone; invite requires a valid code; open lets anyone in; every change is audited', async () => {
    try {
      await setPolicy('closed')
      expectError(await requestJson(api('/auth/register'), { body: { username: uniqueName('no'), password: 'a fine password' } }), 403, 'registration_closed')

      await setPolicy('invite')
      expectError(await requestJson(api('/auth/register'), { body: { username: uniqueName('no'), password: 'a fine password' } }), 403, 'invite_required')
      const invite = (await call(moderator, 'POST', '/admin/invites', { maxUses: 2, expiresInSeconds: 3600 })).body.invite
      const register = (invite_: string) => requestJson(api('/auth/register'), { body: { username: uniqueName('inv'), password: 'a fine password', invite: invite_ } })
      expectError(await register('x'.repeat(24)), 403, 'invite_required')
      expect((await register(invite.code)).status).toBe(201)
      expect((await register(invite.code)).status).toBe(201)
      // Used up.
      expectError(await register(invite.code), 403, 'invite_required')
      expect((await call(admin, 'GET', '/admin/invites')).body.invites.find((i: any) => i.code === invite.code)).toMatchObject({ uses: 2, state: 'used_up' })

      // Expired (its time moved into the past, as the clock would) and revoked.
      const expiring = (await call(admin, 'POST', '/admin/invites', { maxUses: 5, expiresInSeconds: 60 })).body.invite
      await server.query('update invites set expires_at = ? where code = ?', server.dialect === 'sqlite' ? Date.now() - 1000 : new Date(Date.now() - 1000), expiring.code)
      expectError(await register(expiring.code), 403, 'invite_required')
      const revoked = (await call(admin, 'POST', '/admin/invites', { maxUses: 5, expiresInSeconds: 600 })).body.invite
      await call(admin, 'DELETE', `/admin/invites/${revoked.code}`)
      expectError(await register(revoked.code), 403, 'invite_required')
      // A malformed code is a validation error.
      expectError(await register('short'), 400, 'invalid_request')

      const actions = (await call(admin, 'GET', '/admin/audit?limit=50')).body.entries.map((e: any) => `${e.action}:${JSON.stringify(e.detail)}`)
      expect(actions).toContain('settings.registration:{"from":"open","to":"closed"}')
      expect(actions).toContain('settings.registration:{"from":"closed","to":"invite"}')
      expect(actions.filter((a: string) => a.startsWith('invite.create')).length).toBeGreaterThanOrEqual(3)
    } finally {
      await setPolicy('open')
    }
    expect((await requestJson(api('/auth/register'), { body: { username: uniqueName('yes'), password: 'a fine password' } })).status).toBe(201)
  }, 30_000)

  test('registrations racing for an invite\'s last use: exactly one gets in, every round', async () => {
    try {
      await setPolicy('invite')
      for (let round = 0; round < 5; round++) {
        const invite = (await call(admin, 'POST', '/admin/invites', { maxUses: 1, expiresInSeconds: 600 })).body.invite
        const results = await Promise.all(
          [0, 1, 2].map(() => requestJson(api('/auth/register'), { body: { username: uniqueName('race'), password: 'a fine password', invite: invite.code } })),
        )
        expect(results.map((r) => r.status).sort()).toEqual([201, 403, 403])
        expect((await call(admin, 'GET', '/admin/invites')).body.invites.find((i: any) => i.code === invite.code).uses).toBe(1)
      }
    } finally {
      await setPolicy('open')
    }
  }, 30_000)
})

/** Whether the server's blob store holds `key` (on disk, or in the cluster's bucket). */
async function holds(key: string): Promise<boolean> {
  if (server.cluster) return (await server.cluster.bucketKeys()).some((k) => k.endsWith(key))
  const root = join(server.dataDir, 'vault', 'blobs')
  return readdirSync(root).some((shard) => readdirSync(join(root, shard)).includes(key))
}
