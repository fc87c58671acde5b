// The single binary: `bun run build` makes dist/partyroom; started in an empty directory with only the mediasoup
// worker beside it, it serves the client, takes an account, carries chat over its socket, starts its SFU worker,
// and stores and returns a vault file byte for byte.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer, type TestServer } from './support/server'
import { registerAndLogin } from './support/http'
import { TestSocket } from './support/ws'
import { TusClient, randomBytes, sha256 } from './support/tus'

const ROOT = join(import.meta.dir, '..')
let dir: string
let server: TestServer

beforeAll(async () => {
  const build = Bun.spawnSync(['bun', 'run', 'build'], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' })
  if (build.exitCode !== 0) throw new Error(`bun run build failed:\n${build.stdout}\n${build.stderr}`)
  dir = mkdtempSync(join(tmpdir(), 'partyroom-binary-'))
  copyFileSync(join(ROOT, 'dist/partyroom'), join(dir, 'partyroom'))
  copyFileSync(join(ROOT, 'dist/mediasoup-worker'), join(dir, 'mediasoup-worker'))
  Bun.spawnSync(['chmod', '+x', join(dir, 'partyroom'), join(dir, 'mediasoup-worker')])
  // Nothing from the project is reachable: not its node_modules, not its dist/web, not its migrations.
  server = await startServer({ DATA_DIR: join(dir, 'data') }, join(dir, 'data'), { command: [join(dir, 'partyroom')], cwd: dir })
}, 120_000)

afterAll(async () => {
  await server?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

test('the binary alone serves the app, accounts, chat, the SFU and the vault', async () => {
  expect(readdirSync(dir).sort()).toEqual(['data', 'mediasoup-worker', 'partyroom'])
  const page = await fetch(`${server.url}/vault`)
  expect(page.status).toBe(200)
  const html = await page.text()
  expect(html).toContain('<div id="root">')
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!
  expect((await fetch(server.url + script)).status).toBe(200)

  const account = await registerAndLogin(server.url)
  const socket = await TestSocket.open(server.url, { authorization: `Bearer ${account.token}` })
  await socket.next((f) => f.type === 'hello')
  socket.send({ type: 'chat.join', room: 'global' })
  await socket.next((f) => f.type === 'chat.joined')
  socket.send({ type: 'chat.send', room: 'global', clientId: 'bin-1', text: 'from the binary' })
  expect((await socket.next((f) => f.type === 'chat.message')).message.text).toBe('from the binary')
  socket.close()
  expect(server.logs.some((l) => l.includes('"event":"sfu.worker_started"'))).toBe(true)

  const bytes = randomBytes(3 * 1024 * 1024 + 17)
  const fileId = await new TusClient(server.url, account.token).upload('binary.bin', bytes)
  const download = await fetch(`${server.url}/api/vault/files/${fileId}/content`, { headers: { authorization: `Bearer ${account.token}` } })
  expect(download.status).toBe(200)
  expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(sha256(bytes))
}, 60_000)

test('`partyroom admin create` makes an admin from the shell, beside the running server', async () => {
  const username = `shell_admin_${process.pid % 10000}`
  const child = Bun.spawn([join(dir, 'partyroom'), 'admin', 'create', username], {
    cwd: dir,
    env: { ...process.env, DATA_DIR: join(dir, 'data'), ...server.cluster?.env },
    stdin: new Blob(['a long shell password\n']),
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  expect({ code, out: out.trim(), err }).toEqual({ code: 0, out: expect.stringContaining(`${username} (id `), err: '' })
  const login = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'a long shell password' }),
  })
  expect(((await login.json()) as { user: { role: string } }).user.role).toBe('admin')
}, 60_000)
