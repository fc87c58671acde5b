// Video rooms over the real WebSocket: join, members, mesh signalling relay, media state, reconnects, the room's
// own chat, and every bad input answered with an error frame while the other members are undisturbed.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { startServer, type TestServer } from './support/server'
import { registerAndLogin, uniqueName } from './support/http'
import { TestSocket } from './support/ws'

type Account = Awaited<ReturnType<typeof registerAndLogin>>

const TURN_SECRET = 'turn-shared-secret-for-tests'
let server: TestServer
let alice: Account
let bob: Account
let carol: Account
beforeAll(async () => {
  server = await startServer({
    LOGIN_LIMIT_PER_ADDRESS: '100000',
    REGISTER_LIMIT_PER_ADDRESS: '100000',
    ROOM_MAX_MEMBERS: '3',
    ROOM_RECONNECT_GRACE_MS: '1500',
    ROOM_EMPTY_GRACE_MS: '300',
    ROOM_SIGNALS_PER_SECOND: '5',
    STUN_URLS: 'stun:127.0.0.1:3478',
    TURN_URLS: 'turn:127.0.0.1:3478?transport=udp,turns:127.0.0.1:5349',
    TURN_SECRET,
    TURN_CREDENTIAL_TTL_SECONDS: '600',
  })
  ;[alice, bob, carol] = (await Promise.all([1, 2, 3].map(() => registerAndLogin(server.url)))) as [Account, Account, Account]
})
afterAll(async () => {
  await server?.dispose()
})

const media = { camera: true, mic: true, screen: false }
const OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n'
const CANDIDATE = { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'abcd' }

async function connect(account: Account): Promise<TestSocket> {
  const socket = await TestSocket.open(server.url, { authorization: `Bearer ${account.token}` })
  await socket.next((f) => f.type === 'hello')
  return socket
}

async function joinCall(account: Account, room: string, extra: Record<string, unknown> = {}) {
  const socket = await connect(account)
  socket.send({ type: 'room.join', room, media, ...extra })
  const joined = await socket.next((f) => f.type === 'room.joined' || f.type === 'error')
  return { socket, joined }
}

const room = () => uniqueName('room').replace(/[^A-Za-z0-9_-]/g, '')

