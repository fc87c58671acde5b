import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { Room } from '../../src/rooms/room'
import { LocalBroadcaster, RecordingConnection, shuffle, tempDatabase, testLimits } from '../support/rooms'

let env: Awaited<ReturnType<typeof tempDatabase>>
beforeEach(async () => {
  env = await tempDatabase()
})
afterEach(() => env.dispose())


describe('the room actor', () => {
  for (const seed of [1, 7, 42, 1234, 99991]) {
    test(`concurrent joins and leaves in random order converge (seed ${seed})`, async () => {
      const broadcaster = new LocalBroadcaster()
      const room = new Room('global', { store: env.messages, broadcaster, limits: testLimits })
      const users = await Promise.all(Array.from({ length: 6 }, (_, i) => env.users.create(`user${i}`, "x")))
      const observerUser = await env.users.create('observer', 'x')
      const observer = new RecordingConnection('observer', { id: observerUser.id, username: 'observer' })
      broadcaster.connections.add(observer)
      room.tell({ kind: 'join', conn: observer })

      // Each user opens 1-3 tabs; some users close all of them, some keep one.
      const conns = users.flatMap((u, i) =>
        Array.from({ length: 1 + (i % 3) }, (_, t) => new RecordingConnection(`${u.id}-${t}`, { id: u.id, username: u.username })),
      )
      for (const c of conns) broadcaster.connections.add(c)
      const staying = new Set(users.filter((_, i) => i % 2 === 0).map((u) => u.id))
      const leavers = conns.filter((c) => !staying.has(c.user.id) || !c.id.endsWith('-0'))
      const commands = shuffle(
        [
          ...conns.map((conn) => ({ kind: 'join' as const, conn })),
          ...leavers.map((conn) => ({ kind: 'leave' as const, conn })),
        ],
        seed,
      )
      // A leave may come before its join in this shuffle: the actor ignores a leave of a non-member, and the
      // connection then joins for good. Track what each connection's last command was.
      const last = new Map<string, 'join' | 'leave'>()
      for (const command of commands) last.set(command.conn.id, command.kind)
      await Promise.all(commands.map((command) => room.ask(command)))
      await Bun.sleep(testLimits.presenceGraceMs * 5)
      await room.ask({ kind: 'flush' })

      const expectedPresent = new Set<number>([observerUser.id])
      for (const c of conns) if (last.get(c.id) === 'join') expectedPresent.add(c.user.id)
      expect(new Set(room.presentUsers.map((u) => u.id))).toEqual(expectedPresent)

      // The observer saw every user join exactly once, and every user now absent leave exactly once.
      const events = observer.received.filter((f) => f.type === 'chat.presence') as Array<{ event: string; user: { id: number } }>
      for (const u of users) {
        const joins = events.filter((e) => e.user.id === u.id && e.event === 'join').length
        const leaves = events.filter((e) => e.user.id === u.id && e.event === 'leave').length
        expect(joins).toBeGreaterThanOrEqual(1)
        expect(joins - leaves).toBe(expectedPresent.has(u.id) ? 1 : 0)
      }
      await room.close()
    })
  }

  test('an async step of one command never interleaves with the next', async () => {
    const order: string[] = []
    class Probe extends Room {
      protected override receive(command: any): any {
        if (command.kind === 'join') {
          order.push(`start ${command.conn.id}`)
          return Bun.sleep(5).then(() => order.push(`end ${command.conn.id}`))
        }
        return super.receive(command)
      }
    }
    const room = new Probe('probe', { store: env.messages, broadcaster: new LocalBroadcaster(), limits: testLimits })
    const user = { id: 1, username: 'u' }
    await Promise.all(['a', 'b', 'c'].map((id) => room.ask({ kind: 'join', conn: new RecordingConnection(id, user) })))
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c'])
  })

  test('a message is acknowledged only after it is stored, in one transaction per tick', async () => {
    const broadcaster = new LocalBroadcaster()
    const room = new Room('global', { store: env.messages, broadcaster, limits: testLimits })
    const user = await env.users.create('writer', 'x')
    const conn = new RecordingConnection('w', { id: user.id, username: user.username })
    broadcaster.connections.add(conn)
    await room.ask({ kind: 'join', conn })
    const batches: number[] = []
    const insertMany = env.messages.insertMany.bind(env.messages)
    env.messages.insertMany = (batch) => {
      batches.push(batch.length)
      return insertMany(batch)
    }
    for (let i = 0; i < 50; i++) room.tell({ kind: 'send', conn, frame: { type: 'chat.send', room: 'global', clientId: `m${i}`, text: `m${i}` } })
    expect(conn.received.filter((f) => f.type === 'chat.messages')).toHaveLength(0)
    // Stored, then fanned out: wait for the frame (a write to PostgreSQL takes longer than one to SQLite), bounded.
    for (let waited = 0; waited < 5000 && !conn.received.some((f) => f.type === 'chat.messages'); waited += 10) await Bun.sleep(10)
    await room.ask({ kind: 'flush' })
    const frames = conn.received.filter((f) => f.type === 'chat.messages') as Array<{ messages: Array<{ id: number; clientId: string }> }>
    // One write batch, one fanned-out frame.
    expect(frames).toHaveLength(1)
    const acks = frames[0]!.messages
    expect(acks.map((a) => a.clientId)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`))
    for (const ack of acks) expect((await env.messages.after('global', ack.id - 1, 1))[0]?.id).toBe(ack.id)
    expect(batches).toEqual([50])
    await room.close()
  })
})
