// Two PartyRoom nodes on one PostgreSQL database and one S3 bucket, as a cluster runs them behind a load balancer:
// any node serves any request. Accounts, sessions, logout, login limits, chat history and uploads are shared.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { clusterResources, startServer, type ClusterResources, type TestServer } from '../support/server'
import { registerAndLogin, requestJson, uniqueName } from '../support/http'
import { TusClient, randomBytes, sha256 } from '../support/tus'
import { TestSocket } from '../support/ws'

let shared: ClusterResources
let a: TestServer
let b: TestServer

beforeAll(async () => {
  shared = await clusterResources()
  // The limit test speaks from an address of its own (X-Forwarded-For, as behind the load balancer).
  const env = { ...shared.env, LOGIN_LIMIT_PER_ADDRESS: '12', LOGIN_LIMIT_PER_USER: '100', REGISTER_LIMIT_PER_ADDRESS: '1000', BCRYPT_COST: '10', TRUST_PROXY: 'true', SFU_WORKERS: '0' }
  ;[a, b] = await Promise.all([startServer(env), startServer(env)])
})
afterAll(async () => {
  await Promise.all([a?.dispose(), b?.dispose()])
  await shared?.dispose()
})

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

describe('accounts and sessions', () => {
  test('registered on A, logged in on B: the token works on both; logout on B ends it on A', async () => {
    const username = uniqueName('node')
    const password = 'correct horse battery'
    expect((await requestJson(`${a.url}/api/auth/register`, { body: { username, password } })).status).toBe(201)
    const login = await requestJson(`${b.url}/api/auth/login`, { body: { username, password } })
    expect(login.status).toBe(200)
    const token = login.body.token as string
    for (const node of [a, b]) {
      const me = await requestJson(`${node.url}/api/auth/me`, { headers: bearer(token) })
      expect(me.status).toBe(200)
      expect(me.body.user.username).toBe(username)
    }
    // The same name, in another case, is taken on the other node too.
    const again = await requestJson(`${b.url}/api/auth/register`, { body: { username: username.toUpperCase(), password } })
    expect(again.status).toBe(409)

    expect((await fetch(`${b.url}/api/auth/logout`, { method: 'POST', headers: bearer(token) })).status).toBe(204)
    for (const node of [a, b]) expect((await requestJson(`${node.url}/api/auth/me`, { headers: bearer(token) })).status).toBe(401)
  })

  test('login attempts count across nodes: the limit per address holds however they are spread', async () => {
    const account = await registerAndLogin(a.url)
    const from = { 'x-forwarded-for': '203.0.113.7' }
    const statuses: number[] = []
    // LOGIN_LIMIT_PER_ADDRESS=12 per minute, alternating between the nodes: each node alone saw at most 7.
    for (let i = 0; i < 13; i++) {
      const node = i % 2 === 0 ? a : b
      statuses.push((await requestJson(`${node.url}/api/auth/login`, { headers: from, body: { username: account.username, password: 'wrong password!' } })).status)
    }
    expect(statuses).toEqual([...Array(12).fill(401), 429])
    const blocked = await requestJson(`${b.url}/api/auth/login`, { headers: from, body: { username: account.username, password: account.password } })
    expect(blocked.status).toBe(429)
    // Another address is not held back.
    expect((await requestJson(`${b.url}/api/auth/login`, { body: { username: account.username, password: account.password } })).status).toBe(200)
  })
})

describe('chat history', () => {
  test('a message stored through A is in the history a member joining on B receives', async () => {
    const alice = await registerAndLogin(a.url)
    const onA = await TestSocket.open(a.url, bearer(alice.token))
    await onA.next((f) => f.type === 'hello')
    onA.send({ type: 'chat.join', room: 'global' })
    await onA.next((f) => f.type === 'chat.joined')
    const text = `from node A ${uniqueName('m')}`
    onA.send({ type: 'chat.send', room: 'global', clientId: 'cross-1', text })
    const stored = await onA.next((f) => f.type === 'chat.message' && f.clientId === 'cross-1')
    onA.close()

    const bob = await registerAndLogin(b.url)
    const onB = await TestSocket.open(b.url, bearer(bob.token))
    await onB.next((f) => f.type === 'hello')
    onB.send({ type: 'chat.join', room: 'global', after: stored.message.id - 1 })
    const joined = await onB.next((f) => f.type === 'chat.joined')
    expect(joined.messages.map((m: any) => [m.id, m.text, m.author.username])).toEqual([[stored.message.id, text, alice.username]])
    onB.close()
  })
})

