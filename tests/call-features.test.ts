// What a call offers besides media, over real sockets: who is in a room before joining it (room.peek), the raised
// hands queue kept by the room (the same order for everyone; your own hand, or hosts lower anyone's), and
// reactions (one of a few emoji, rate-limited). Every bad input gets its error frame and changes nothing.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startServer, type TestServer } from './support/server'
import { registerAndLogin, uniqueName } from './support/http'
import { TestSocket } from './support/ws'

type Account = Awaited<ReturnType<typeof registerAndLogin>>

let server: TestServer
let people: Account[]
beforeAll(async () => {
  server = await startServer({ LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000', ROOM_MAX_MEMBERS: '6', ROOM_EMPTY_GRACE_MS: '300', SFU_WORKERS: '0' })
  people = []
  for (const name of ['ann', 'ben', 'cat', 'dan']) people.push(await registerAndLogin(server.url, uniqueName(name)))
}, 30_000)
afterAll(async () => {
  await server?.dispose()
})

const media = { camera: true, mic: true, screen: false }
const roomName = () => uniqueName('features').replace(/_/g, '-')

async function connect(account: Account) {
  const socket = await TestSocket.open(server.url, { authorization: `Bearer ${account.token}` })
  await socket.next((f) => f.type === 'hello')
  return socket
}

async function join(account: Account, room: string, socket?: TestSocket) {
  socket ??= await connect(account)
  socket.send({ type: 'room.join', room, media })
  const joined = await socket.next((f) => f.type === 'room.joined' || f.type === 'error')
  expect(joined.type).toBe('room.joined')
  return { socket, joined, self: joined.self as string }
}

describe('peek', () => {
  test('names who is in a call, each person once, before joining; an empty or unopened room has nobody', async () => {
    const room = roomName()
    const [ann, ben, cat] = people as [Account, Account, Account]
    const watcher = await connect(cat)
    watcher.send({ type: 'room.peek', room })
    expect(await watcher.next((f) => f.type === 'room.peek')).toEqual({ type: 'room.peek', room, people: [], members: 0, maxMembers: 6, locked: false })
    const a = await join(ann, room)
    const b = await join(ben, room)
    // Ben in a second tab: one name, two places.
    const b2 = await join(ben, room)
    watcher.send({ type: 'room.peek', room })
    expect(await watcher.next((f) => f.type === 'room.peek')).toEqual({ type: 'room.peek', room, people: [ann.username, ben.username], members: 3, maxMembers: 6, locked: false })
    a.socket.send({ type: 'room.lock', room, locked: true })
    await watcher.next(() => false, 100).catch(() => undefined)
    watcher.send({ type: 'room.peek', room })
    expect(await watcher.next((f) => f.type === 'room.peek')).toMatchObject({ locked: true })
    // Peeking joins nothing: the members saw no one arrive.
    expect((await a.socket.drain()).filter((f) => f.type === 'room.member-joined' && f.member.user.id === cat.user.id)).toEqual([])
    for (const s of [a, b, b2]) s.socket.close()
    watcher.close()
  })

  test('bad peeks get their error: the global chat, a bad name, too many too fast', async () => {
    const socket = await connect(people[0]!)
    socket.send({ type: 'room.peek', room: 'global' })
    expect(await socket.next((f) => f.type === 'error')).toMatchObject({ code: 'not_a_call', about: 'room.peek' })
    socket.send({ type: 'room.peek', room: 'no spaces' })
    expect(await socket.next((f) => f.type === 'error')).toMatchObject({ code: 'invalid_message', about: 'room.peek' })
    const room = roomName()
    for (let i = 0; i < 12; i++) socket.send({ type: 'room.peek', room })
    const frames = await socket.drain()
    expect(frames.filter((f) => f.type === 'room.peek').length).toBe(10)
    expect(frames.filter((f) => f.type === 'error' && f.code === 'rate_limited' && f.retryAfterMs > 0).length).toBe(2)
    socket.close()
  })
})

describe('raised hands', () => {
  test('one queue in the order raised, the same on every page; lowering and leaving take a hand out; a newcomer gets the queue', async () => {
    const room = roomName()
    const [ann, ben, cat, dan] = people as [Account, Account, Account, Account]
    const a = await join(ann, room)
    const b = await join(ben, room)
    const c = await join(cat, room)
    const all = [a, b, c]
    const queueOn = async (s: { socket: TestSocket }, expected: string[]) =>
      expect((await s.socket.next((f) => f.type === 'room.hands' && JSON.stringify(f.hands) === JSON.stringify(expected))).hands).toEqual(expected)
    // Raised concurrently: the room decides one order, and everyone sees each step of it.
    c.socket.send({ type: 'room.hand', room, raised: true })
    b.socket.send({ type: 'room.hand', room, raised: true })
    const seen = await Promise.all(all.map((s) => s.socket.next((f) => f.type === 'room.hands' && f.hands.length === 2)))
    const order = seen[0].hands as string[]
    expect(new Set(order)).toEqual(new Set([b.self, c.self]))
    for (const frame of seen) expect(frame.hands).toEqual(order)
    // Raising again changes nothing (no frame); Ann raises after them and is last.
    b.socket.send({ type: 'room.hand', room, raised: true })
    a.socket.send({ type: 'room.hand', room, raised: true })
    for (const s of all) await queueOn(s, [...order, a.self])
    expect((await c.socket.drain()).filter((f) => f.type === 'room.hands')).toEqual([])
    // A newcomer sees the queue in its room.joined.
    const d = await join(dan, room)
    expect(d.joined.hands).toEqual([...order, a.self])
    // The first lowers their own; the other leaves the call.
    const first = order[0] === b.self ? b : c
    const second = first === b ? c : b
    first.socket.send({ type: 'room.hand', room, raised: false })
    for (const s of [a, d]) await queueOn(s, [second.self, a.self])
    second.socket.send({ type: 'room.leave', room })
    for (const s of [a, d]) expect(await s.socket.next((f) => f.type === 'room.hands')).toMatchObject({ hands: [a.self], by: { id: second === b ? ben.user.id : cat.user.id } })
    for (const s of [a, b, c, d]) s.socket.close()
  })

  test("only hosts lower someone else's hand; nobody raises another's; bad members and outsiders are refused", async () => {
    const room = roomName()
    const [ann, ben, cat] = people as [Account, Account, Account]
    const a = await join(ann, room)
    const b = await join(ben, room)
    const c = await join(cat, room)
    b.socket.send({ type: 'room.hand', room, raised: true })
    for (const s of [a, b, c]) await s.socket.next((f) => f.type === 'room.hands' && f.hands.length === 1)
    c.socket.send({ type: 'room.hand', room, raised: false, member: b.self })
    expect(await c.socket.next((f) => f.type === 'error')).toMatchObject({ code: 'forbidden', about: 'room.hand' })
    a.socket.send({ type: 'room.hand', room, raised: true, member: c.self })
    expect(await a.socket.next((f) => f.type === 'error')).toMatchObject({ code: 'forbidden', about: 'room.hand' })
    a.socket.send({ type: 'room.hand', room, raised: false, member: 'nobody' })
    expect(await a.socket.next((f) => f.type === 'error')).toMatchObject({ code: 'unknown_member', about: 'room.hand' })
    a.socket.send({ type: 'room.hand', room, raised: 'yes' })
    expect(await a.socket.next((f) => f.type === 'error')).toMatchObject({ code: 'invalid_message', about: 'room.hand' })
    // Nothing changed for anyone.
    expect((await b.socket.drain()).filter((f) => f.type === 'room.hands')).toEqual([])
    // The host (Ann, the first member) lowers Ben's.
    a.socket.send({ type: 'room.hand', room, raised: false, member: b.self })
    expect(await b.socket.next((f) => f.type === 'room.hands')).toMatchObject({ hands: [], by: { id: ann.user.id } })
    // Someone not in the call.
    const outsider = await connect(people[3]!)
    outsider.send({ type: 'room.hand', room, raised: true })
    expect(await outsider.next((f) => f.type === 'error')).toMatchObject({ code: 'not_joined', about: 'room.hand' })
    for (const s of [a, b, c]) s.socket.close()
    outsider.close()
  })
})

describe('reactions', () => {
  test('everyone in the call sees a reaction with its sender; beyond a burst they are refused with a wait; other emoji are invalid', async () => {
    const room = roomName()
    const [ann, ben] = people as [Account, Account]
    const a = await join(ann, room)
    const b = await join(ben, room)
    a.socket.send({ type: 'room.react', room, emoji: '🎉' })
    for (const s of [a, b]) expect(await s.socket.next((f) => f.type === 'room.reaction')).toEqual({ type: 'room.reaction', room, member: a.self, emoji: '🎉' })
    for (let i = 0; i < 7; i++) a.socket.send({ type: 'room.react', room, emoji: '👍' })
    const frames = await a.socket.drain()
    // A burst of five, the first spent above: four more, then refusals with how long to wait.
    expect(frames.filter((f) => f.type === 'room.reaction').length).toBe(4)
    const refused = frames.filter((f) => f.type === 'error' && f.code === 'rate_limited')
    expect(refused.length).toBe(3)
    expect(refused[0]).toMatchObject({ about: 'room.react', room })
    expect(refused[0].retryAfterMs).toBeGreaterThan(0)
    expect((await b.socket.drain()).filter((f) => f.type === 'room.reaction').length).toBe(4)
    for (const emoji of ['💩', '<script>', '']) {
      a.socket.send({ type: 'room.react', room, emoji })
      expect(await a.socket.next((f) => f.type === 'error')).toMatchObject({ code: 'invalid_message', about: 'room.react' })
    }
    const outsider = await connect(people[2]!)
    outsider.send({ type: 'room.react', room, emoji: '👍' })
    expect(await outsider.next((f) => f.type === 'error')).toMatchObject({ code: 'not_joined', about: 'room.react' })
    for (const s of [a, b]) s.socket.close()
    outsider.close()
  })
})
