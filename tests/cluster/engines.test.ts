// The engines under cluster mode, misconfigured or lost: a wrong URL, bad credentials, an unreachable server or a
// missing bucket stop the server at start (exit 2, naming the variable and the reason); PostgreSQL or S3 going away
// while it runs gives 503 `unavailable` (never a 500 with a stack) and `store_failed` for chat, and service comes
// back by itself when the engine does.
import { afterAll, describe, expect, test } from 'bun:test'
import { clusterResources, runServerExpectingExit, startServer, TEST_JWT_SECRET, type TestServer } from '../support/server'
import { TEST_POSTGRES_URL, TEST_S3, freshBucket, freshPostgres } from '../support/backend'
import { registerAndLogin, requestJson } from '../support/http'
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy'
import { TusClient, randomBytes, sha256 } from '../support/tus'
import { TestSocket } from '../support/ws'

const cleanup: Array<() => unknown> = []
afterAll(async () => {
  for (const step of cleanup.reverse()) await step()
})

const withDatabase = (url: string, change: (u: URL) => void) => {
  const u = new URL(url)
  change(u)
  return u.toString()
}

describe('a wrong engine at start stops the server with exit 2, naming the variable', () => {
  const s3 = {
    S3_ENDPOINT: TEST_S3.endpoint,
    S3_REGION: TEST_S3.region,
    S3_ACCESS_KEY_ID: TEST_S3.accessKeyId,
    S3_SECRET_ACCESS_KEY: TEST_S3.secretAccessKey,
  }
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['DATABASE_URL without JWT_SECRET', { DATABASE_URL: TEST_POSTGRES_URL }, /JWT_SECRET: must be set when DATABASE_URL is/],
    ['S3 without JWT_SECRET', { ...s3, S3_BUCKET: 'partyroom' }, /JWT_SECRET: must be set when S3_ENDPOINT is/],
    ['a DATABASE_URL that is not PostgreSQL', { DATABASE_URL: 'mysql://u:p@127.0.0.1/db', JWT_SECRET: TEST_JWT_SECRET }, /DATABASE_URL: expected a postgres:\/\/ URL/],
    ['an unreachable database', { DATABASE_URL: withDatabase(TEST_POSTGRES_URL, (u) => (u.port = '1')), JWT_SECRET: TEST_JWT_SECRET }, /DATABASE_URL: cannot open the database: .*(connect|refused)/i],
    ['a wrong database password', { DATABASE_URL: withDatabase(TEST_POSTGRES_URL, (u) => (u.password = 'wrong')), JWT_SECRET: TEST_JWT_SECRET }, /DATABASE_URL: cannot open the database: .*password authentication failed/],
    ['a database that does not exist', { DATABASE_URL: withDatabase(TEST_POSTGRES_URL, (u) => (u.pathname = '/no_such_db')), JWT_SECRET: TEST_JWT_SECRET }, /DATABASE_URL: cannot open the database: .*does not exist/],
    ['a bucket that does not exist', { DATABASE_URL: TEST_POSTGRES_URL, JWT_SECRET: TEST_JWT_SECRET, ...s3, S3_BUCKET: 'no-such-bucket-here' }, /S3_BUCKET: there is no bucket "no-such-bucket-here"/],
    ['wrong S3 credentials', { DATABASE_URL: TEST_POSTGRES_URL, JWT_SECRET: TEST_JWT_SECRET, ...s3, S3_BUCKET: 'partyroom', S3_SECRET_ACCESS_KEY: 'wrong-secret' }, /S3_ACCESS_KEY_ID \/ S3_SECRET_ACCESS_KEY: the store refused these credentials/],
    ['an unreachable S3 endpoint', { DATABASE_URL: TEST_POSTGRES_URL, JWT_SECRET: TEST_JWT_SECRET, ...s3, S3_ENDPOINT: 'http://127.0.0.1:1', S3_BUCKET: 'partyroom' }, /S3_ENDPOINT: cannot reach http:\/\/127.0.0.1:1/],
    ['an S3 bucket without an endpoint', { S3_BUCKET: 'partyroom', JWT_SECRET: TEST_JWT_SECRET }, /S3_ENDPOINT: is required when S3_BUCKET is set/],
  ]
  for (const [what, env, message] of cases) {
    test(what, async () => {
      const { code, output } = await runServerExpectingExit(env)
      expect(output).toMatch(message)
      expect(code).toBe(2)
    })
  }
})

/** A node whose PostgreSQL and S3 connections go through proxies the test can take down. */
async function nodeBehindProxies(): Promise<{ server: TestServer; pg: TcpProxy; s3: TcpProxy }> {
  const [database, bucket] = await Promise.all([freshPostgres(), freshBucket()])
  const pg = startTcpProxy(Number(new URL(TEST_POSTGRES_URL).port))
  const s3 = startTcpProxy(Number(new URL(TEST_S3.endpoint).port))
  const server = await startServer({
    ...bucket.env,
    DATABASE_URL: withDatabase(database.url, (u) => (u.port = String(pg.port))),
    S3_ENDPOINT: `http://127.0.0.1:${s3.port}`,
    JWT_SECRET: TEST_JWT_SECRET,
    SFU_WORKERS: '0',
  })
  cleanup.push(async () => {
    await server.dispose()
    pg.close()
    s3.close()
    await database.drop()
    await bucket.drop()
  })
  return { server, pg, s3 }
}