describe('uploads across nodes', () => {
  test('half a file uploaded on A, the rest on B: whole, byte-identical from either node', async () => {
    const user = await registerAndLogin(a.url)
    const data = randomBytes(20 * 1024 * 1024 + 12345)
    const onA = new TusClient(a.url, user.token)
    const onB = new TusClient(b.url, user.token)
    const created = await onA.create('across.bin', data.byteLength)
    expect(created.status).toBe(201)
    const location = created.headers.get('location')!
    const half = 10 * 1024 * 1024 + 7
    expect((await onA.patch(location, 0, data.subarray(0, half))).status).toBe(204)
    const head = await onB.head(location)
    expect(head.headers.get('upload-offset')).toBe(String(half))
    const rest = await onB.patch(location, half, data.subarray(half))
    expect(rest.status).toBe(204)
    const id = rest.headers.get('vault-file-id')!
    for (const node of [a, b]) {
      const response = await fetch(`${node.url}/api/vault/files/${id}/content`, { headers: bearer(user.token) })
      expect(response.status).toBe(200)
      const body = new Uint8Array(await response.arrayBuffer())
      expect(body.byteLength).toBe(data.byteLength)
      expect(sha256(body)).toBe(sha256(data))
      const info = await requestJson(`${node.url}/api/vault/files/${id}`, { headers: bearer(user.token) })
      expect(info.body.file.sha256).toBe(sha256(data))
    }
  })

  test('two nodes writing to one upload at once: one wins, the other gets 423, and the file is whole', async () => {
    const user = await registerAndLogin(a.url)
    const data = randomBytes(3 * 1024 * 1024)
    const onA = new TusClient(a.url, user.token)
    const onB = new TusClient(b.url, user.token)
    const location = (await onA.create('contended.bin', data.byteLength)).headers.get('location')!
    // A's request sends the first megabyte and holds its body open until B has tried.
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    let sentFirst!: () => void
    const firstSent = new Promise<void>((resolve) => (sentFirst = resolve))
    const slow = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(data.subarray(0, 1024 * 1024))
        sentFirst()
        await released
        controller.enqueue(data.subarray(1024 * 1024))
        controller.close()
      },
    })
    const first = onA.patch(location, 0, slow)
    await firstSent
    // Wait until A's request holds the upload (its lease is in the shared row), then B tries.
    const id = location.split('/').at(-1)!
    for (let i = 0; i < 200; i++) {
      const [row] = await a.query<{ lease_owner: string | null }>('select lease_owner from uploads where id = ?', id)
      if (row?.lease_owner) break
      await Bun.sleep(25)
    }
    const second = await onB.patch(location, 0, data)
    expect(second.status).toBe(423)
    expect((await second.json()).error.code).toBe('upload_busy')
    release()
    const done = await first
    expect(done.status).toBe(204)
    const fileId = done.headers.get('vault-file-id')!
    const body = new Uint8Array(await (await fetch(`${b.url}/api/vault/files/${fileId}/content`, { headers: bearer(user.token) })).arrayBuffer())
    expect(sha256(body)).toBe(sha256(data))
  })
})

describe('governance across nodes', () => {
  /** Sends `frame` from `socket` every 250 ms until `done` says an answer settles it; returns how long it took. */
  async function until(socket: TestSocket, frame: () => unknown, done: (f: any) => boolean, settles: (f: any) => boolean, limitMs: number) {
    const started = Date.now()
    while (Date.now() - started < limitMs) {
      socket.send(frame())
      const answer = await socket.next(settles)
      if (done(answer)) return Date.now() - started
      await Bun.sleep(250)
    }
    throw new Error(`not within ${limitMs} ms`)
  }

  test('a role given and a chat mute set on A take effect on sockets already open on B within the 5 s reload', async () => {
    const [admin] = await a.query<{ username: string }>("select username from users where role = 'admin' order by id limit 1")
    const adminLogin = await requestJson(`${a.url}/api/auth/login`, { body: { username: admin!.username, password: 'correct horse battery' } })
    const asAdmin = (method: string, path: string, body?: unknown) => requestJson(`${a.url}/api${path}`, { method, body, headers: bearer(adminLogin.body.token) })
    const mod = await registerAndLogin(b.url, uniqueName('mod'))
    const ann = await registerAndLogin(a.url, uniqueName('ann'))
    const open = async (node: TestServer, token: string) => {
      const socket = await TestSocket.open(node.url, bearer(token))
      await socket.next((f) => f.type === 'hello')
      socket.send({ type: 'chat.join', room: 'global' })
      await socket.next((f) => f.type === 'chat.joined')
      return socket
    }
    const modOnB = await open(b, mod.token)
    const annOnB = await open(b, ann.token)
    const clientId = crypto.randomUUID()
    annOnB.send({ type: 'chat.send', room: 'global', clientId, text: 'remove me later' })
    const id = (await annOnB.next((f) => f.type === 'chat.message' && f.clientId === clientId)).message.id

    expect((await asAdmin('PATCH', `/admin/users/${mod.user.id}`, { role: 'moderator' })).status).toBe(200)
    const promoted = await until(
      modOnB,
      () => ({ type: 'chat.delete', room: 'global', messageId: id }),
      (f) => f.type === 'chat.removed',
      (f) => f.type === 'chat.removed' || (f.type === 'error' && f.about === 'chat.delete'),
      8000,
    )
    expect(promoted).toBeLessThan(8000)

    expect((await asAdmin('PUT', `/admin/users/${ann.user.id}/chat-mute`, { seconds: 600 })).status).toBe(200)
    const muted = await until(
      annOnB,
      () => ({ type: 'chat.send', room: 'global', clientId: crypto.randomUUID(), text: 'still here?' }),
      (f) => f.type === 'error' && f.code === 'muted',
      (f) => (f.type === 'chat.message' && f.message.author.id === ann.user.id) || (f.type === 'error' && f.about === 'chat.send'),
      8000,
    )
    expect(muted).toBeLessThan(8000)
    modOnB.close()
    annOnB.close()
  }, 30_000)
})
