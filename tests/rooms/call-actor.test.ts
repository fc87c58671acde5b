import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { RoomRegistry } from '../../src/rooms/registry'
import type { CallDeps } from '../../src/rooms/call'
import { LocalBroadcaster, RecordingConnection, shuffle, tempDatabase, testLimits } from '../support/rooms'

let env: Awaited<ReturnType<typeof tempDatabase>>
beforeEach(async () => {
  env = await tempDatabase()
})
afterEach(() => env.dispose())


const media = { camera: true, mic: true, screen: false }
const callDeps = (maxMembers = 50): CallDeps => ({
  limits: { maxMembers, maxMembersPerUser: 2, reconnectGraceMs: 30, signalBurst: 1000, signalsPerSecond: 1000 },
  iceServers: () => [{ urls: ['stun:127.0.0.1:3478'] }],
})

function registry(maxMembers = 50, emptyGraceMs = 30) {
  return new RoomRegistry({ store: env.messages, broadcaster: new LocalBroadcaster(), limits: testLimits }, { call: callDeps(maxMembers), emptyGraceMs })
}

const join = (conn: RecordingConnection) => ({ kind: 'call.join' as const, conn, frame: { type: 'room.join' as const, room: 'standup', media } })

/** The member ids a connection has seen join and leave, from its own room.joined on. */
function view(conn: RecordingConnection) {
  const joins = new Map<string, number>()
  const leaves = new Map<string, number>()
  let self: string | undefined
  for (const frame of conn.received) {
    if (frame.type === 'room.joined') {
      self = frame.self
      for (const m of frame.members) joins.set(m.id, (joins.get(m.id) ?? 0) + 1)
    } else if (frame.type === 'room.member-joined') joins.set(frame.member.id, (joins.get(frame.member.id) ?? 0) + 1)
    else if (frame.type === 'room.member-left') leaves.set(frame.member, (leaves.get(frame.member) ?? 0) + 1)
  }
  return { self, joins, leaves }
}