describe('an engine lost while running', () => {
  test('PostgreSQL away: requests answer 503 unavailable, chat sends get store_failed; all resumes when it is back', async () => {
    const { server, pg } = await nodeBehindProxies()
    const user = await registerAndLogin(server.url)
    const auth = { authorization: `Bearer ${user.token}` }
    const socket = await TestSocket.open(server.url, auth)
    await socket.next((f) => f.type === 'hello')
    socket.send({ type: 'chat.join', room: 'global' })
    await socket.next((f) => f.type === 'chat.joined')

    pg.down()
    const files = await requestJson(`${server.url}/api/vault/files`, { headers: auth })
    expect(files.status).toBe(503)
    expect(files.body.error.code).toBe('unavailable')
    const me = await requestJson(`${server.url}/api/auth/me`, { headers: auth })
    expect(me.status).toBe(503)
    expect(JSON.stringify(me.body)).not.toMatch(/stack|at \/|postgres/i)
    socket.send({ type: 'chat.send', room: 'global', clientId: 'while-down', text: 'is anyone there?' })
    const refused = await socket.next((f) => f.type === 'error' && f.ref === 'while-down', 15_000)
    expect(refused.code).toBe('store_failed')

    pg.up()
    // Back by itself: the same requests work, the same socket sends and the message is stored once.
    let back = 0
    for (let i = 0; i < 100 && back !== 200; i++) {
      back = (await requestJson(`${server.url}/api/vault/files`, { headers: auth })).status
      if (back !== 200) await Bun.sleep(100)
    }
    expect(back).toBe(200)
    socket.send({ type: 'chat.send', room: 'global', clientId: 'while-down', text: 'is anyone there?' })
    const stored = await socket.next((f) => f.type === 'chat.message' && f.clientId === 'while-down', 10_000)
    expect(stored.message.id).toBeGreaterThan(0)
    socket.close()
    expect(server.logs.some((line) => line.includes('"engine.unavailable"'))).toBe(true)
  }, 60_000)

  test('S3 away: uploads and downloads answer 503 unavailable, nothing is lost, and they work again when it is back', async () => {
    const { server, s3 } = await nodeBehindProxies()
    const user = await registerAndLogin(server.url)
    const auth = { authorization: `Bearer ${user.token}` }
    const tus = new TusClient(server.url, user.token)
    const data = randomBytes(3 * 1024 * 1024)
    const fileId = await tus.upload('before.bin', data)
    const location = (await tus.create('during.bin', data.byteLength)).headers.get('location')!
    expect((await tus.patch(location, 0, data.subarray(0, 1024 * 1024))).status).toBe(204)

    s3.down()
    const download = await fetch(`${server.url}/api/vault/files/${fileId}/content`, { headers: auth })
    expect(download.status).toBe(503)
    expect((await download.json()).error.code).toBe('unavailable')
    const patch = await tus.patch(location, 1024 * 1024, data.subarray(1024 * 1024))
    expect(patch.status).toBe(503)
    const created = await tus.create('new.bin', 10)
    expect(created.status).toBe(503)
    // The list is the database's: it still answers.
    expect((await requestJson(`${server.url}/api/vault/files`, { headers: auth })).status).toBe(200)

    s3.up()
    const again = new Uint8Array(await (await fetch(`${server.url}/api/vault/files/${fileId}/content`, { headers: auth })).arrayBuffer())
    expect(sha256(again)).toBe(sha256(data))
    // The upload is where its last stored byte left it, and finishes whole.
    const offset = Number((await tus.head(location)).headers.get('upload-offset'))
    expect(offset).toBe(1024 * 1024)
    const rest = await tus.patch(location, offset, data.subarray(offset))
    expect(rest.status).toBe(204)
    const whole = new Uint8Array(
      await (await fetch(`${server.url}/api/vault/files/${rest.headers.get('vault-file-id')}/content`, { headers: auth })).arrayBuffer(),
    )
    expect(sha256(whole)).toBe(sha256(data))
  }, 60_000)
})

test('nodes starting together on an empty database migrate it once', async () => {
  const shared = await clusterResources()
  cleanup.push(() => shared.dispose())
  const nodes = await Promise.all([0, 1, 2].map(() => startServer({ ...shared.env, SFU_WORKERS: '0' })))
  cleanup.push(() => Promise.all(nodes.map((n) => n.dispose())))
  const [row] = await nodes[0]!.query<{ n: number; distinct: number }>(
    'select cast(count(*) as integer) as n, cast(count(distinct hash) as integer) as "distinct" from drizzle.__drizzle_migrations',
  )
  expect(row!.n).toBe(row!.distinct)
  expect(row!.n).toBeGreaterThanOrEqual(3)
  for (const node of nodes) expect((await requestJson(`${node.url}/api/health`)).status).toBe(200)
})
