// What an outside security probe broke, each finding reproduced against a real server: these tests failed before
// the fixes (issue 12, part 3) and must keep passing.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { connect as tcpConnect } from 'node:net'
import { readFileSync } from 'node:fs'
import { startServer, type TestServer } from '../support/server'
import { registerAndLogin, requestJson, uniqueName } from '../support/http'
import { TestSocket } from '../support/ws'
import { TusClient } from '../support/tus'

type Account = Awaited<ReturnType<typeof registerAndLogin>>
const media = { camera: true, mic: true, screen: false }
const roomName = () => uniqueName('probe').replace(/[^A-Za-z0-9_-]/g, '')

async function open(server: TestServer, account: Account): Promise<TestSocket> {
  const socket = await TestSocket.open(server.url, { authorization: `Bearer ${account.token}` })
  await socket.next((f) => f.type === 'hello')
  return socket
}

async function joinCall(socket: TestSocket, room: string) {
  socket.send({ type: 'room.join', room, media })
  return socket.next((f) => (f.type === 'room.joined' || f.type === 'error') && f.room === room)
}

const threadsOf = (pid: number) => Number(/Threads:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1])

describe('1. one user cannot fill the disk through chat', () => {
  let server: TestServer
  let alice: Account
  beforeAll(async () => {
    server = await startServer({
      SFU_WORKERS: '0',
      ROOMS_PER_USER: '3',
      WS_MAX_SOCKETS_PER_USER: '3',
      CHAT_MESSAGE_BURST: '5',
      CHAT_MESSAGES_PER_SECOND: '1',
      LOGIN_LIMIT_PER_ADDRESS: '100000',
      REGISTER_LIMIT_PER_ADDRESS: '100000',
    })
    alice = await registerAndLogin(server.url)
  })
  afterAll(() => server?.dispose())

  test('the message budget is per user across all rooms, and rooms and sockets per user are capped', async () => {
    const socket = await open(server, alice)
    const [one, two, three] = [roomName(), roomName(), roomName()]
    socket.send({ type: 'chat.join', room: 'global' })
    await socket.next((f) => f.type === 'chat.joined')
    expect((await joinCall(socket, one)).type).toBe('room.joined')
    expect((await joinCall(socket, two)).type).toBe('room.joined')
    // A fourth room is refused, and leaving one makes room for it.
    const refused = await joinCall(socket, three)
    expect(refused).toMatchObject({ type: 'error', code: 'too_many_rooms' })
    socket.send({ type: 'room.leave', room: two })
    await socket.next((f) => f.type === 'room.left')
    expect((await joinCall(socket, three)).type).toBe('room.joined')
    for (const room of [one, three]) {
      socket.send({ type: 'chat.join', room })
      await socket.next((f) => f.type === 'chat.joined' && f.room === room)
    }
    // The burst of five is shared: spread over three rooms, the sixth message is refused wherever it goes.
    const rooms = ['global', one, three]
    for (let i = 0; i < 5; i++) socket.send({ type: 'chat.send', room: rooms[i % 3], clientId: `m${i}`, text: `message ${i}` })
    // Each room's batch comes in its own frame, so they may arrive in any order between rooms.
    const waiting = new Set(['m0', 'm1', 'm2', 'm3', 'm4'])
    while (waiting.size > 0) waiting.delete((await socket.next((f) => f.type === 'chat.message' && waiting.has(f.clientId))).clientId)
    socket.send({ type: 'chat.send', room: three, clientId: 'm5', text: 'one more' })
    expect(await socket.next((f) => f.type === 'error' && f.ref === 'm5')).toMatchObject({ code: 'rate_limited' })

    // Three sockets are allowed; the fourth upgrade is refused with a reason, and closing one lets it in.
    const more = [await open(server, alice), await open(server, alice)]
    const upgrade = await fetch(`${server.url}/ws`, {
      headers: { authorization: `Bearer ${alice.token}`, upgrade: 'websocket', connection: 'upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' },
    })
    expect(upgrade.status).toBe(429)
    expect((await upgrade.json()).error.code).toBe('too_many_connections')
    more[0]!.close()
    await more[0]!.waitClosed()
    let reopened: TestSocket | undefined
    for (const deadline = Date.now() + 5000; !reopened && Date.now() < deadline; ) reopened = await open(server, alice).catch(() => Bun.sleep(50).then(() => undefined))
    expect(reopened).toBeDefined()
    for (const s of [socket, more[1]!, reopened!]) s.close()
  })

  test('a message is bounded in bytes as well as in characters', async () => {
    const socket = await open(server, alice)
    socket.send({ type: 'chat.join', room: 'global' })
    await socket.next((f) => f.type === 'chat.joined')
    // 4,000 code points, but 16,000 bytes of four-byte characters.
    socket.send({ type: 'chat.send', room: 'global', clientId: 'wide', text: '𝕏'.repeat(4000) })
    const error = await socket.next((f) => f.type === 'error' && f.ref === 'wide')
    expect(error.code).toBe('message_too_long')
    expect(error.message).toContain('bytes')
    socket.close()
  })
})

