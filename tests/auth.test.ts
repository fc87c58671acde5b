import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { SignJWT, decodeJwt } from 'jose'
import { startServer, TEST_JWT_SECRET, type TestServer } from './support/server'
import { registerAndLogin, requestJson, uniqueName } from './support/http'

let server: TestServer
const generous = { LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000', JWT_SECRET: TEST_JWT_SECRET }

beforeAll(async () => {
  server = await startServer(generous)
})
afterAll(async () => {
  await server?.dispose()
})

const api = (path: string) => `${server.url}/api${path}`

function expectError(response: { status: number; body: any }, status: number, code?: string) {
  expect(response.status).toBe(status)
  expect(response.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } })
  if (code) expect(response.body.error.code).toBe(code)
  expect(JSON.stringify(response.body)).not.toMatch(/\bat .*\.ts:\d+/) // no stack trace
}

describe('health', () => {
  test('answers 200 with version and uptime, and carries the security headers', async () => {
    const response = await requestJson(api('/health'))
    expect(response.status).toBe(200)
    expect(response.body).toEqual({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/), uptimeSeconds: expect.any(Number) })
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')
    // Sockets only to our own origin (no "ws:"/"wss:" to any host), camera, microphone and screen for our own pages
    // only, and no HSTS over plain HTTP (it is sent when PartyRoom serves TLS itself: ops.test.ts).
    const csp = response.headers.get('content-security-policy')!
    expect(csp.split('; ').find((d) => d.startsWith('connect-src'))).toBe("connect-src 'self'")
    expect(response.headers.get('permissions-policy')).toContain('camera=(self), microphone=(self), display-capture=(self)')
    expect(response.headers.get('strict-transport-security')).toBeNull()
  })
})

