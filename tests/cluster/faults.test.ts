// A cluster losing a node (kill -9, or a stop that drains it) and losing Redis: rooms move to live nodes by
// themselves, nothing acknowledged is lost, nothing is delivered or stored twice, and clients catch up.
import { afterEach, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { ChatClient, startCluster, TEST_REDIS_URL, type TestCluster } from '../support/cluster'
import { registerAndLogin, requestJson } from '../support/http'
import { TestSocket } from '../support/ws'

let cluster: TestCluster | undefined
afterEach(async () => {
  await cluster?.dispose()
  cluster = undefined
})

const ENV = {
  SFU_WORKERS: '0',
  BCRYPT_COST: '10',
  REGISTER_LIMIT_PER_ADDRESS: '1000',
  CHAT_MESSAGE_BURST: '200',
  CHAT_MESSAGES_PER_SECOND: '100',
}
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

async function connect(url: string, token: string) {
  const socket = await TestSocket.open(url, bearer(token))
  const hello = await socket.next((f) => f.type === 'hello')
  return Object.assign(socket, { node: hello.node as string })
}

/** Every message of the global chat as stored, read through a fresh socket. */
async function history(url: string, token: string): Promise<Array<{ id: number; text: string }>> {
  const socket = await connect(url, token)
  socket.send({ type: 'chat.join', room: 'global', after: 0 })
  const joined = await socket.next((f) => f.type === 'chat.joined')
  const all = [...joined.messages]
  let more = joined.hasMoreAfter
  while (more) {
    socket.send({
      type: 'chat.history',
      room: 'global',
      after: all.at(-1).id,
      limit: 200,
    })
    const page = await socket.next((f) => f.type === 'chat.history')
    all.push(...page.messages)
    more = page.hasMore
  }
  socket.close()
  return all
}

async function roomsOf(url: string): Promise<number> {
  return (await requestJson(`${url}/api/health`)).body.rooms
}

describe('kill -9 of a node', () => {
  test('the node that owns the chat dies mid-conversation: no acknowledged message is lost or stored twice', async () => {
    cluster = await startCluster(3, ENV)
    const [n0, n1, n2] = cluster.nodes
    const [owner, p1, p2] = await Promise.all([0, 1, 2].map(() => registerAndLogin(cluster!.url)))
    // The first join claims the global chat for node 0.
    const onOwner = await connect(n0!.url, owner!.token)
    onOwner.send({ type: 'chat.join', room: 'global' })
    await onOwner.next((f) => f.type === 'chat.joined')
    expect(await roomsOf(n0!.url)).toBe(1)
    const clients = [new ChatClient([n1!.url, cluster.url], p1!.token), new ChatClient([n2!.url, cluster.url], p2!.token)]
    for (const client of clients) await client.start()
    const started = Date.now()
    let killedAt = 0
    for (let k = 0; k < 40; k++) {
      for (const [i, client] of clients.entries()) client.send(`c${i}-${k}`, `kill test ${i}/${k}`)
      if (k === 15) {
        await n0!.crash()
        killedAt = Date.now()
      }
      await Bun.sleep(50)
    }
    // Everything sent is acknowledged in the end (the clients reconnect and send again what was not).
    const deadline = Date.now() + 20_000
    while (clients.some((c) => c.pending > 0) && Date.now() < deadline) await Bun.sleep(100)
    expect(clients.map((c) => c.pending)).toEqual([0, 0])
    // Their sockets were moved (1012) once the dead node's heartbeat lapsed, and the chat went on on a live node.
    for (const client of clients) expect(client.closes).toContain(1012)
    const stored = await history(cluster.url, p1!.token)
    const texts = stored.map((m) => m.text).filter((t) => t.startsWith('kill test'))
    expect(texts).toHaveLength(80)
    expect(new Set(texts).size).toBe(80)
    for (const client of clients) for (const id of client.acked.values()) expect(stored.some((m) => m.id === id)).toBe(true)
    console.log(`kill -9 of the chat's owner at ${killedAt - started} ms; all 80 acknowledged and stored once after ${Date.now() - killedAt} ms`)
    for (const client of clients) await client.stop()
    onOwner.close()
  }, 60_000)

  test('a node that dies takes its people offline on the others within a bounded time', async () => {
    cluster = await startCluster(3, ENV)
    const [n0, n1, n2] = cluster.nodes
    const [owner, watcher, doomed] = await Promise.all([0, 1, 2].map(() => registerAndLogin(cluster!.url)))
    const onOwner = await connect(n0!.url, owner!.token)
    onOwner.send({ type: 'chat.join', room: 'global' })
    await onOwner.next((f) => f.type === 'chat.joined')
    const watching = await connect(n1!.url, watcher!.token)
    watching.send({ type: 'chat.join', room: 'global' })
    await watching.next((f) => f.type === 'chat.joined')
    const onDoomed = await connect(n2!.url, doomed!.token)
    onDoomed.send({ type: 'chat.join', room: 'global' })
    await onDoomed.next((f) => f.type === 'chat.joined')
    const isDoomed = (f: any) => f.type === 'chat.presence' && f.user.username === doomed!.username
    expect((await watching.next(isDoomed)).event).toBe('join')
    await n2!.crash()
    const killedAt = Date.now()
    // The heartbeat's 3 s, then the presence grace (3 s) as for a dropped connection.
    expect((await watching.next(isDoomed, 10_000)).event).toBe('leave')
    const took = Date.now() - killedAt
    console.log(`a killed node's people offline on the others after ${took} ms`)
    expect(took).toBeLessThan(8000)
    onOwner.close()
    watching.close()
  }, 60_000)

  test('the node that owns a call dies: the members on other nodes are in the call again on a live node within 15 s', async () => {
    cluster = await startCluster(3, ENV)
    const [n0, n1, n2] = cluster.nodes
    const people = await Promise.all([0, 1, 2].map(() => registerAndLogin(cluster!.url)))
    const room = `killed-${people[0]!.username}`
    const media = { camera: true, mic: true, screen: false }
    const sockets = await Promise.all([n0, n1, n2].map((node, i) => connect(node!.url, people[i]!.token)))
    const selves: string[] = []
    for (const socket of sockets) {
      socket.send({ type: 'room.join', room, media })
      selves.push((await socket.next((f) => f.type === 'room.joined')).self)
    }
    await n0!.crash()
    const killedAt = Date.now()
    // Nodes 1 and 2 see the owner's heartbeat lapse and move their sockets; the clients reconnect through the
    // balancer and join again, resuming their places where they can.
    const rejoined = await Promise.all(
      [1, 2].map(async (i) => {
        expect((await sockets[i]!.waitClosed(10_000)).code).toBe(1012)
        for (let attempt = 0; ; attempt++) {
          try {
            const socket = await connect(cluster!.url, people[i]!.token)
            socket.send({ type: 'room.join', room, media, resume: selves[i] })
            const joined = await socket.next((f) => f.type === 'room.joined' || f.type === 'error', 5000)
            if (joined.type === 'room.joined') return { socket, joined }
            socket.close()
          } catch (error) {
            if (attempt > 50) throw error
          }
          await Bun.sleep(200)
        }
      }),
    )
    // Both are in one call again, each seeing the other.
    const [one, two] = [rejoined[0]!, rejoined[1]!]
    const sees = async (r: typeof one, other: string) =>
      r.joined.members.some((m: { user: { username: string } }) => m.user.username === other) ||
      (await r.socket.next((f) => f.type === 'room.member-joined' && f.member.user.username === other, 5000), true)
    expect(await sees(one, people[2]!.username)).toBe(true)
    expect(await sees(two, people[1]!.username)).toBe(true)
    const took = Date.now() - killedAt
    console.log(`call back on a live node ${took} ms after kill -9 of its owner`)
    expect(took).toBeLessThan(15_000)
    for (const r of rejoined) r.socket.close()
  }, 60_000)
})

describe('a paused owner', () => {
  test('an owner paused past its heartbeat loses its room to a live node and, resumed, stops acting for it: nothing is stored twice', async () => {
    cluster = await startCluster(2, ENV)
    const [n0, n1] = cluster.nodes
    const [a, b] = await Promise.all([registerAndLogin(cluster.url), registerAndLogin(cluster.url)])
    // A on node 0 claims the chat there; B talks through node 1.
    const onA = new ChatClient([n0!.url, cluster.url], a.token)
    await onA.start()
    const onB = new ChatClient([n1!.url, cluster.url], b.token)
    await onB.start()
    onA.send('a-0', 'a before the pause')
    while (onA.pending > 0) await Bun.sleep(20)
    process.kill(n0!.pid, 'SIGSTOP')
    try {
      // Node 1 sees node 0's heartbeat lapse: B's socket moves and B's next join claims the chat on node 1.
      const moved = Date.now() + 10_000
      while (!onB.closes.includes(1012) && Date.now() < moved) await Bun.sleep(50)
      expect(onB.closes).toContain(1012)
      onB.send('b-0', 'b while node 0 is paused')
      while (onB.pending > 0 && Date.now() < moved + 5000) await Bun.sleep(20)
      expect(onB.pending).toBe(0)
      // A writes to the paused node: the frame waits in the socket until the node runs again.
      onA.send('a-1', 'a written to the paused node')
      await Bun.sleep(200)
    } finally {
      process.kill(n0!.pid, 'SIGCONT')
    }
    // Resumed, node 0 checks its lease before acting, finds the room moved, and moves A's socket too; A sends again
    // through the room's new owner.
    const settled = Date.now() + 15_000
    while ((onA.pending > 0 || !onA.closes.includes(1012)) && Date.now() < settled) await Bun.sleep(50)
    expect(onA.closes).toContain(1012)
    expect(onA.pending).toBe(0)
    const stored = (await history(cluster.url, b.token)).map((m) => m.text)
    expect(stored).toEqual(['a before the pause', 'b while node 0 is paused', 'a written to the paused node'])
    expect(n0!.logs.join('\n')).toContain('"event":"room.lost","room":"global"')
    await onA.stop()
    await onB.stop()
  }, 60_000)
})

describe('drain', () => {
  test('SIGTERM: the node takes nothing new, its rooms move at once, and it exits cleanly within its bound', async () => {
    cluster = await startCluster(3, ENV)
    const [n0, n1] = cluster.nodes
    const [a, b] = await Promise.all([registerAndLogin(cluster.url), registerAndLogin(cluster.url)])
    const onA = await connect(n0!.url, a.token)
    onA.send({ type: 'chat.join', room: 'global' })
    await onA.next((f) => f.type === 'chat.joined')
    const onB = await connect(n1!.url, b.token)
    onB.send({ type: 'chat.join', room: 'global' })
    await onB.next((f) => f.type === 'chat.joined')
    onB.send({
      type: 'chat.send',
      room: 'global',
      clientId: 'before-drain',
      text: 'before the drain',
    })
    await onB.next((f) => f.type === 'chat.message' && f.clientId === 'before-drain')
    const started = Date.now()
    await n0!.stop()
    const stopped = Date.now() - started
    expect(stopped).toBeLessThan(10_000)
    expect((await onA.waitClosed(1000)).code).toBe(1001)
    // B's socket was moved by the drain itself, not by a heartbeat lapsing seconds later.
    expect((await onB.waitClosed(1000)).code).toBe(1012)
    const again = await connect(cluster.url, b.token)
    again.send({ type: 'chat.join', room: 'global' })
    const joined = await again.next((f) => f.type === 'chat.joined')
    expect(joined.messages.map((m: { text: string }) => m.text)).toContain('before the drain')
    again.send({
      type: 'chat.send',
      room: 'global',
      clientId: 'after-drain',
      text: 'after the drain',
    })
    await again.next((f) => f.type === 'chat.message' && f.clientId === 'after-drain')
    expect(await roomsOf(again.node === 'node-1' ? n1!.url : cluster.nodes[2]!.url)).toBe(1)
    console.log(`drained and stopped in ${stopped} ms`)
    again.close()
  }, 60_000)
})

describe('Redis', () => {
  const redisScript = join(import.meta.dir, '../../scripts/services/redis.sh')
  const redisPort = new URL(TEST_REDIS_URL).port

  test('a Redis restart mid-chat: each node keeps serving its own, reports degraded, re-joins; no duplicate, catch-up fills the gap', async () => {
    cluster = await startCluster(2, ENV)
    const [n0, n1] = cluster.nodes
    const [a, b] = await Promise.all([registerAndLogin(cluster.url), registerAndLogin(cluster.url)])
    const onA = new ChatClient([n0!.url], a.token)
    await onA.start()
    const onB = new ChatClient([n1!.url], b.token)
    await onB.start()
    for (let k = 0; k < 5; k++) onA.send(`a-before-${k}`, `before ${k}`)
    while (onA.pending > 0) await Bun.sleep(20)
    const redis = (action: 'start' | 'stop') =>
      Bun.spawnSync(['bash', redisScript, action], {
        env: { ...process.env, REDIS_PORT: redisPort },
      }).exitCode
    expect(redis('stop')).toBe(0)
    try {
      // The node owning the chat goes on for its own clients, however long Redis stays away (longer than a
      // heartbeat's lifetime here). B's sends, through the other node, wait: they are not acknowledged yet.
      await Bun.sleep(3500)
      onB.send('b-during', 'during, from b')
      for (let k = 0; k < 5; k++) onA.send(`a-during-${k}`, `during ${k}`)
      const deadline = Date.now() + 5000
      while (onA.pending > 0 && Date.now() < deadline) await Bun.sleep(20)
      expect(onA.pending).toBe(0)
      expect(onB.pending).toBe(1)
      // Within a few heartbeats the node says it is on its own.
      const said = Date.now() + 5000
      let health = await requestJson(`${n0!.url}/api/health`)
      while (health.body.status !== 'degraded' && Date.now() < said) {
        await Bun.sleep(200)
        health = await requestJson(`${n0!.url}/api/health`)
      }
      expect(health.status).toBe(200)
      expect(health.body).toMatchObject({
        status: 'degraded',
        redis: false,
        database: true,
      })
    } finally {
      // Whatever happened above, the Redis the other tests share is back.
      expect(redis('start')).toBe(0)
    }
    for (let k = 0; k < 5; k++) onB.send(`b-after-${k}`, `after ${k}`)
    const settled = Date.now() + 15_000
    while ((onB.pending > 0 || onA.pending > 0) && Date.now() < settled) await Bun.sleep(50)
    expect([onA.pending, onB.pending]).toEqual([0, 0])
    const ok = Date.now() + 5000
    while ((await requestJson(`${n1!.url}/api/health`)).body.status !== 'ok' && Date.now() < ok) await Bun.sleep(200)
    expect((await requestJson(`${n1!.url}/api/health`)).body).toMatchObject({
      status: 'ok',
      redis: true,
    })
    // B saw everything, including what was said while Redis was away, each once.
    const wait = Date.now() + 5000
    while (onB.seen.size < 16 && Date.now() < wait) await Bun.sleep(50)
    const texts = [...onB.seen.values()].map((m) => m.text)
    for (const prefix of ['before ', 'during ', 'after ']) expect(texts.filter((t) => t.startsWith(prefix))).toHaveLength(5)
    expect(texts.filter((t) => t === 'during, from b')).toHaveLength(1)
    expect(new Set(onB.live).size).toBe(onB.live.length)
    const stored = (await history(cluster.url, a.token)).map((m) => m.text)
    expect(stored).toHaveLength(16)
    await onA.stop()
    await onB.stop()
  }, 60_000)

  test('a wrong REDIS_URL at start stops the node with exit 2, naming it', async () => {
    const { startServer } = await import('../support/server')
    for (const [env, says] of [
      [{ REDIS_URL: 'redis://127.0.0.1:1' }, 'REDIS_URL: cannot reach Redis at redis://127.0.0.1:1'],
      [{ REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL'],
      [{ REDIS_URL: TEST_REDIS_URL, DATABASE_URL: '' }, 'REDIS_URL'],
    ] as const) {
      const failed = await startServer({
        JWT_SECRET: 'x'.repeat(32),
        ...env,
      }).then(
        () => 'started',
        (error: Error) => error.message,
      )
      expect(failed).toContain('exited with 2')
      expect(failed).toContain(says)
    }
  })
})
