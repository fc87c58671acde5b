// Hosts of a video room over real sockets: the first member hosts, admins and moderators host everywhere, a host
// names others and the eldest takes over when the last host leaves; kick (no coming back while the room is open),
// mute (only the member turns it back on), mute all, lock with a lobby (admit, deny), end. Everyone else gets
// `forbidden` for each of these and nothing changes.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startServer, type TestServer } from './support/server'
import { registerAndLogin, requestJson, uniqueName } from './support/http'
import { TestSocket } from './support/ws'

type Account = Awaited<ReturnType<typeof registerAndLogin>>

let server: TestServer
let admin: Account
let moderator: Account
let people: Account[]
beforeAll(async () => {
  server = await startServer({ LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000', ROOM_MAX_MEMBERS: '6', ROOM_EMPTY_GRACE_MS: '300', SFU_WORKERS: '0' })
  // The first account is the admin; the others are members, one of them made a moderator.
  admin = await registerAndLogin(server.url, uniqueName('root'))
  moderator = await registerAndLogin(server.url, uniqueName('mod'))
  people = []
  for (const name of ['ann', 'ben', 'cat', 'dan']) people.push(await registerAndLogin(server.url, uniqueName(name)))
  expect((await asAdmin('PATCH', `/admin/users/${moderator.user.id}`, { role: 'moderator' })).status).toBe(200)
}, 30_000)
afterAll(async () => {
  await server?.dispose()
})

const asAdmin = (method: string, path: string, body?: unknown) =>
  requestJson(`${server.url}/api${path}`, { method, body, headers: { authorization: `Bearer ${admin.token}` } })
const media = { camera: true, mic: true, screen: false }
const roomName = () => uniqueName('hosted').replace(/_/g, '-')

async function connect(account: Account) {
  const socket = await TestSocket.open(server.url, { authorization: `Bearer ${account.token}` })
  await socket.next((f) => f.type === 'hello')
  return socket
}

async function join(account: Account, room: string) {
  const socket = await connect(account)
  socket.send({ type: 'room.join', room, media })
  const joined = await socket.next((f) => f.type === 'room.joined' || f.type === 'room.waiting' || f.type === 'error')
  return { socket, joined, self: joined.self as string }
}

describe('hosts', () => {
  test('the first member hosts; a member who is not a host gets forbidden for every host frame, and nothing changes', async () => {
    const room = roomName()
    const [ann, ben, cat] = people as [Account, Account, Account]
    const a = await join(ann, room)
    const b = await join(ben, room)
    const c = await join(cat, room)
    expect([a.joined.host, b.joined.host, c.joined.host]).toEqual([true, false, false])
    expect(c.joined.members.find((m: any) => m.id === a.self).host).toBe(true)
    const frames = [
      { type: 'room.kick', room, member: a.self },
      { type: 'room.mute', room, member: a.self, source: 'mic' },
      { type: 'room.mute-all', room },
      { type: 'room.lock', room, locked: true },
      { type: 'room.admit', room, member: 'nobody' },
      { type: 'room.deny', room, member: 'nobody' },
      { type: 'room.end', room },
      { type: 'room.host', room, member: b.self },
    ]
    for (const frame of frames) {
      b.socket.send(frame)
      expect(await b.socket.next((f) => f.type === 'error')).toMatchObject({ code: 'forbidden', about: frame.type, room })
    }
    // Nobody saw anything happen.
    a.socket.send({ type: 'ping', nonce: 'sync' })
    const seen = await a.socket.until((f) => f.type === 'pong')
    expect(seen.filter((f) => ['room.left', 'room.muted', 'room.locked', 'room.member-host', 'room.media'].includes(f.type))).toEqual([])
    for (const s of [a, b, c]) s.socket.close()
  })

  test('a host removes a member: they leave with the reason and cannot rejoin while the room is open; staff cannot be removed', async () => {
    const room = roomName()
    const [ann, ben] = people as [Account, Account]
    const a = await join(ann, room)
    const b = await join(ben, room)
    const m = await join(moderator, room)
    a.socket.send({ type: 'room.kick', room, member: b.self })
    expect(await b.socket.next((f) => f.type === 'room.left')).toEqual({
      type: 'room.left',
      room,
      reason: `${ann.username} removed you from the call`,
      code: 'kicked',
      by: { id: ann.user.id, username: ann.username },
    })
    expect(await m.socket.next((f) => f.type === 'room.member-left')).toMatchObject({ member: b.self })
    b.socket.send({ type: 'room.join', room, media })
    expect(await b.socket.next((f) => f.type === 'error')).toMatchObject({ code: 'kicked', about: 'room.join' })
    // A moderator in the room cannot be removed by a host.
    a.socket.send({ type: 'room.kick', room, member: m.self })
    expect(await a.socket.next((f) => f.type === 'error')).toMatchObject({ code: 'forbidden', about: 'room.kick' })
    a.socket.send({ type: 'room.kick', room, member: 'no-such-member' })
    expect(await a.socket.next((f) => f.type === 'error')).toMatchObject({ code: 'unknown_member' })
    const audit = (await asAdmin('GET', '/admin/audit?limit=3')).body.entries
    expect(audit[0]).toMatchObject({ action: 'room.kick', actor: { id: ann.user.id }, target: { id: ben.user.id }, detail: { room } })
    for (const s of [a, b, m]) s.socket.close()
  })

  test('mute turns a source off for everyone to see; only the member turns it back on; mute all silences every non-host', async () => {
    const room = roomName()
    const [ann, ben, cat] = people as [Account, Account, Account]
    const a = await join(ann, room)
    const b = await join(ben, room)
    const c = await join(cat, room)
    a.socket.send({ type: 'room.mute', room, member: b.self, source: 'camera' })
    expect(await b.socket.next((f) => f.type === 'room.muted')).toEqual({ type: 'room.muted', room, source: 'camera', by: { id: ann.user.id, username: ann.username } })
    expect(await c.socket.next((f) => f.type === 'room.media' && f.member === b.self)).toMatchObject({ media: { camera: false, mic: true } })
    // Ben turns it back on himself.
    b.socket.send({ type: 'room.media', room, media })
    expect(await c.socket.next((f) => f.type === 'room.media' && f.member === b.self)).toMatchObject({ media: { camera: true } })

    a.socket.send({ type: 'room.mute-all', room })
    for (const s of [b, c]) expect(await s.socket.next((f) => f.type === 'room.muted')).toMatchObject({ source: 'mic' })
    // The host's own microphone stays on.
    expect(await b.socket.next((f) => f.type === 'room.media' && f.member === c.self)).toMatchObject({ media: { mic: false } })
    a.socket.send({ type: 'ping', nonce: 'x' })
    expect((await a.socket.until((f) => f.type === 'pong')).filter((f) => f.type === 'room.muted')).toEqual([])
    for (const s of [a, b, c]) s.socket.close()
  })

  test('a locked room keeps newcomers in its lobby until a host admits or denies them; staff walk in; leaving the lobby is seen', async () => {
    const room = roomName()
    const [ann, ben, cat, dan] = people as [Account, Account, Account, Account]
    const a = await join(ann, room)
    const b = await join(ben, room)
    a.socket.send({ type: 'room.lock', room, locked: true })
    for (const s of [a, b]) expect(await s.socket.next((f) => f.type === 'room.locked')).toMatchObject({ locked: true, by: { id: ann.user.id } })

    const c = await join(cat, room)
    expect(c.joined).toEqual({ type: 'room.waiting', room })
    const lobby = await a.socket.next((f) => f.type === 'room.lobby' && f.waiting.length === 1)
    expect(lobby.waiting[0]).toMatchObject({ user: { id: cat.user.id, username: cat.username } })
    // Members who are not hosts are not told who knocks.
    b.socket.send({ type: 'ping', nonce: 'y' })
    expect((await b.socket.until((f) => f.type === 'pong')).filter((f) => f.type === 'room.lobby')).toEqual([])
    a.socket.send({ type: 'room.admit', room, member: lobby.waiting[0].id })
    const admitted = await c.socket.next((f) => f.type === 'room.joined')
    expect(admitted).toMatchObject({ locked: true, host: false })
    expect(await b.socket.next((f) => f.type === 'room.member-joined')).toMatchObject({ member: { user: { id: cat.user.id } } })

    const d = await join(dan, room)
    expect(d.joined.type).toBe('room.waiting')
    const knock = await a.socket.next((f) => f.type === 'room.lobby' && f.waiting.length === 1)
    a.socket.send({ type: 'room.deny', room, member: knock.waiting[0].id })
    expect(await d.socket.next((f) => f.type === 'room.left')).toMatchObject({ code: 'denied', reason: `${ann.username} did not let you in` })
    expect(await a.socket.next((f) => f.type === 'room.lobby')).toMatchObject({ waiting: [] })

    // Someone who gives up waiting leaves the hosts' list.
    d.socket.send({ type: 'room.join', room, media })
    await d.socket.next((f) => f.type === 'room.waiting')
    await a.socket.next((f) => f.type === 'room.lobby' && f.waiting.length === 1)
    d.socket.close()
    expect(await a.socket.next((f) => f.type === 'room.lobby')).toMatchObject({ waiting: [] })

    // A moderator is not kept waiting.
    const m = await join(moderator, room)
    expect(m.joined).toMatchObject({ type: 'room.joined', host: true, locked: true })
    for (const s of [a, b, c, m]) s.socket.close()
  })

  test('a host ends the call for everyone, waiting ones included; the room then starts afresh', async () => {
    const room = roomName()
    const [ann, ben, cat] = people as [Account, Account, Account]
    const a = await join(ann, room)
    const b = await join(ben, room)
    a.socket.send({ type: 'room.lock', room, locked: true })
    await b.socket.next((f) => f.type === 'room.locked')
    const c = await join(cat, room)
    expect(c.joined.type).toBe('room.waiting')
    await a.socket.next((f) => f.type === 'room.lobby' && f.waiting.length === 1)
    a.socket.send({ type: 'room.end', room })
    for (const s of [a, b, c]) expect(await s.socket.next((f) => f.type === 'room.left')).toMatchObject({ code: 'ended', reason: `${ann.username} ended the call` })
    await Bun.sleep(600)
    // Afresh: Ben comes back first and hosts an unlocked room.
    b.socket.send({ type: 'room.join', room, media })
    expect(await b.socket.next((f) => f.type === 'room.joined')).toMatchObject({ host: true, locked: false, members: [] })
    for (const s of [a, b, c]) s.socket.close()
  })

  test('a host names another; when the last host leaves, the member present longest hosts; a demoted moderator stops hosting', async () => {
    const room = roomName()
    const [ann, ben, cat] = people as [Account, Account, Account]
    const a = await join(ann, room)
    const b = await join(ben, room)
    const c = await join(cat, room)
    a.socket.send({ type: 'room.host', room, member: c.self })
    for (const s of [a, b, c]) expect(await s.socket.next((f) => f.type === 'room.member-host')).toEqual({ type: 'room.member-host', room, member: c.self, host: true })
    a.socket.send({ type: 'room.leave', room })
    await a.socket.next((f) => f.type === 'room.left')
    c.socket.send({ type: 'room.leave', room })
    await c.socket.next((f) => f.type === 'room.left')
    // Ben is the last one and the eldest: he hosts now.
    expect(await b.socket.next((f) => f.type === 'room.member-host')).toMatchObject({ member: b.self, host: true })

    const m = await join(moderator, room)
    expect(m.joined.host).toBe(true)
    const d = await join(people[3]!, room)
    await asAdmin('PATCH', `/admin/users/${moderator.user.id}`, { role: 'member' })
    m.socket.send({ type: 'room.kick', room, member: d.self })
    expect(await m.socket.next((f) => f.type === 'error')).toMatchObject({ code: 'forbidden', about: 'room.kick' })
    await asAdmin('PATCH', `/admin/users/${moderator.user.id}`, { role: 'moderator' })
    for (const s of [a, b, c, m, d]) s.socket.close()
  })
})