describe('video rooms', () => {
  test('joining lists the others with roles, tells them, and hands out STUN and time-limited TURN', async () => {
    const name = room()
    const a = await joinCall(alice, name)
    expect(a.joined).toMatchObject({ type: 'room.joined', room: name, resumed: false, members: [], maxMembers: 3 })
    const b = await joinCall(bob, name)
    expect(b.joined.members).toEqual([
      { id: a.joined.self, user: { id: alice.user.id, username: alice.username }, media, connection: 'connected', polite: true, host: true },
    ])
    // The first member hosts the room; the second does not.
    expect(a.joined).toMatchObject({ host: true, locked: false, lobby: [] })
    expect(b.joined).toMatchObject({ host: false, locked: false, lobby: [] })
    const told = await a.socket.next((f) => f.type === 'room.member-joined')
    expect(told.member).toEqual({ id: b.joined.self, user: { id: bob.user.id, username: bob.username }, media, connection: 'connected', polite: false, host: false })

    const [stun, turn] = b.joined.iceServers
    expect(stun).toEqual({ urls: ['stun:127.0.0.1:3478'] })
    expect(turn.urls).toEqual(['turn:127.0.0.1:3478?transport=udp', 'turns:127.0.0.1:5349'])
    const [expiry, userId] = turn.username.split(':')
    expect(Number(userId)).toBe(bob.user.id)
    expect(Number(expiry) - Date.now() / 1000).toBeGreaterThan(590)
    expect(Number(expiry) - Date.now() / 1000).toBeLessThan(610)
    expect(turn.credential).toBe(createHmac('sha1', TURN_SECRET).update(turn.username).digest('base64'))
    a.socket.close()
    b.socket.close()
  })

  test('a member asks for fresh TURN credentials before its own expire; someone not in the call cannot', async () => {
    const name = room()
    const a = await joinCall(alice, name)
    // Half the credentials' lifetime (600 s here): the page asks again long before the relay would refuse them.
    expect(a.joined.iceRefreshInSeconds).toBe(300)
    const first = a.joined.iceServers[1]
    await Bun.sleep(1100)
    a.socket.send({ type: 'room.ice', room: name })
    const fresh = await a.socket.next((f) => f.type === 'room.ice' || f.type === 'error')
    expect(fresh).toMatchObject({ type: 'room.ice', room: name, iceRefreshInSeconds: 300 })
    const turn = fresh.iceServers[1]
    expect(turn.urls).toEqual(first.urls)
    expect(Number(turn.username.split(':')[0])).toBeGreaterThan(Number(first.username.split(':')[0]))
    expect(turn.credential).toBe(createHmac('sha1', TURN_SECRET).update(turn.username).digest('base64'))
    // Not a member of this call: an error frame, no credentials.
    const b = await connect(bob)
    b.send({ type: 'room.ice', room: name })
    expect(await b.next((f) => f.type === 'room.ice' || f.type === 'error')).toMatchObject({ type: 'error', code: 'not_joined', about: 'room.ice', room: name })
    b.send({ type: 'room.ice', room: name, extra: 1 })
    expect(await b.next((f) => f.type === 'error')).toMatchObject({ code: 'invalid_message' })
    a.socket.close()
    b.close()
  })

  test('offers, answers and candidates reach exactly the member they are addressed to', async () => {
    const name = room()
    const a = await joinCall(alice, name)
    const b = await joinCall(bob, name)
    const c = await joinCall(carol, name)
    a.socket.send({ type: 'room.signal', room: name, to: b.joined.self, description: { type: 'offer', sdp: OFFER } })
    a.socket.send({ type: 'room.signal', room: name, to: b.joined.self, candidate: CANDIDATE })
    a.socket.send({ type: 'room.signal', room: name, to: b.joined.self, candidate: { candidate: '', sdpMid: '0' } })
    expect(await b.socket.next((f) => f.type === 'room.signal')).toEqual({
      type: 'room.signal',
      room: name,
      from: a.joined.self,
      description: { type: 'offer', sdp: OFFER },
    })
    expect((await b.socket.next((f) => f.type === 'room.signal')).candidate).toEqual(CANDIDATE)
    expect((await b.socket.next((f) => f.type === 'room.signal')).candidate).toEqual({ candidate: '', sdpMid: '0' })
    b.socket.send({ type: 'room.signal', room: name, to: a.joined.self, description: { type: 'answer', sdp: OFFER } })
    expect(await a.socket.next((f) => f.type === 'room.signal')).toMatchObject({ from: b.joined.self, description: { type: 'answer' } })
    // Carol, not addressed, saw no signal at all.
    c.socket.send({ type: 'ping', nonce: 'sync' })
    expect((await c.socket.until((f) => f.type === 'pong')).filter((f) => f.type === 'room.signal')).toEqual([])
    for (const s of [a, b, c]) s.socket.close()
  })

  test('bad signalling gets an error frame each, and the other members see nothing of it', async () => {
    const name = room()
    const a = await joinCall(alice, name)
    const b = await joinCall(bob, name)
    const other = room()
    const cases: Array<[unknown, string]> = [
      [{ type: 'room.signal', room: name, to: 'nobody', description: { type: 'offer', sdp: OFFER } }, 'unknown_member'],
      [{ type: 'room.signal', room: name, to: a.joined.self, description: { type: 'offer', sdp: OFFER } }, 'self_signal'],
      [{ type: 'room.signal', room: name, to: b.joined.self, description: { type: 'offer', sdp: 'hello' } }, 'invalid_sdp'],
      [{ type: 'room.signal', room: name, to: b.joined.self, description: { type: 'offer', sdp: 'v=0\r\ns=-\r\n' } }, 'invalid_sdp'],
      [{ type: 'room.signal', room: name, to: b.joined.self, description: { type: 'offer', sdp: 'v=0\r\nm=audio\u0000\r\n' } }, 'invalid_sdp'],
      [{ type: 'room.signal', room: name, to: b.joined.self, description: { type: 'pranswer', sdp: OFFER } }, 'invalid_message'],
      [{ type: 'room.signal', room: name, to: b.joined.self, candidate: { candidate: 'rm -rf /', sdpMid: '0' } }, 'invalid_candidate'],
      [{ type: 'room.signal', room: name, to: b.joined.self, candidate: { candidate: CANDIDATE.candidate } }, 'invalid_candidate'],
      [{ type: 'room.signal', room: name, to: b.joined.self }, 'invalid_message'],
      [{ type: 'room.signal', room: name, to: b.joined.self, candidate: CANDIDATE, description: { type: 'offer', sdp: OFFER } }, 'invalid_message'],
      [{ type: 'room.signal', room: name, to: b.joined.self, description: { type: 'offer', sdp: 'v=0\r\n' + 'a=xxxxxxxxxxxx\r\n'.repeat(3200) } }, 'invalid_message'],
      [{ type: 'room.signal', room: other, to: b.joined.self, candidate: CANDIDATE }, 'not_joined'],
      [{ type: 'room.media', room: other, media }, 'not_joined'],
      [{ type: 'room.join', room: '../etc', media }, 'invalid_message'],
      [{ type: 'room.join', room: 'x'.repeat(65), media }, 'invalid_message'],
      [{ type: 'room.join', room: name, media: { camera: 'yes' } }, 'invalid_message'],
      [{ type: 'room.join', room: 'global', media }, 'not_a_call'],
      [{ type: 'room.join', room: name, media }, 'already_joined'],
    ]
    for (const [frame, code] of cases) {
      a.socket.send(frame)
      const error = await a.socket.next((f) => f.type === 'error')
      expect({ frame, code: error.code }).toEqual({ frame, code })
      expect(error.message.length).toBeGreaterThan(5)
    }
    // Bob was not disturbed, and a valid signal still goes through.
    a.socket.send({ type: 'room.signal', room: name, to: b.joined.self, candidate: CANDIDATE })
    const toBob = (await b.socket.until((f) => f.type === 'room.signal')).filter((f) => f.type === 'error' || f.type === 'room.signal')
    expect(toBob).toEqual([{ type: 'room.signal', room: name, from: a.joined.self, candidate: CANDIDATE }])
    a.socket.close()
    b.socket.close()
  })

  test('a member not in the call cannot signal, set media, leave or use the room chat', async () => {
    const name = room()
    const a = await joinCall(alice, name)
    const outsider = await connect(bob)
    for (const frame of [
      { type: 'room.signal', room: name, to: a.joined.self, candidate: CANDIDATE },
      { type: 'room.media', room: name, media },
      { type: 'room.leave', room: name },
      { type: 'chat.join', room: name },
      { type: 'chat.send', room: name, clientId: 'x', text: 'let me in' },
    ]) {
      outsider.send(frame)
      expect((await outsider.next((f) => f.type === 'error')).code).toBe('not_joined')
    }
    expect(a.socket.frames.filter((f) => f.type !== 'pong')).toEqual([])
    a.socket.close()
    outsider.close()
  })

  test('a signalling flood is cut with rate_limited errors and the addressee gets only the allowed share', async () => {
    const name = room()
    const a = await joinCall(alice, name)
    const b = await joinCall(bob, name)
    for (let i = 0; i < 60; i++) a.socket.send({ type: 'room.signal', room: name, to: b.joined.self, candidate: CANDIDATE })
    a.socket.send({ type: 'ping', nonce: 'end' })
    const limited = (await a.socket.until((f) => f.type === 'pong')).filter((f) => f.type === 'error' && f.code === 'rate_limited')
    expect(limited.length).toBeGreaterThan(30)
    expect(limited[0].retryAfterMs).toBeGreaterThan(0)
    b.socket.send({ type: 'ping', nonce: 'end' })
    const relayed = (await b.socket.until((f) => f.type === 'pong')).filter((f) => f.type === 'room.signal').length
    expect(relayed).toBe(60 - limited.length)
    expect(relayed).toBeLessThanOrEqual(25) // a burst of 4 x 5/s, plus what refilled meanwhile
    a.socket.close()
    b.socket.close()
  })

  test('media state changes reach the others; leaving and clean closes drop the member at once', async () => {
    const name = room()
    const a = await joinCall(alice, name)
    const b = await joinCall(bob, name)
    const c = await joinCall(carol, name)
    a.socket.send({ type: 'room.media', room: name, media: { camera: false, mic: true, screen: true } })
    for (const s of [b, c]) {
      expect(await s.socket.next((f) => f.type === 'room.media')).toEqual({
        type: 'room.media',
        room: name,
        member: a.joined.self,
        media: { camera: false, mic: true, screen: true },
      })
    }
    a.socket.send({ type: 'room.leave', room: name })
    expect(await a.socket.next((f) => f.type === 'room.left')).toMatchObject({ room: name })
    for (const s of [b, c]) expect(await s.socket.next((f) => f.type === 'room.member-left')).toMatchObject({ member: a.joined.self })
    c.socket.close() // a clean close (1000): no reconnect grace
    expect(await b.socket.next((f) => f.type === 'room.member-left')).toMatchObject({ member: c.joined.self })
    a.socket.close()
    b.socket.close()
  })

  test('the cap refuses a fourth member with room_full, and a place frees up when someone leaves', async () => {
    const name = room()
    const members = [await joinCall(alice, name), await joinCall(bob, name), await joinCall(carol, name)]
    const extra = await joinCall(alice, name)
    expect(extra.joined).toMatchObject({ type: 'error', code: 'room_full' })
    members[2]!.socket.send({ type: 'room.leave', room: name })
    await members[0]!.socket.next((f) => f.type === 'room.member-left')
    extra.socket.send({ type: 'room.join', room: name, media })
    expect(await extra.socket.next((f) => f.type === 'room.joined')).toMatchObject({ room: name })
    for (const m of [...members, extra]) m.socket.close()
  })

  test('a dropped socket shows as reconnecting and resumes its place; past the grace it is gone', async () => {
    const name = room()
    const a = await joinCall(alice, name)
    const b = await joinCall(bob, name)
    ;(a.socket.ws as any).terminate() // no close frame: the server sees 1006
    expect(await b.socket.next((f) => f.type === 'room.member-connection')).toMatchObject({ member: a.joined.self, connection: 'reconnecting' })
    const back = await joinCall(alice, name, { resume: a.joined.self })
    expect(back.joined).toMatchObject({ type: 'room.joined', self: a.joined.self, resumed: true })
    expect(back.joined.members.map((m: any) => m.id)).toEqual([b.joined.self])
    expect(await b.socket.next((f) => f.type === 'room.member-connection')).toMatchObject({ member: a.joined.self, connection: 'connected' })
    // Signalling flows to the resumed member on its new socket.
    b.socket.send({ type: 'room.signal', room: name, to: a.joined.self, candidate: CANDIDATE })
    expect(await back.socket.next((f) => f.type === 'room.signal')).toMatchObject({ from: b.joined.self })

    ;(back.socket.ws as any).terminate()
    await b.socket.next((f) => f.type === 'room.member-connection' && f.connection === 'reconnecting')
    b.socket.send({ type: 'room.signal', room: name, to: a.joined.self, candidate: CANDIDATE })
    expect((await b.socket.next((f) => f.type === 'error')).code).toBe('member_reconnecting')
    expect(await b.socket.next((f) => f.type === 'room.member-left', 4000)).toMatchObject({ member: a.joined.self })
    b.socket.close()
  })

  test("each room has its own chat, stored and kept apart from the global chat and other rooms", async () => {
    const name = room()
    const a = await joinCall(alice, name)
    const b = await joinCall(bob, name)
    for (const s of [a, b]) {
      s.socket.send({ type: 'chat.join', room: name })
      expect(await s.socket.next((f) => f.type === 'chat.joined')).toMatchObject({ room: name })
    }
    const global = await connect(carol)
    global.send({ type: 'chat.join', room: 'global' })
    await global.next((f) => f.type === 'chat.joined')
    a.socket.send({ type: 'chat.send', room: name, clientId: 'm1', text: 'slides are up 🎉' })
    expect(await b.socket.next((f) => f.type === 'chat.message')).toMatchObject({ room: name, message: { text: 'slides are up 🎉' } })
    // Leaving the call leaves its chat, and a new member reads what was said.
    a.socket.send({ type: 'room.leave', room: name })
    await a.socket.next((f) => f.type === 'room.left')
    a.socket.send({ type: 'chat.send', room: name, clientId: 'm2', text: 'still here?' })
    expect((await a.socket.next((f) => f.type === 'error')).code).toBe('not_joined')
    const c = await joinCall(carol, name)
    c.socket.send({ type: 'chat.join', room: name })
    expect((await c.socket.next((f) => f.type === 'chat.joined')).messages.map((m: any) => m.text)).toEqual(['slides are up 🎉'])
    global.send({ type: 'ping' })
    expect((await global.until((f) => f.type === 'pong')).filter((f) => f.type === 'chat.message')).toEqual([])
    for (const s of [a.socket, b.socket, c.socket, global]) s.close()
  })

  test('an empty room closes after its grace and comes back fresh on the next join, its chat gone with it', async () => {
    const name = room()
    const a = await joinCall(alice, name)
    a.socket.send({ type: 'chat.join', room: name })
    await a.socket.next((f) => f.type === 'chat.joined')
    a.socket.send({ type: 'chat.send', room: name, clientId: 'board-1', text: 'the budget is 40k' })
    await a.socket.next((f) => f.type === 'chat.message' && f.clientId === 'board-1')
    // While the room is open, a socket outside its call is told to join the call...
    const outsider = await connect(bob)
    outsider.send({ type: 'chat.join', room: name })
    const whileOpen = await outsider.next((f) => f.type === 'error')
    a.socket.send({ type: 'room.leave', room: name })
    await a.socket.next((f) => f.type === 'room.left')
    await Bun.sleep(600)
    // ...and once it closed, exactly the same: the answer does not tell open rooms from closed ones.
    outsider.send({ type: 'chat.join', room: name })
    const whenClosed = await outsider.next((f) => f.type === 'error')
    expect(whenClosed).toEqual(whileOpen)
    expect(whenClosed.code).toBe('not_joined')
    // Whoever opens the name again starts with an empty chat.
    outsider.send({ type: 'room.join', room: name, media })
    expect(await outsider.next((f) => f.type === 'room.joined')).toMatchObject({ members: [], resumed: false })
    outsider.send({ type: 'chat.join', room: name })
    expect((await outsider.next((f) => f.type === 'chat.joined')).messages).toEqual([])
    outsider.close()
    a.socket.close()
  })

  test('joins without a session are refused before the upgrade', async () => {
    const response = await fetch(`${server.url}/ws`, { headers: { upgrade: 'websocket', connection: 'upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } })
    expect(response.status).toBe(401)
  })
})
