// The cluster's seams, each implementation held to the same contract: the bus (nodes in one process through
// memory; nodes through Redis pub/sub) and the room directory (in memory; in Redis with Lua).
import { afterAll, describe, expect, test } from 'bun:test'
import { randomBytes } from 'node:crypto'
import { MemoryHub, type Bus, type BusMessage } from '../../src/cluster/bus'
import { RedisBus } from '../../src/cluster/redis-bus'
import { MemoryDirectory, type RoomDirectory } from '../../src/cluster/directory'
import { RedisDirectory } from '../../src/cluster/redis-directory'
import { RedisLink } from '../../src/cluster/redis'
import { TEST_REDIS_URL } from '../support/cluster'

interface BusHarness {
  nodes(ids: string[]): Promise<Bus[]>
  /** Cuts a node's link for a moment; it comes back by itself. */
  cut(bus: Bus): Promise<void>
}

const admin = new RedisLink(TEST_REDIS_URL)
await admin.connect()
afterAll(() => admin.close())

const memoryBus: BusHarness = {
  async nodes(ids) {
    const hub = new MemoryHub()
    return ids.map((id) => hub.node(id))
  },
  async cut(bus) {
    const memory = bus as ReturnType<MemoryHub['node']>
    memory.setConnected(false)
    setTimeout(() => memory.setConnected(true), 300)
  },
}

const redisBus: BusHarness = {
  async nodes(ids) {
    const prefix = `seam${randomBytes(4).toString('hex')}`
    return Promise.all(ids.map((id) => RedisBus.connect(TEST_REDIS_URL, id, prefix)))
  },
  async cut(bus) {
    // Redis drops the subscribed connections, as when it restarts; the bus reconnects by itself.
    void bus
    await admin.client.send('CLIENT', ['KILL', 'TYPE', 'pubsub'])
  },
}

const collect = (bus: Bus) => {
  const got: Array<{ message: BusMessage; from: string }> = []
  bus.onMessage((message, from) => got.push({ message, from }))
  return got
}
const until = async (check: () => boolean, ms = 3000) => {
  const deadline = Date.now() + ms
  while (!check() && Date.now() < deadline) await Bun.sleep(10)
  return check()
}

for (const [name, harness] of [['memory', memoryBus], ['redis', redisBus]] as const) {
  describe(`the bus (${name})`, () => {
    test('a message to a node reaches that node only, saying who sent it; a broadcast every node but the sender', async () => {
      const [a, b, c] = await harness.nodes(['a', 'b', 'c'])
      const [atA, atB, atC] = [collect(a!), collect(b!), collect(c!)]
      a!.send('b', { t: 'hello', n: 1 })
      a!.broadcast({ t: 'all', n: 2 })
      expect(await until(() => atB.length === 2 && atC.length === 1)).toBe(true)
      await Bun.sleep(50)
      expect(atB).toEqual([{ message: { t: 'hello', n: 1 }, from: 'a' }, { message: { t: 'all', n: 2 }, from: 'a' }])
      expect(atC).toEqual([{ message: { t: 'all', n: 2 }, from: 'a' }])
      expect(atA).toEqual([])
      for (const bus of [a, b, c]) await bus!.close()
    })

    test('what one node sends another arrives in the order it was sent, direct and broadcast mixed', async () => {
      const [a, b] = await harness.nodes(['a', 'b'])
      const atB = collect(b!)
      for (let i = 0; i < 500; i++) (i % 3 === 0 ? a!.broadcast({ t: 'n', i }) : a!.send('b', { t: 'n', i }))
      expect(await until(() => atB.length === 500)).toBe(true)
      expect(atB.map((r) => r.message.i)).toEqual([...Array(500).keys()])
      for (const bus of [a, b]) await bus!.close()
    })

    test('a node cut off misses what was sent meanwhile (at most once), hears that it resumed, and receives again, once', async () => {
      const [a, b] = await harness.nodes(['a', 'b'])
      const atB = collect(b!)
      let resumed = 0
      b!.onResumed(() => resumed++)
      await harness.cut(b!)
      expect(await until(() => resumed > 0, 5000)).toBe(true)
      atB.length = 0
      a!.send('b', { t: 'after' })
      expect(await until(() => atB.length > 0)).toBe(true)
      await Bun.sleep(100)
      // Re-subscribing did not double the listener.
      expect(atB).toEqual([{ message: { t: 'after' }, from: 'a' }])
      for (const bus of [a, b]) await bus!.close()
    })
  })
}