describe('register', () => {
  test('creates an account (201) and stores only a bcrypt hash of cost 12', async () => {
    const username = uniqueName('reg')
    const password = 'a fine password'
    const response = await requestJson(api('/auth/register'), { body: { username, password } })
    expect(response.status).toBe(201)
    expect(response.body.user).toEqual({ id: expect.any(Number), username, createdAt: expect.any(String), role: expect.stringMatching(/^(admin|member)$/) })
    expect(JSON.stringify(response.body)).not.toContain('hash')

    const [row] = await server.query<{ password_hash: string }>('select password_hash from users where username = ?', username)
    expect(row!.password_hash).toMatch(/^\$2[aby]\$12\$/)
    expect(row!.password_hash).not.toContain(password)
  })

  test('refuses a duplicate username, regardless of case (409)', async () => {
    const username = uniqueName('dup')
    expect((await requestJson(api('/auth/register'), { body: { username, password: 'password-one' } })).status).toBe(201)
    expectError(await requestJson(api('/auth/register'), { body: { username, password: 'password-two' } }), 409, 'username_taken')
    expectError(
      await requestJson(api('/auth/register'), { body: { username: username.toUpperCase(), password: 'password-two' } }),
      409,
      'username_taken',
    )
  })

  test('a race of identical registrations yields exactly one account', async () => {
    const username = uniqueName('race')
    const results = await Promise.all(
      Array.from({ length: 5 }, () => requestJson(api('/auth/register'), { body: { username, password: 'password-race' } })),
    )
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409])
  })

  const badBodies: Array<[string, unknown, number]> = [
    ['username too short', { username: 'ab', password: 'password1' }, 400],
    ['username too long', { username: 'a'.repeat(33), password: 'password1' }, 400],
    ['username with a space', { username: 'bad name', password: 'password1' }, 400],
    ['username with a slash', { username: '../etc', password: 'password1' }, 400],
    ['username with markup', { username: '<script>', password: 'password1' }, 400],
    ['username not a string', { username: 12345, password: 'password1' }, 400],
    ['password not a string', { username: 'okname', password: 12345678 }, 400],
    ['password too short', { username: 'okname', password: 'short' }, 400],
    ['password over 72 bytes', { username: 'okname', password: 'x'.repeat(73) }, 400],
    ['password over 72 bytes in UTF-8 though 40 characters', { username: 'okname', password: 'é'.repeat(40) }, 400],
    ['missing password', { username: 'okname' }, 400],
    ['missing username', { password: 'password1' }, 400],
    ['an array', [1, 2, 3], 400],
    ['null', null, 400],
  ]
  for (const [name, body, status] of badBodies) {
    test(`refuses ${name} with a clear error`, async () => {
      const response = await requestJson(api('/auth/register'), { rawBody: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
      expectError(response, status)
      expect(response.body.error.message.length).toBeGreaterThan(5)
    })
  }

  test('names the missing field', async () => {
    const response = await requestJson(api('/auth/register'), { body: { username: 'okname' } })
    expect(response.body.error.message).toContain('password')
  })

  test('accepts a 72-byte password and names with every allowed character', async () => {
    const username = `A-b_c.${Date.now() % 1e6}`
    const response = await requestJson(api('/auth/register'), { body: { username, password: 'é'.repeat(36) } })
    expect(response.status).toBe(201)
    const login = await requestJson(api('/auth/login'), { body: { username, password: 'é'.repeat(36) } })
    expect(login.status).toBe(200)
  })

  test('refuses malformed JSON, the wrong content type, an empty and an oversized body', async () => {
    expectError(await requestJson(api('/auth/register'), { rawBody: '{"username":', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json')
    expectError(await requestJson(api('/auth/register'), { rawBody: 'username=a&password=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415)
    expectError(await requestJson(api('/auth/register'), { rawBody: '', headers: { 'content-type': 'application/json' } }), 400)
    const huge = JSON.stringify({ username: 'okname', password: 'password1', padding: 'x'.repeat(100_000) })
    expectError(await requestJson(api('/auth/register'), { rawBody: huge, headers: { 'content-type': 'application/json' } }), 413, 'body_too_large')
  })

  test('refuses a register or login without any body', async () => {
    for (const path of ['/auth/register', '/auth/login']) {
      const response = await requestJson(api(path), { method: 'POST' })
      expectError(response, 400)
    }
  })

  test('refuses an oversized chunked body without a length header', async () => {
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"username":"okname","password":"'))
        for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode('y'.repeat(1000)))
        controller.enqueue(new TextEncoder().encode('"}'))
        controller.close()
      },
    })
    const response = await fetch(api('/auth/register'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream })
    expect(response.status).toBe(413)
    expect((await response.json()).error.code).toBe('body_too_large')
  })
})

describe('login, me, logout', () => {
  test('login returns a JWT in the body and as an HttpOnly, SameSite=Strict cookie with an expiry', async () => {
    const account = await registerAndLogin(server.url)
    expect(account.token.split('.')).toHaveLength(3)
    expect(account.cookie).toMatch(/^partyroom_session=[^;]+;/)
    expect(account.cookie).toMatch(/HttpOnly/i)
    expect(account.cookie).toMatch(/SameSite=Strict/i)
    expect(account.cookie).toMatch(/Expires=/i)
    const claims = decodeJwt(account.token)
    expect(claims.exp! - claims.iat!).toBe(3600)
    expect(claims.sub).toBe(String(account.user.id))
    expect(JSON.stringify(claims)).not.toContain(account.password)
  })

  test('me answers for a bearer token and for the cookie; 401 without either', async () => {
    const account = await registerAndLogin(server.url)
    const viaBearer = await requestJson(api('/auth/me'), { headers: { authorization: `Bearer ${account.token}` } })
    expect(viaBearer.status).toBe(200)
    expect(viaBearer.body.user.username).toBe(account.username)
    const viaCookie = await requestJson(api('/auth/me'), { headers: { cookie: account.cookie.split(';')[0]! } })
    expect(viaCookie.status).toBe(200)
    expect(viaCookie.body.user.id).toBe(account.user.id)
    expectError(await requestJson(api('/auth/me')), 401, 'unauthenticated')
    expectError(await requestJson(api('/auth/me'), { headers: { authorization: 'Bearer' } }), 401)
    expectError(await requestJson(api('/auth/me'), { headers: { authorization: 'Basic Zm9vOmJhcg==' } }), 401)
  })

  test('logout revokes the token everywhere and clears the cookie', async () => {
    const account = await registerAndLogin(server.url)
    const response = await fetch(api('/auth/logout'), { method: 'POST', headers: { authorization: `Bearer ${account.token}` } })
    expect(response.status).toBe(204)
    expect(response.headers.get('set-cookie')).toMatch(/partyroom_session=;.*Max-Age=0/i)
    expectError(await requestJson(api('/auth/me'), { headers: { authorization: `Bearer ${account.token}` } }), 401)
    expectError(await requestJson(api('/auth/me'), { headers: { cookie: account.cookie.split(';')[0]! } }), 401)
    // Logging out again, or without a session, is harmless.
    expect((await fetch(api('/auth/logout'), { method: 'POST' })).status).toBe(204)
  })

  test('wrong password and unknown user get the same 401 in comparable time', async () => {
    const account = await registerAndLogin(server.url)
    const wrong = await requestJson(api('/auth/login'), { body: { username: account.username, password: 'not the password' } })
    const unknown = await requestJson(api('/auth/login'), { body: { username: uniqueName('ghost'), password: 'not the password' } })
    expectError(wrong, 401, 'invalid_credentials')
    expect(unknown.status).toBe(401)
    expect(unknown.body).toEqual(wrong.body)

    // Without the dummy hash an unknown user would answer in ~1 ms against ~200 ms: compare medians.
    const time = async (username: string) => {
      const samples: number[] = []
      for (let i = 0; i < 5; i++) {
        const start = performance.now()
        await requestJson(api('/auth/login'), { body: { username, password: 'not the password' } })
        samples.push(performance.now() - start)
      }
      return samples.sort((a, b) => a - b)[2]!
    }
    const known = await time(account.username)
    const ghost = await time(uniqueName('ghost'))
    expect(ghost).toBeGreaterThan(known * 0.5)
    expect(known).toBeGreaterThan(ghost * 0.5)
  })

  test('login is case-insensitive on the username', async () => {
    const account = await registerAndLogin(server.url, uniqueName('Case'))
    const response = await requestJson(api('/auth/login'), { body: { username: account.username.toLowerCase(), password: account.password } })
    expect(response.status).toBe(200)
    expect(response.body.user.username).toBe(account.username)
  })
})

describe('tokens', () => {
  const secret = new TextEncoder().encode(TEST_JWT_SECRET)

  test('a tampered token is refused', async () => {
    const account = await registerAndLogin(server.url)
    const [header, payload, signature] = account.token.split('.')
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString())
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: '1' })).toString('base64url')
    expectError(await requestJson(api('/auth/me'), { headers: { authorization: `Bearer ${header}.${forged}.${signature}` } }), 401)
    const flipped = signature!.slice(0, -2) + (signature!.endsWith('AA') ? 'BB' : 'AA')
    expectError(await requestJson(api('/auth/me'), { headers: { authorization: `Bearer ${header}.${payload}.${flipped}` } }), 401)
    expectError(await requestJson(api('/auth/me'), { headers: { authorization: 'Bearer not.a.jwt' } }), 401)
  })

  test('an expired token is refused even with a live session', async () => {
    const account = await registerAndLogin(server.url)
    const claims = decodeJwt(account.token)
    const expired = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) - 5 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(secret)
    expectError(await requestJson(api('/auth/me'), { headers: { authorization: `Bearer ${expired}` } }), 401)
  })

  test('alg none, another algorithm and another key are refused', async () => {
    const account = await registerAndLogin(server.url)
    const claims = decodeJwt(account.token)
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const none = `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`
    expectError(await requestJson(api('/auth/me'), { headers: { authorization: `Bearer ${none}` } }), 401)
    const hs512 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS512' }).sign(secret)
    expectError(await requestJson(api('/auth/me'), { headers: { authorization: `Bearer ${hs512}` } }), 401)
    const otherKey = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('x'.repeat(48)))
    expectError(await requestJson(api('/auth/me'), { headers: { authorization: `Bearer ${otherKey}` } }), 401)
    // The genuine token still works: the refusals above were about the tokens, not the session.
    expect((await requestJson(api('/auth/me'), { headers: { authorization: `Bearer ${account.token}` } })).status).toBe(200)
  })

  test('a token naming another user than its session is refused', async () => {
    const alice = await registerAndLogin(server.url)
    const bob = await registerAndLogin(server.url)
    const claims = decodeJwt(alice.token)
    const mixed = await new SignJWT({ ...claims, sub: String(bob.user.id) }).setProtectedHeader({ alg: 'HS256' }).sign(secret)
    expectError(await requestJson(api('/auth/me'), { headers: { authorization: `Bearer ${mixed}` } }), 401)
  })

  test('a cookie session past half its life is renewed with a fresh cookie', async () => {
    const account = await registerAndLogin(server.url)
    const claims = decodeJwt(account.token)
    const ageing = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) + 60 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(secret)
    const response = await fetch(api('/auth/me'), { headers: { cookie: `partyroom_session=${ageing}` } })
    expect(response.status).toBe(200)
    const renewed = response.headers.get('set-cookie')!.match(/partyroom_session=([^;]+)/)![1]!
    expect(decodeJwt(renewed).exp!).toBeGreaterThan(Math.floor(Date.now() / 1000) + 3000)
    expect((await requestJson(api('/auth/me'), { headers: { cookie: `partyroom_session=${renewed}` } })).status).toBe(200)
  })
})

