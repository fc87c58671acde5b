// Faults a server meets: kill -9 in the middle of chat and uploads, a full disk under the vault, and a client that
// stops reading its socket. Nothing acknowledged is lost, nothing partial becomes visible, the database stays
// sound, and everyone else carries on.
import { afterAll, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer, type TestServer } from '../support/server'
import { registerAndLogin } from '../support/http'
import { TestSocket } from '../support/ws'
import { TusClient, randomBytes, sha256 } from '../support/tus'

const FAST = { CHAT_MESSAGE_BURST: '100000', CHAT_MESSAGES_PER_SECOND: '100000', WS_FRAMES_PER_SECOND: '100000' }
const cleanup: Array<() => Promise<void> | void> = []
afterAll(async () => {
  for (const step of cleanup.reverse()) await step()
})

async function chatSocket(server: TestServer, token: string) {
  const socket = await TestSocket.open(server.url, { authorization: `Bearer ${token}` })
  await socket.next((f) => f.type === 'hello')
  socket.send({ type: 'chat.join', room: 'global' })
  await socket.next((f) => f.type === 'chat.joined')
  return socket
}

/** Every file under a directory, recursively. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))

test('kill -9 during chat traffic and uploads: acknowledged messages kept, no partial file, database sound, clients catch up', async () => {
  let server = await startServer(FAST)
  cleanup.push(() => server.dispose())
  const [talker, uploader] = await Promise.all([registerAndLogin(server.url), registerAndLogin(server.url)])
  const socket = await chatSocket(server, talker.token)
  // Messages flow, and an upload of 64 MiB is half sent when the process dies.
  const sending = (async () => {
    for (let i = 0; i < 5000 && !socket.closed; i++) {
      socket.send({ type: 'chat.send', room: 'global', clientId: `k${i}`, text: `before the crash ${i}` })
      if (i % 20 === 0) await Bun.sleep(1)
    }
  })()
  const tus = new TusClient(server.url, uploader.token)
  const data = randomBytes(64 * 1024 * 1024)
  const created = await tus.create('half.bin', data.byteLength)
  const location = created.headers.get('location')!
  const partial = tus.patch(location, 0, data.subarray(0, 32 * 1024 * 1024)).catch(() => undefined)
  await Bun.sleep(200)
  await server.crash()
  await Promise.all([sending, partial])
  const acked = socket.frames.filter((f) => f.type === 'chat.message').map((f) => f.clientId as string)
  expect(acked.length).toBeGreaterThan(0)

  server = await server.restart()
  // The database is sound and holds every acknowledged message.
  if (server.dialect === 'sqlite') expect(await server.query('pragma integrity_check')).toEqual([{ integrity_check: 'ok' }])
  const stored = new Set((await server.query<{ client_id: string }>('select client_id from messages')).map((r) => r.client_id))
  const files = await server.query<{ storage_key: string }>('select storage_key from files')
  expect(acked.filter((id) => !stored.has(id))).toEqual([])
  // No partial file; the upload resumes from its last stored byte and ends whole, its hash covering exactly it.
  expect(files).toEqual([])
  const resumed = new TusClient(server.url, uploader.token)
  const offset = Number((await resumed.head(location)).headers.get('upload-offset'))
  expect(offset).toBeLessThanOrEqual(32 * 1024 * 1024)
  const rest = await resumed.patch(location, offset, data.subarray(offset))
  expect(rest.status).toBe(204)
  const [file] = await server.query<{ sha256: string; size: number }>('select sha256, size from files')
  expect(file!.sha256).toBe(sha256(data))
  // A client that comes back catches up with exactly what it missed.
  const again = await TestSocket.open(server.url, { authorization: `Bearer ${talker.token}` })
  await again.next((f) => f.type === 'hello')
  again.send({ type: 'chat.join', room: 'global', after: 0 })
  const joined = await again.next((f) => f.type === 'chat.joined')
  expect(joined.messages.length).toBeGreaterThan(0)
  again.close()
}, 60_000)

// Needs permission to mount a small tmpfs (root); without it the test says so and is skipped.
const canMount = (() => {
  const probe = mkdtempSync(join(tmpdir(), 'partyroom-mount-'))
  const ok = Bun.spawnSync(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]).exitCode === 0
  if (ok) Bun.spawnSync(['umount', probe])
  rmSync(probe, { recursive: true, force: true })
  if (!ok) console.warn('faults: cannot mount a tmpfs here (not root?); the full-disk test is skipped')
  return ok
})()

test.skipIf(!canMount)('a full disk under the vault: the upload fails with storage_full, nothing partial stays, chat keeps working', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'partyroom-full-'))
  const vault = join(dataDir, 'vault')
  mkdirSync(vault)
  expect(Bun.spawnSync(['mount', '-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', vault]).exitCode).toBe(0)
  cleanup.push(() => {
    Bun.spawnSync(['umount', vault])
    rmSync(dataDir, { recursive: true, force: true })
  })
  // The full disk is a local one: this runs on the embedded store in both passes.
  const server = await startServer(FAST, dataDir, { embedded: true })
  cleanup.push(() => server.stop())
  const account = await registerAndLogin(server.url)
  const tus = new TusClient(server.url, account.token)
  const created = await tus.create('too-big.bin', 8 * 1024 * 1024)
  expect(created.status).toBe(201)
  const location = created.headers.get('location')!
  const patched = await tus.patch(location, 0, randomBytes(8 * 1024 * 1024))
  expect(patched.status).toBe(507)
  expect((await patched.json()).error.code).toBe('storage_full')
  // Nothing visible, and giving up the upload frees the space.
  const list = await fetch(`${server.url}/api/vault/files`, { headers: { authorization: `Bearer ${account.token}` } })
  expect((await list.json()).files).toEqual([])
  expect((await tus.terminate(location)).status).toBe(204)
  expect(filesUnder(vault)).toEqual([])
  // Chat never noticed.
  const socket = await chatSocket(server, account.token)
  socket.send({ type: 'chat.send', room: 'global', clientId: 'after-full', text: 'the disk was full, chat was not' })
  expect((await socket.next((f) => f.type === 'chat.message')).message.text).toBe('the disk was full, chat was not')
  // A file that fits still goes in.
  const small = randomBytes(512 * 1024)
  expect(await tus.upload('fits.bin', small)).toBeTruthy()
  socket.close()
}, 60_000)

const rssMiB = (pid: number) => Number(Bun.spawnSync(['ps', '-o', 'rss=', '-p', String(pid)]).stdout.toString().trim()) / 1024

test('a client that never reads its socket is dropped at the backpressure limit; server memory stays bounded', async () => {
  const server = await startServer(FAST)
  cleanup.push(() => server.dispose())
  const [slowUser, talker] = await Promise.all([registerAndLogin(server.url), registerAndLogin(server.url)])
  // A raw WebSocket client: it upgrades, joins the global chat, then stops reading (TCP receive window fills).
  const port = new URL(server.url).port
  const slow = connect(Number(port), '127.0.0.1')
  await new Promise<void>((resolve) => slow.once('connect', () => resolve()))
  slow.write(
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${slowUser.token}\r\n\r\n`,
  )
  await new Promise<void>((resolve) => slow.once('data', () => resolve()))
  const payload = Buffer.from(JSON.stringify({ type: 'chat.join', room: 'global' }))
  const mask = Buffer.from([1, 2, 3, 4])
  slow.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]))
  await Bun.sleep(200)
  slow.pause()
  let slowClosed = false
  slow.on('close', () => (slowClosed = true))
  slow.on('error', () => (slowClosed = true))

  const before = rssMiB(server.pid)
  const talk = await chatSocket(server, talker.token)
  const text = 'x'.repeat(3900)
  let sent = 0
  let peak = before
  const droppedLine = () => server.logs.some((l) => l.includes('"event":"ws.close"') && l.includes(`"userId":${slowUser.user.id}`))
  // At most 6,000 messages of ~4 KB (24 MB of fan-out to the slow client) or 30 s.
  const deadline = Date.now() + 30_000
  while (!droppedLine() && sent < 6000 && Date.now() < deadline) {
    for (let i = 0; i < 50; i++) talk.send({ type: 'chat.send', room: 'global', clientId: `flood${sent++}`, text })
    await talk.until((f) => f.type === 'chat.message' && f.clientId === `flood${sent - 1}`)
    talk.frames.length = 0
    peak = Math.max(peak, rssMiB(server.pid))
  }
  expect(droppedLine()).toBe(true)
  // Bounded: the slow client cost at most the 4 MiB backpressure limit plus buffers, nowhere near the 24 MB sent.
  expect(peak - before).toBeLessThan(64)
  // The talker was never affected.
  expect(talk.closed).toBeUndefined()
  talk.close()
  slow.destroy()
  console.log(`slow client dropped after ${sent} messages; server RSS ${before.toFixed(0)} → peak ${peak.toFixed(0)} MiB (slow socket saw close: ${slowClosed})`)
}, 60_000)