interface DirectoryHarness {
  make(): Promise<RoomDirectory>
  /** Loses every key, as a Redis restarted without persistence. */
  wipe(directory: RoomDirectory): Promise<void>
}

const memoryDirectory: DirectoryHarness = {
  async make() {
    return new MemoryDirectory()
  },
  async wipe(directory) {
    ;(directory as MemoryDirectory).wipe()
  },
}

const prefixes = new WeakMap<RoomDirectory, string>()
const redisDirectory: DirectoryHarness = {
  async make() {
    const prefix = `seam${randomBytes(4).toString('hex')}`
    const directory = new RedisDirectory(admin, prefix)
    prefixes.set(directory, prefix)
    return directory
  },
  async wipe(directory) {
    const keys = (await admin.client.send('KEYS', [`${prefixes.get(directory)}:*`])) as string[]
    if (keys.length > 0) await admin.client.send('DEL', keys)
  },
}

for (const [name, harness] of [['memory', memoryDirectory], ['redis', redisDirectory]] as const) {
  describe(`the room directory (${name})`, () => {
    test('the first claim owns the room; others find that owner; a lookup without create finds nobody for a new room', async () => {
      const directory = await harness.make()
      await directory.heartbeat('a', 5000)
      await directory.heartbeat('b', 5000)
      expect(await directory.claim('new', 'b', false)).toBeUndefined()
      const lease = await directory.claim('room', 'a', true)
      expect(lease).toEqual({ room: 'room', node: 'a', epoch: 1 })
      expect(await directory.claim('room', 'b', true)).toEqual(lease)
      expect(await directory.claim('room', 'b', false)).toEqual(lease)
      expect(await directory.lost([lease!])).toEqual([])
      expect(await directory.alive(['a', 'b', 'c'])).toEqual(new Set(['a', 'b']))
    })

    test('a node whose heartbeat lapses loses its rooms: the next claim takes them with the next epoch, and the old owner learns it lost them', async () => {
      const directory = await harness.make()
      await directory.heartbeat('a', 300)
      await directory.heartbeat('b', 5000)
      const old = (await directory.claim('room', 'a', true))!
      await Bun.sleep(450)
      expect(await directory.alive(['a', 'b'])).toEqual(new Set(['b']))
      const taken = await directory.claim('room', 'b', true)
      expect(taken).toEqual({ room: 'room', node: 'b', epoch: old.epoch + 1 })
      // The old owner comes back (it was paused, say): its lease is gone, whatever it believes.
      await directory.heartbeat('a', 5000)
      expect(await directory.lost([old])).toEqual([old])
      expect(await directory.claim('room', 'a', true)).toEqual(taken)
      // A release with the old lease changes nothing; with the current one the room is free.
      await directory.release(old)
      expect(await directory.claim('room', 'a', false)).toEqual(taken)
      await directory.release(taken!)
      expect(await directory.claim('room', 'a', true)).toEqual({ room: 'room', node: 'a', epoch: old.epoch + 2 })
    })

    test('a node that stops is dead at once', async () => {
      const directory = await harness.make()
      await directory.heartbeat('a', 5000)
      await directory.heartbeat('b', 5000)
      await directory.claim('room', 'a', true)
      await directory.forget('a')
      expect((await directory.claim('room', 'b', true))?.node).toBe('b')
    })

    test('after the directory lost everything, owners put their leases back, unless another took the room meanwhile', async () => {
      const directory = await harness.make()
      await directory.heartbeat('a', 5000)
      const one = (await directory.claim('one', 'a', true))!
      const two = (await directory.claim('two', 'a', true))!
      await harness.wipe(directory)
      await directory.heartbeat('a', 5000)
      await directory.heartbeat('b', 5000)
      const taken = (await directory.claim('two', 'b', true))!
      expect(await directory.reassert(one)).toBe(true)
      expect(await directory.reassert(two)).toBe(false)
      expect(await directory.claim('one', 'b', true)).toEqual(one)
      expect(await directory.claim('two', 'a', true)).toEqual(taken)
    })
  })
}