describe('rate limiting', () => {
  let limited: TestServer
  beforeAll(async () => {
    limited = await startServer({ LOGIN_LIMIT_PER_USER: '10', LOGIN_LIMIT_PER_ADDRESS: '1000', REGISTER_LIMIT_PER_ADDRESS: '4', TRUST_PROXY: 'true' })
  })
  afterAll(async () => {
    await limited?.dispose()
  })

  test('ten wrong passwords from one address slow that address down, not the account owner elsewhere', async () => {
    const account = await registerAndLogin(limited.url)
    const attacker = { 'x-forwarded-for': '203.0.113.66' }
    const owner = { 'x-forwarded-for': '198.51.100.7' }
    const login = (password: string, headers: Record<string, string>, username = account.username) =>
      requestJson(`${limited.url}/api/auth/login`, { body: { username, password }, headers })
    // The attacker tries the name in another case too: it is the same account.
    for (let i = 0; i < 10; i++) expect((await login('wrong password', attacker, i % 2 ? account.username.toUpperCase() : account.username)).status).toBe(401)
    const blocked = await login(account.password, attacker)
    expectError(blocked, 429, 'rate_limited')
    const retryAfter = Number(blocked.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(60)
    // The owner, from an address without failures, logs in at once.
    expect((await login(account.password, owner)).status).toBe(200)
    // Another user from the attacker's address is not affected by this username's limit.
    expect((await login('whatever1', attacker, 'someone-else')).status).toBe(401)
  })

  test('a password over 72 bytes is refused at login like any wrong password, even when its first 72 bytes match', async () => {
    const password = 'p'.repeat(72)
    const account = await registerAndLogin(limited.url, uniqueName('long'), password)
    const response = await requestJson(`${limited.url}/api/auth/login`, { body: { username: account.username, password: password + 'EXTRA' } })
    expectError(response, 401, 'invalid_credentials')
    expect((await requestJson(`${limited.url}/api/auth/login`, { body: { username: account.username, password } })).status).toBe(200)
  })

  test('registrations per address are limited too', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) {
      statuses.push((await requestJson(`${limited.url}/api/auth/register`, { body: { username: uniqueName('flood'), password: 'password1' } })).status)
    }
    // Two registrations were used by the tests above.
    expect(statuses).toEqual([201, 201, 429, 429, 429])
  })

  test('login attempts per client address are limited across usernames', async () => {
    const perAddress = await startServer({ LOGIN_LIMIT_PER_ADDRESS: '5' })
    try {
      const statuses: number[] = []
      for (let i = 0; i < 7; i++) {
        statuses.push((await requestJson(`${perAddress.url}/api/auth/login`, { body: { username: `name${i}`, password: 'password1' } })).status)
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429])
    } finally {
      await perAddress.dispose()
    }
  })
})

