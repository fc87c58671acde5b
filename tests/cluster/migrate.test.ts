// Moving a single-node install into cluster mode with `bun run migrate-to-cluster`: accounts, sessions, chat history
// (ids kept), reactions and vault files arrive whole; a node of the cluster serves them; new ids follow the old.
import { afterAll, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { clusterResources, startServer, type ClusterResources, type TestServer } from '../support/server'
import { registerAndLogin, requestJson } from '../support/http'
import { TusClient, randomBytes, sha256 } from '../support/tus'
import { TestSocket } from '../support/ws'

const ROOT = join(import.meta.dir, '../..')
const cleanup: Array<() => unknown> = []
afterAll(async () => {
  for (const step of cleanup.reverse()) await step()
})

async function migrate(dataDir: string, env: Record<string, string>): Promise<{ code: number; output: string }> {
  const child = Bun.spawn(['bun', 'run', 'migrate-to-cluster'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const [code, out, err] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()])
  clearTimeout(timer)
  return { code, output: out + err }
}

test('a single-node install moves into PostgreSQL and S3, and a cluster node serves all of it', async () => {
  // The single node, on its embedded defaults, with people, chat, a reaction and files.
  const single: TestServer = await startServer({ SFU_WORKERS: '0' }, undefined, { embedded: true })
  cleanup.push(() => single.dispose())
  const alice = await registerAndLogin(single.url)
  const socket = await TestSocket.open(single.url, { authorization: `Bearer ${alice.token}` })
  await socket.next((f) => f.type === 'hello')
  socket.send({ type: 'chat.join', room: 'global' })
  await socket.next((f) => f.type === 'chat.joined')
  const ids: number[] = []
  for (let i = 0; i < 3; i++) {
    socket.send({ type: 'chat.send', room: 'global', clientId: `old-${i}`, text: `before the move ${i}` })
    ids.push((await socket.next((f) => f.type === 'chat.message' && f.clientId === `old-${i}`)).message.id)
  }
  socket.send({ type: 'chat.react', room: 'global', messageId: ids[0], emoji: '🎉', on: true })
  await socket.next((f) => f.type === 'chat.reactions')
  const tus = new TusClient(single.url, alice.token)
  const big = randomBytes(9 * 1024 * 1024 + 3)
  const small = randomBytes(1000)
  // Folders three deep (a parent must be moved before its children whatever their ids), a file in the deepest,
  // and that folder shared with another user.
  const bob = await registerAndLogin(single.url)
  const auth0 = { authorization: `Bearer ${alice.token}` }
  let parentId: string | null = null
  const folderIds: string[] = []
  for (const name of ['Outer', 'Middle', 'Inner']) {
    const made: any = await requestJson(`${single.url}/api/vault/folders`, { body: { name, parentId }, headers: auth0 })
    folderIds.push((parentId = made.body.folder.id))
  }
  const bigId = await tus.upload('big.bin', big)
  const smallId = await tus.upload('small.txt', small, undefined, folderIds[2])
  expect((await requestJson(`${single.url}/api/vault/grants`, { body: { username: bob.username, folderId: folderIds[0] }, headers: auth0 })).status).toBe(201)
  // A private conversation with a message that mentions bob.
  const dm = (await requestJson(`${single.url}/api/chat/conversations`, { body: { usernames: [bob.username] }, headers: auth0 })).body.conversation
  socket.send({ type: 'chat.join', room: dm.room })
  await socket.next((f) => f.type === 'chat.joined' && f.room === dm.room)
  socket.send({ type: 'chat.send', room: dm.room, clientId: 'dm-1', text: `a quokka for @${bob.username}` })
  const dmMessage = (await socket.next((f) => f.type === 'chat.message' && f.clientId === 'dm-1')).message
  socket.close()
  await single.stop()

  const shared: ClusterResources = await clusterResources()
  cleanup.push(() => shared.dispose())
  const oldSecret = readFileSync(join(single.dataDir, 'jwt-secret'), 'utf8').trim()
  const env = { ...shared.env, JWT_SECRET: oldSecret }

  const moved = await migrate(single.dataDir, env)
  expect(moved.output).toContain('files: 2 copied')
  expect(moved.output).toMatch(
    /rows: 2 users, \d+ sessions, 4 messages, 1 reactions, 1 mentions, \d+ read positions, 1 conversations, 3 folders, 2 files, 0 share links, 1 shares with people, 0 file drops/,
  )
  expect(moved.code).toBe(0)
  // A second run refuses: the target is no longer empty.
  const again = await migrate(single.dataDir, env)
  expect(again.code).toBe(2)
  expect(again.output).toContain('DATABASE_URL: the target database already has accounts')

  // A cluster node on the moved data: the old token and password work, history and files are there.
  const node = await startServer({ ...env, SFU_WORKERS: '0' })
  cleanup.push(() => node.dispose())
  const auth = { authorization: `Bearer ${alice.token}` }
  expect((await requestJson(`${node.url}/api/auth/me`, auth ? { headers: auth } : {})).status).toBe(200)
  expect((await requestJson(`${node.url}/api/auth/login`, { body: { username: alice.username, password: alice.password } })).status).toBe(200)
  for (const [id, bytes] of [
    [bigId, big],
    [smallId, small],
  ] as const) {
    const body = new Uint8Array(await (await fetch(`${node.url}/api/vault/files/${id}/content`, { headers: auth })).arrayBuffer())
    expect(sha256(body)).toBe(sha256(bytes))
  }
  const inner = await requestJson(`${node.url}/api/vault/files?folder=${folderIds[2]}`, { headers: auth })
  expect(inner.body.path.map((f: any) => f.name)).toEqual(['Outer', 'Middle', 'Inner'])
  expect(inner.body.files.map((f: any) => f.id)).toEqual([smallId])
  const asBob = { authorization: `Bearer ${bob.token}` }
  expect((await requestJson(`${node.url}/api/vault/shared/files/${smallId}`, { headers: asBob })).body.file.name).toBe('small.txt')
  const onNode = await TestSocket.open(node.url, auth)
  await onNode.next((f) => f.type === 'hello')
  onNode.send({ type: 'chat.join', room: 'global' })
  const joined = await onNode.next((f) => f.type === 'chat.joined')
  expect(joined.messages.map((m: any) => m.id)).toEqual(ids)
  expect(joined.messages[0].reactions).toEqual([{ emoji: '🎉', count: 1, userIds: [alice.user.id] }])
  onNode.send({ type: 'chat.send', room: 'global', clientId: 'new-1', text: 'after the move' })
  const fresh = await onNode.next((f) => f.type === 'chat.message' && f.clientId === 'new-1')
  expect(fresh.message.id).toBeGreaterThan(ids.at(-1)!)
  onNode.close()
  // bob's conversation, its mention and its unread message came along; PostgreSQL's search finds it.
  const listed = await requestJson(`${node.url}/api/chat/conversations`, { headers: asBob })
  expect(listed.body.conversations.map((c: any) => c.id)).toEqual([dm.id])
  const bobSocket = await TestSocket.open(node.url, asBob)
  await bobSocket.next((f) => f.type === 'hello')
  bobSocket.send({ type: 'chat.unread' })
  const unread = (await bobSocket.next((f) => f.type === 'chat.unread')).rooms.find((r: any) => r.room === dm.room)
  expect(unread).toEqual({ room: dm.room, lastReadId: 0, unread: 1, mentions: 1 })
  bobSocket.send({ type: 'chat.search', req: 's', query: 'quokka' })
  const found = await bobSocket.next((f) => f.type === 'chat.search')
  expect(found.hits.map((h: any) => [h.room, h.message.id, h.message.mentions])).toEqual([[dm.room, dmMessage.id, [{ id: bob.user.id, username: bob.username }]]])
  bobSocket.close()
  // A new account gets a new id, after the moved ones.
  const carol = await registerAndLogin(node.url)
  expect(carol.user.id).toBeGreaterThan(bob.user.id)
}, 120_000)