describe('2. catch-up cannot make the server hold megabytes per socket', () => {
  let server: TestServer
  let alice: Account
  beforeAll(async () => {
    server = await startServer({ SFU_WORKERS: '0', CHAT_MESSAGE_BURST: '1000', CHAT_MESSAGES_PER_SECOND: '1000', WS_FRAMES_PER_SECOND: '1000' })
    alice = await registerAndLogin(server.url)
  })
  afterAll(() => server?.dispose())

  test('catch-up and history pages are bounded in bytes, and paging on reaches every message', async () => {
    const socket = await open(server, alice)
    socket.send({ type: 'chat.join', room: 'global' })
    const joined = await socket.next((f) => f.type === 'chat.joined')
    const start = joined.messages.at(-1)?.id ?? 0
    // 120 messages of ~11,700 bytes (3,900 three-byte characters): 1.4 MB of chat.
    const big = '€'.repeat(3900)
    for (let i = 0; i < 120; i++) socket.send({ type: 'chat.send', room: 'global', clientId: `big${i}`, text: `${i} ${big}` })
    await socket.next((f) => f.type === 'chat.message' && f.clientId === 'big119', 15_000)

    const reader = await open(server, alice)
    const sizes: number[] = []
    reader.ws.addEventListener('message', (event) => sizes.push(String(event.data).length))
    reader.send({ type: 'chat.join', room: 'global', after: start })
    let page = await reader.next((f) => f.type === 'chat.joined')
    const seen: number[] = page.messages.map((m: any) => m.id)
    expect(page.hasMoreAfter).toBe(true)
    while (page.hasMoreAfter ?? page.hasMore) {
      reader.send({ type: 'chat.history', room: 'global', after: seen.at(-1), limit: 100 })
      page = await reader.next((f) => f.type === 'chat.history')
      seen.push(...page.messages.map((m: any) => m.id))
    }
    expect(seen).toHaveLength(120)
    expect(new Set(seen).size).toBe(120)
    // No frame came near the 7.96 MB the probe saw: each stays under 300 kB.
    expect(Math.max(...sizes)).toBeLessThan(300_000)
    // Paging back from the newest is bounded the same way.
    reader.send({ type: 'chat.history', room: 'global', limit: 100 })
    const back = await reader.next((f) => f.type === 'chat.history')
    expect(back.hasMore).toBe(true)
    expect(back.messages.length).toBeLessThan(100)
    expect(back.messages.at(-1).text.startsWith('119 ')).toBe(true)
    for (const s of [socket, reader]) s.close()
  })
})