describe('persistence and configuration', () => {
  test('a restart keeps users and their sessions; the generated secret is kept private in DATA_DIR', async () => {
    const own = await startServer({}, undefined, { embedded: true })
    try {
      const account = await registerAndLogin(own.url)
      const mode = statSync(join(own.dataDir, 'jwt-secret')).mode & 0o777
      expect(mode).toBe(0o600)
      const again = await own.restart()
      try {
        expect((await requestJson(`${again.url}/api/auth/me`, { headers: { authorization: `Bearer ${account.token}` } })).status).toBe(200)
        const login = await requestJson(`${again.url}/api/auth/login`, { body: { username: account.username, password: account.password } })
        expect(login.status).toBe(200)
      } finally {
        await again.dispose()
      }
    } finally {
      await own.dispose()
    }
  })

  test('the database has the migrations applied (SQLite: in WAL mode)', async () => {
    if (server.dialect === 'sqlite') {
      const [mode] = await server.query<{ journal_mode: string }>('pragma journal_mode')
      expect(mode!.journal_mode).toBe('wal')
    }
    const table = server.dialect === 'sqlite' ? '__drizzle_migrations' : 'drizzle.__drizzle_migrations'
    const [migrations] = await server.query<{ n: number }>(`select cast(count(*) as integer) as n from ${table}`)
    expect(migrations!.n).toBeGreaterThanOrEqual(1)
  })

  test('no password or token ever reaches the logs', async () => {
    const account = await registerAndLogin(server.url, uniqueName('logged'), 'secret-in-no-log-1')
    await requestJson(`${server.url}/api/auth/login`, { body: { username: account.username, password: 'secret-in-no-log-2' } })
    await Bun.sleep(100)
    const logs = server.logs.join('\n')
    expect(logs).toContain(account.username)
    expect(logs).not.toContain('secret-in-no-log')
    expect(logs).not.toContain(account.token)
    expect(logs).not.toContain(TEST_JWT_SECRET)
  })
})