describe('the call in a room actor', () => {
  for (const seed of [3, 17, 256, 4242, 65537]) {
    test(`concurrent joins and leaves in random order converge, each event seen exactly once (seed ${seed})`, async () => {
      const rooms = registry()
      const room = rooms.open('standup')!
      const users = Array.from({ length: 8 }, (_, i) => ({ id: i + 1, username: `user${i}` }))
      const conns = users.map((u) => new RecordingConnection(`c${u.id}`, u))
      const leavers = new Set(conns.filter((_, i) => i % 3 === 1))
      // Each leaver's leave comes after its own join (a socket cannot leave before joining), but interleaved at
      // random with everybody else's commands.
      const order = shuffle([...conns.map((c) => ({ c, k: 'join' })), ...[...leavers].map((c) => ({ c, k: 'leave' }))], seed)
      const seen = new Set<string>()
      const commands: Array<ReturnType<typeof join> | { kind: 'call.leave'; conn: RecordingConnection }> = []
      const deferred: RecordingConnection[] = []
      for (const { c, k } of order) {
        if (k === 'join') {
          seen.add(c.id)
          commands.push(join(c))
          if (deferred.includes(c)) commands.push({ kind: 'call.leave', conn: c })
        } else if (seen.has(c.id)) commands.push({ kind: 'call.leave', conn: c })
        else deferred.push(c)
      }
      // All at once, as concurrent sockets would.
      await Promise.all(commands.map((command) => room.ask(command)))

      const stayers = conns.filter((c) => !leavers.has(c))
      const selfOf = new Map(conns.map((c) => [c.id, view(c).self!]))
      expect(new Set(room.callMembers.map((m) => m.id))).toEqual(new Set(stayers.map((c) => selfOf.get(c.id)!)))

      for (const observer of stayers) {
        const { self, joins, leaves } = view(observer)
        // Every other member it overlapped with appeared exactly once, and every one of those who left went away
        // exactly once; the final picture is exactly the other stayers.
        for (const [id, count] of joins) {
          expect(count).toBe(1)
          expect(id).not.toBe(self)
        }
        for (const [id, count] of leaves) {
          expect(count).toBe(1)
          expect(joins.has(id)).toBe(true)
        }
        const visible = [...joins.keys()].filter((id) => !leaves.has(id))
        expect(new Set(visible)).toEqual(new Set(stayers.filter((c) => c !== observer).map((c) => selfOf.get(c.id)!)))
      }
      await rooms.close()
    })
  }

  test('roles: in every pair the later joiner is polite, and both sides agree', async () => {
    const rooms = registry()
    const room = rooms.open('standup')!
    const conns = [1, 2, 3].map((id) => new RecordingConnection(`c${id}`, { id, username: `u${id}` }))
    for (const c of conns) await room.ask(join(c))
    const roles = new Map<string, boolean>() // "viewer->member" -> polite
    const selfOf = new Map(conns.map((c) => [c, view(c).self!]))
    for (const c of conns) {
      for (const f of c.received) {
        if (f.type === 'room.joined') for (const m of f.members) roles.set(`${selfOf.get(c)}->${m.id}`, m.polite)
        if (f.type === 'room.member-joined') roles.set(`${selfOf.get(c)}->${f.member.id}`, f.member.polite)
      }
    }
    for (let i = 0; i < conns.length; i++) {
      for (let j = 0; j < conns.length; j++) {
        if (i === j) continue
        const a = selfOf.get(conns[i]!)!
        const b = selfOf.get(conns[j]!)!
        expect(roles.get(`${a}->${b}`)).toBe(i > j)
        expect(roles.get(`${a}->${b}`)).toBe(!roles.get(`${b}->${a}`))
      }
    }
    await rooms.close()
  })

  test('a join over the cap is refused and changes nothing', async () => {
    const rooms = registry(2)
    const room = rooms.open('standup')!
    const conns = [1, 2, 3].map((id) => new RecordingConnection(`c${id}`, { id, username: `u${id}` }))
    for (const c of conns) await room.ask(join(c))
    expect(conns[2]!.received).toEqual([{ type: 'error', code: 'room_full', message: 'room "standup" is full (2 members)', room: 'standup', about: 'room.join' }])
    expect(room.callMembers).toHaveLength(2)
    expect(conns[0]!.received.filter((f) => f.type === 'room.member-joined')).toHaveLength(1)
    await rooms.close()
  })

  test('an empty room closes after its grace; a join that reaches it late lands in a fresh room', async () => {
    const rooms = registry(50, 20)
    const room = rooms.open('standup')!
    const a = new RecordingConnection('a', { id: 1, username: 'a' })
    await room.ask(join(a))
    await room.ask({ kind: 'call.leave', conn: a })
    await Bun.sleep(80)
    expect(rooms.find('standup')).toBeUndefined()
    // The edge found the old room before it closed and told it a join: it is redirected, not lost.
    const b = new RecordingConnection('b', { id: 2, username: 'b' })
    room.tell(join(b))
    await Bun.sleep(10)
    const fresh = rooms.find('standup')!
    expect(fresh).not.toBe(room)
    expect(fresh.callMembers.map((m) => m.user.username)).toEqual(['b'])
    expect(b.received[0]!.type).toBe('room.joined')
    await rooms.close()
  })

  test('a dropped member is shown reconnecting, resumes with its id, or is removed after the grace', async () => {
    const rooms = registry()
    const room = rooms.open('standup')!
    const a = new RecordingConnection('a1', { id: 1, username: 'a' })
    const b = new RecordingConnection('b', { id: 2, username: 'b' })
    await room.ask(join(a))
    await room.ask(join(b))
    const selfA = view(a).self!
    await room.ask({ kind: 'disconnected', conn: a, dropped: true })
    expect(b.received.at(-1)).toEqual({ type: 'room.member-connection', room: 'standup', member: selfA, connection: 'reconnecting' })
    const a2 = new RecordingConnection('a2', { id: 1, username: 'a' })
    await room.ask({ kind: 'call.join', conn: a2, frame: { type: 'room.join', room: 'standup', media, resume: selfA } })
    expect(a2.received[0]).toMatchObject({ type: 'room.joined', self: selfA, resumed: true })
    expect(b.received.filter((f) => f.type === 'room.member-connection').at(-1)).toMatchObject({ connection: 'connected' })
    // Someone else cannot take over a's member id.
    const thief = new RecordingConnection('t', { id: 3, username: 't' })
    await room.ask({ kind: 'call.join', conn: thief, frame: { type: 'room.join', room: 'standup', media, resume: selfA } })
    expect(thief.received[0]).toMatchObject({ type: 'room.joined', resumed: false })
    expect((thief.received[0] as { self: string }).self).not.toBe(selfA)
    // Dropped again and not back within the grace: gone for everyone.
    await room.ask({ kind: 'disconnected', conn: a2, dropped: true })
    await Bun.sleep(80)
    expect(b.received.filter((f) => f.type === 'room.member-left')).toEqual([{ type: 'room.member-left', room: 'standup', member: selfA }])
    expect(room.callMembers).toHaveLength(2)
    await rooms.close()
  })
})