describe('3. open uploads cannot hold threads and memory', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({
      SFU_WORKERS: '0',
      VAULT_UPLOADS_PER_USER: '10',
      VAULT_UPLOADS_TOTAL: '30',
      VAULT_UNUSED_UPLOAD_SECONDS: '2',
      REGISTER_LIMIT_PER_ADDRESS: '100000',
      LOGIN_LIMIT_PER_ADDRESS: '100000',
    })
  })
  afterAll(() => server?.dispose())

  test('idle uploads hold no hashing thread, the server caps open uploads, and never-used ones expire soon', async () => {
    const accounts = await Promise.all([1, 2, 3, 4].map(() => registerAndLogin(server.url)))
    const clients = accounts.map((a) => new TusClient(server.url, a.token))
    // Warm up: one complete upload so the server's own threads are all there.
    await clients[3]!.upload('warm.bin', new Uint8Array([1, 2, 3]))
    await Bun.sleep(500)
    const before = threadsOf(server.pid)
    // 30 uploads that received one byte of two, from three accounts, then sit idle.
    const locations: string[] = []
    for (let i = 0; i < 30; i++) {
      const client = clients[i % 3]!
      const created = await client.create(`idle-${i}.bin`, 2)
      expect(created.status).toBe(201)
      const location = created.headers.get('location')!
      expect((await client.patch(location, 0, new Uint8Array([i]))).status).toBe(204)
      locations.push(location)
    }
    // The server-wide cap: a fourth account cannot open a 31st.
    const over = await clients[3]!.create('one-too-many.bin', 1)
    expect(over.status).toBe(503)
    expect((await over.json()).error.code).toBe('uploads_busy')
    // Once the bytes stop, the hashing threads go: the process is back to its threads from before.
    let threads = threadsOf(server.pid)
    for (const deadline = Date.now() + 10_000; threads > before + 2 && Date.now() < deadline; await Bun.sleep(200)) threads = threadsOf(server.pid)
    expect(threads).toBeLessThanOrEqual(before + 2)
    // And an idle upload still finishes, with the right hash (a new thread hashes what is on disk first).
    const client = clients[0]!
    const finished = await client.patch(locations[0]!, 1, new Uint8Array([7]))
    expect(finished.status).toBe(204)
    const fileId = finished.headers.get('vault-file-id')!
    const file = await requestJson(`${server.url}/api/vault/files/${fileId}`, { headers: { authorization: `Bearer ${accounts[0]!.token}` } })
    expect(file.body.file.sha256).toBe(new Bun.CryptoHasher('sha256').update(new Uint8Array([0, 7])).digest('hex'))
    for (let i = 1; i < 30; i++) expect((await clients[i % 3]!.terminate(locations[i]!)).status).toBe(204)
  }, 60_000)

  test('an upload that never received a byte expires within seconds, not a day', async () => {
    const account = await registerAndLogin(server.url)
    const client = new TusClient(server.url, account.token)
    const created = await client.create('never.bin', 10)
    const location = created.headers.get('location')!
    expect((await client.head(location)).status).toBe(200)
    let status = 200
    for (const deadline = Date.now() + 10_000; status === 200 && Date.now() < deadline; await Bun.sleep(250)) status = (await client.head(location)).status
    expect(status).toBe(404)
  }, 20_000)

  test('an upload refused with 413 on creation-with-upload does not stay open', async () => {
    const own = await startServer({ SFU_WORKERS: '0', VAULT_UPLOADS_PER_USER: '1' })
    try {
      const account = await registerAndLogin(own.url)
      const client = new TusClient(own.url, account.token)
      const tooLong = await fetch(`${own.url}/api/vault/uploads`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${account.token}`,
          'tus-resumable': '1.0.0',
          'upload-length': '4',
          'upload-metadata': `filename ${Buffer.from('long.bin').toString('base64')}`,
          'content-type': 'application/offset+octet-stream',
        },
        body: new Uint8Array(16),
      })
      expect(tooLong.status).toBe(413)
      // Had it stayed open, this user's one upload slot would be taken (429).
      expect((await client.create('next.bin', 4)).status).toBe(201)
    } finally {
      await own.dispose()
    }
  })
})

describe('4. a video room is its own', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ SFU_WORKERS: '0', ROOM_MAX_MEMBERS: '8', LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000' })
  })
  afterAll(() => server?.dispose())

  test('one user takes at most two places in a call, so their own sockets cannot fill it', async () => {
    const account = await registerAndLogin(server.url)
    const room = roomName()
    const sockets = [await open(server, account), await open(server, account), await open(server, account)]
    expect((await joinCall(sockets[0]!, room)).type).toBe('room.joined')
    expect((await joinCall(sockets[1]!, room)).type).toBe('room.joined')
    expect(await joinCall(sockets[2]!, room)).toMatchObject({ type: 'error', code: 'too_many_devices' })
    // Leaving on one device frees the place.
    sockets[0]!.send({ type: 'room.leave', room })
    await sockets[0]!.next((f) => f.type === 'room.left')
    expect((await joinCall(sockets[2]!, room)).type).toBe('room.joined')
    for (const s of sockets) s.close()
  })
})

describe('7-9. routing, names and text', () => {
  let server: TestServer
  let alice: Account
  beforeAll(async () => {
    server = await startServer({ SFU_WORKERS: '0' })
    alice = await registerAndLogin(server.url)
  })
  afterAll(() => server?.dispose())

  /** One raw HTTP/1.1 request with the Host header we choose (fetch would set its own). */
  function rawRequest(host: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const socket = tcpConnect(server.port, '127.0.0.1')
      let data = ''
      socket.on('data', (chunk) => (data += chunk.toString()))
      socket.on('end', () => {
        const [head, ...body] = data.split('\r\n\r\n')
        resolve({ status: Number(head!.split(' ')[1]), body: body.join('\r\n\r\n') })
      })
      socket.on('error', reject)
      const lines = [`GET ${path} HTTP/1.1`, `Host: ${host}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)]
      socket.write(lines.join('\r\n') + '\r\n\r\n')
    })
  }

  test('routing follows the request path whatever the Host header', async () => {
    const auth = { authorization: `Bearer ${alice.token}` }
    for (const host of ['xy', 'a', 'abc', `127.0.0.1:${server.port}`]) {
      // /zz/… is a page of the web client (its index, for the client's router), never the API's answer.
      for (const path of ['/zz/api/vault/usage', '/zz/api/health']) {
        const misrouted = await rawRequest(host, path, auth)
        expect(misrouted.body).not.toContain('quotaBytes')
        expect(misrouted.body).not.toContain('uptimeSeconds')
      }
      const usage = await rawRequest(host, '/api/vault/usage?x=1', auth)
      expect(usage.status).toBe(200)
      expect(usage.body).toContain('quotaBytes')
    }
    // The request log names the path that was asked for.
    await Bun.sleep(100)
    const logged = server.logs.filter((l) => l.includes('"http.request"') && l.includes('/zz/')).map((l) => JSON.parse(l).path)
    expect(logged).toContain('/zz/api/vault/usage')
    expect(logged.every((p) => p.startsWith('/zz/'))).toBe(true)
  })

  test('chat refuses bidirectional overrides, NUL, invisible-only text and stacked combining marks, and stores NFC', async () => {
    const socket = await open(server, alice)
    socket.send({ type: 'chat.join', room: 'global' })
    await socket.next((f) => f.type === 'chat.joined')
    const refused: Array<[string, string]> = [
      ['rtl', 'invoice\u202Efdp.exe'],
      ['isolate', 'a\u2066b\u2069c'],
      ['nul', 'hello\u0000world'],
      ['invisible', '\u200B\u200C\u200D\u2060'],
      ['hangul-filler', '\u3164\u3164'],
      ['zalgo', 'Z' + '\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308\u0309\u030A'],
    ]
    for (const [clientId, text] of refused) {
      socket.send({ type: 'chat.send', room: 'global', clientId, text })
      expect(await socket.next((f) => f.type === 'error' && f.ref === clientId)).toMatchObject({ code: 'invalid_text' })
    }
    // Real text with marks passes, and a decomposed "é" is stored composed.
    socket.send({ type: 'chat.send', room: 'global', clientId: 'ok', text: 'cafe\u0301 — Tiếng Việt — שָׁלוֹם 👍🏽' })
    const stored = await socket.next((f) => f.type === 'chat.message' && f.clientId === 'ok')
    expect(stored.message.text).toBe('caf\u00e9 — Tiếng Việt — שָׁלוֹם 👍🏽'.normalize('NFC'))
    socket.close()
  })

  test('file names get the same rules', async () => {
    const client = new TusClient(server.url, alice.token)
    for (const name of ['report\u202Efdp.exe', '\u200B\u200B', 'a\u0000b', 'x' + '\u0301'.repeat(12)]) {
      const response = await client.create(name, 1)
      expect(response.status).toBe(400)
      expect((await response.json()).error.code).toBe('invalid_name')
    }
    const id = await client.upload('re\u0301sume\u0301.txt', new Uint8Array([1]))
    const file = await requestJson(`${server.url}/api/vault/files/${id}`, { headers: { authorization: `Bearer ${alice.token}` } })
    expect(file.body.file.name).toBe('résumé.txt'.normalize('NFC'))
  })
})
