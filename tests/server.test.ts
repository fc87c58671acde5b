import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { startServer, runServerExpectingExit, type TestServer } from './support/server'
import { requestJson } from './support/http'

let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  await server?.dispose()
})

describe('serving the web client', () => {
  test('serves the app shell at / and at client-side routes, never cached', async () => {
    for (const path of ['/', '/login', '/chat', '/vault/some/deep/link']) {
      const response = await fetch(server.url + path)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toContain('text/html')
      expect(response.headers.get('cache-control')).toBe('no-cache')
      const html = await response.text()
      expect(html).toContain('<div id="root">')
    }
  })

  test('serves the hashed assets the shell references, with long caching', async () => {
    const html = await (await fetch(server.url + '/')).text()
    const script = html.match(/src="(\/assets\/[^"]+\.js)"/)?.[1]
    expect(script).toBeDefined()
    const response = await fetch(server.url + script)
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toContain('max-age=31536000')
    expect((await response.text()).length).toBeGreaterThan(1000)
  })

  test('unknown API routes, assets and files are JSON 404s, not the app shell', async () => {
    for (const path of ['/api/nothing', '/api', '/assets/missing.js', '/favicon.png', '/api/auth/me/extra']) {
      const response = await requestJson(server.url + path)
      expect(response.status).toBe(404)
      expect(response.body.error.code).toBe('not_found')
    }
  })

  test('path traversal does not escape the client directory', async () => {
    for (const path of ['/assets/..%2F..%2Fpackage.json', '/assets/../../package.json', '/%2e%2e/%2e%2e/etc/passwd']) {
      const response = await fetch(server.url + path)
      const text = await response.text()
      expect(text).not.toContain('"dependencies"')
      expect(text).not.toContain('root:x:0:0')
    }
  })

  test('unsupported methods on API routes answer 404 JSON', async () => {
    const response = await requestJson(server.url + '/api/health', { method: 'DELETE' })
    expect(response.status).toBe(404)
    expect(response.body.error.code).toBe('not_found')
  })
})

describe('configuration', () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'eighty' }, /PORT: expected a whole number/],
    [{ PORT: '70000' }, /PORT: must be between 0 and 65535/],
    [{ JWT_SECRET: 'short' }, /JWT_SECRET: must be at least 32 characters/],
    [{ TRUST_PROXY: 'maybe' }, /TRUST_PROXY: expected true or false/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL: expected one of/],
    [{ BCRYPT_COST: '4' }, /BCRYPT_COST: must be between 10 and 16/],
    [{ ROOM_MAX_MEMBERS: '1' }, /ROOM_MAX_MEMBERS: must be between 2 and 1000/],
    [{ STUN_URLS: 'http://stun.example.org' }, /STUN_URLS: "http:\/\/stun.example.org" is not a stun:\/stuns: URL/],
    [{ TURN_URLS: 'turn:turn.example.org:3478' }, /TURN_SECRET: is required when TURN_URLS is set/],
    [{ TURN_URLS: 'stun:turn.example.org', TURN_SECRET: 'x' }, /TURN_URLS: "stun:turn.example.org" is not a turn:\/turns: URL/],
  ]
  for (const [env, message] of cases) {
    test(`a bad ${Object.keys(env)[0]} stops the server at start with a message naming it`, async () => {
      const { code, output } = await runServerExpectingExit(env)
      expect(code).toBe(2)
      expect(output).toMatch(message)
    })
  }
})

describe('documentation', () => {
  test('every setting the server reads is documented in CONFIG_DOC and in the README table', async () => {
    const { CONFIG_DOC } = await import('../src/server/config')
    const source = await Bun.file(join(import.meta.dir, '../src/server/config.ts')).text()
    const read = new Set([...source.matchAll(/env(?:\.|, ')([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!))
    const documented = new Set(CONFIG_DOC.map((d) => d.name))
    expect([...read].sort()).toEqual([...documented].sort())
    const readme = await Bun.file(join(import.meta.dir, '../README.md')).text()
    for (const name of documented) expect(readme).toContain(`| \`${name}\` |`)
  })
})
