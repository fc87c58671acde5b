// Chat, presence, calls and limits across a three-node cluster behind HAProxy, sharing one PostgreSQL, one Redis
// and the S3 server: people on different nodes see each other live, and everything that counts counts once.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startCluster, type TestCluster } from '../support/cluster'
import { registerAndLogin, requestJson } from '../support/http'
import { TestSocket } from '../support/ws'

let cluster: TestCluster
const METRICS = 'metrics-token-0123456789'

beforeAll(async () => {
  cluster = await startCluster(3, {
    SFU_WORKERS: '0',
    BCRYPT_COST: '10',
    WS_MAX_SOCKETS_PER_USER: '4',
    CHAT_MESSAGE_BURST: '10',
    CHAT_MESSAGES_PER_SECOND: '1',
    ROOMS_PER_USER: '3',
    REGISTER_LIMIT_PER_ADDRESS: '1000',
    METRICS_TOKEN: METRICS,
    ROOM_EMPTY_GRACE_MS: '300',
  })
}, 60_000)
afterAll(async () => {
  await cluster?.dispose()
})

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** A socket on that node (or through the balancer), past its hello; the hello names the node. */
async function connect(url: string, token: string): Promise<TestSocket & { node: string }> {
  const socket = await TestSocket.open(url, bearer(token))
  const hello = await socket.next((f) => f.type === 'hello')
  return Object.assign(socket, { node: hello.node as string })
}

async function joinChat(socket: TestSocket, room = 'global', after?: number) {
  socket.send({ type: 'chat.join', room, ...(after !== undefined ? { after } : {}) })
  return socket.next((f) => f.type === 'chat.joined' && f.room === room)
}

describe('chat across nodes', () => {
  test('three people on three nodes: every message delivered once, in one order, acknowledged; presence the same everywhere', async () => {
    const people = await Promise.all(cluster.nodes.map((node) => registerAndLogin(node.url)))
    const sockets = await Promise.all(cluster.nodes.map((node, i) => connect(node.url, people[i]!.token)))
    expect(sockets.map((s) => s.node)).toEqual(cluster.nodeIds)
    for (const socket of sockets) await joinChat(socket)
    // Presence: each node shows all three, once.
    const names = people.map((p) => p.username).sort()
    for (const [i, node] of cluster.nodes.entries()) {
      // A second socket of the same person on the same node: everyone is listed once, themselves included.
      const again = await connect(node.url, people[i]!.token)
      const present = (await joinChat(again)).members.map((m: { username: string }) => m.username)
      for (const name of names) expect(present.filter((n: string) => n === name)).toHaveLength(1)
      again.close()
    }

    // 3 × 8 messages sent at once from the three nodes.
    const PER = 8
    for (let k = 0; k < PER; k++) {
      for (const [i, socket] of sockets.entries()) socket.send({ type: 'chat.send', room: 'global', clientId: `n${i}-${k}`, text: `from node ${i} #${k}` })
    }
    const received: number[][] = []
    for (const [i, socket] of sockets.entries()) {
      const ids: number[] = []
      const acked = new Set<string>()
      const deadline = Date.now() + 15_000
      while (ids.length < PER * 3 && Date.now() < deadline) {
        const frame = await socket.next((f) => f.type === 'chat.message' && /^from node \d #\d+$/.test(f.message.text), 10_000)
        ids.push(frame.message.id)
        if (frame.clientId?.startsWith(`n${i}-`)) acked.add(frame.clientId)
      }
      expect(acked.size).toBe(PER)
      received.push(ids)
    }
    // Once each, and the same order on every node (the order the room stored them in).
    for (const ids of received) {
      expect(new Set(ids).size).toBe(PER * 3)
      expect(ids).toEqual([...ids].sort((a, b) => a - b))
      expect(ids).toEqual(received[0]!)
    }
    for (const socket of sockets) socket.close()
  }, 60_000)

  test('a socket on node C cut while A and B talk catches up exactly on reconnect, through the balancer', async () => {
    const [a, b, c] = await Promise.all(cluster.nodes.map((node) => registerAndLogin(node.url)))
    const onA = await connect(cluster.nodes[0]!.url, a!.token)
    const onB = await connect(cluster.nodes[1]!.url, b!.token)
    let onC = await connect(cluster.nodes[2]!.url, c!.token)
    for (const s of [onA, onB, onC]) await joinChat(s)
    onA.send({ type: 'chat.send', room: 'global', clientId: 'before', text: 'before the cut' })
    const last = (await onC.next((f) => f.type === 'chat.message' && f.message.text === 'before the cut')).message.id as number
    onC.close()
    const sent: number[] = []
    for (let k = 0; k < 10; k++) {
      const [socket, tag] = k % 2 === 0 ? [onA, 'a'] : [onB, 'b']
      socket.send({ type: 'chat.send', room: 'global', clientId: `${tag}${k}`, text: `while C is away ${k}` })
      sent.push((await socket.next((f) => f.type === 'chat.message' && f.clientId === `${tag}${k}`)).message.id)
    }
    onC = await connect(cluster.url, c!.token)
    const joined = await joinChat(onC, 'global', last)
    const caught = joined.messages.filter((m: { text: string }) => m.text.startsWith('while C is away')).map((m: { id: number }) => m.id)
    expect(caught).toEqual(sent)
    for (const s of [onA, onB, onC]) s.close()
  }, 30_000)
})

describe('presence and what else crosses', () => {
  test('reactions, typing, edits and removals made through one node reach the others', async () => {
    const [a, b] = await Promise.all([registerAndLogin(cluster.nodes[0]!.url), registerAndLogin(cluster.nodes[2]!.url)])
    const onA = await connect(cluster.nodes[0]!.url, a.token)
    const onC = await connect(cluster.nodes[2]!.url, b.token)
    for (const s of [onA, onC]) await joinChat(s)
    onA.send({ type: 'chat.send', room: 'global', clientId: 'to-change', text: 'first words' })
    const id = (await onC.next((f) => f.type === 'chat.message' && f.clientId === 'to-change')).message.id
    onC.send({ type: 'chat.react', room: 'global', messageId: id, emoji: '👍', on: true })
    expect((await onA.next((f) => f.type === 'chat.reactions' && f.messageId === id)).reactions[0].emoji).toBe('👍')
    onC.send({ type: 'chat.typing', room: 'global', typing: true })
    expect((await onA.next((f) => f.type === 'chat.typing')).user.username).toBe(b.username)
    onA.send({ type: 'chat.edit', room: 'global', messageId: id, text: 'better words' })
    expect((await onC.next((f) => f.type === 'chat.edited' && f.messageId === id)).text).toBe('better words')
    onA.send({ type: 'chat.delete', room: 'global', messageId: id })
    await onC.next((f) => f.type === 'chat.removed' && f.messageId === id)
    onA.close()
    onC.close()
  })

  test('a person with sockets on two nodes is present once, and leaves when the last one anywhere leaves, after the grace period', async () => {
    const [watcher, person] = await Promise.all([registerAndLogin(cluster.url), registerAndLogin(cluster.url)])
    const watching = await connect(cluster.nodes[2]!.url, watcher.token)
    await joinChat(watching)
    const first = await connect(cluster.nodes[0]!.url, person.token)
    const second = await connect(cluster.nodes[1]!.url, person.token)
    await joinChat(first)
    await joinChat(second)
    const isPerson = (f: any) => f.type === 'chat.presence' && f.user.username === person.username
    expect((await watching.next(isPerson)).event).toBe('join')
    first.close()
    // PRESENCE_GRACE_MS is 3 s: nothing in 4 s, the other socket still holds the place.
    await Bun.sleep(4000)
    expect(watching.frames.filter(isPerson)).toEqual([])
    second.close()
    const left = Date.now()
    expect((await watching.next(isPerson, 6000)).event).toBe('leave')
    expect(Date.now() - left).toBeGreaterThan(2500)
    watching.close()
  }, 20_000)
})

describe('limits across nodes', () => {
  test('sockets per user count on every node: the fifth anywhere is refused', async () => {
    const person = await registerAndLogin(cluster.url)
    const open: TestSocket[] = []
    for (const i of [0, 1, 2, 0]) open.push(await connect(cluster.nodes[i]!.url, person.token))
    const refused = await fetch(`${cluster.nodes[1]!.url}/ws`, { headers: { ...bearer(person.token), connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } })
    expect(refused.status).toBe(429)
    expect((await refused.json()).error.code).toBe('too_many_connections')
    open.pop()!.close()
    await Bun.sleep(300)
    open.push(await connect(cluster.nodes[2]!.url, person.token))
    for (const s of open) s.close()
  })

  test('one message budget however the sends are spread over the nodes', async () => {
    const person = await registerAndLogin(cluster.url)
    const sockets = await Promise.all(cluster.nodes.map((node) => connect(node.url, person.token)))
    for (const s of sockets) await joinChat(s)
    // Burst 10, one a second after it: 15 sends within a moment, five through each node.
    for (let k = 0; k < 15; k++) sockets[k % 3]!.send({ type: 'chat.send', room: 'global', clientId: `budget-${k}`, text: `budget ${k}` })
    let accepted = 0
    let limited = 0
    for (const [i, socket] of sockets.entries()) {
      // The stored order is not the sending order (three nodes relay at once): look for each outcome anywhere.
      const mine = new Set([...Array(15).keys()].filter((k) => k % 3 === i).map((k) => `budget-${k}`))
      const outcome = (f: any) => (f.type === 'chat.message' && mine.has(f.clientId)) || (f.type === 'error' && mine.has(f.ref))
      const deadline = Date.now() + 5000
      while (socket.frames.filter(outcome).length < mine.size && Date.now() < deadline) await Bun.sleep(20)
      const outcomes = socket.frames.filter(outcome)
      expect(outcomes).toHaveLength(mine.size)
      accepted += outcomes.filter((f) => f.type === 'chat.message').length
      limited += outcomes.filter((f) => f.code === 'rate_limited').length
    }
    expect(accepted + limited).toBe(15)
    // Each node alone saw five (under the burst); together they were held to the burst (and at most one more
    // token refilled while they ran).
    expect(accepted).toBeGreaterThanOrEqual(10)
    expect(accepted).toBeLessThanOrEqual(11)
    for (const s of sockets) s.close()
  })

  test('rooms per user count across the nodes that own them', async () => {
    const person = await registerAndLogin(cluster.url)
    const sockets = await Promise.all(cluster.nodes.map((node) => connect(node.url, person.token)))
    const media = { camera: false, mic: false, screen: false }
    await joinChat(sockets[0]!)
    // Each video room is claimed by the node its first join arrives at.
    sockets[1]!.send({ type: 'room.join', room: `limits-b-${person.username}`, media })
    await sockets[1]!.next((f) => f.type === 'room.joined')
    sockets[2]!.send({ type: 'room.join', room: `limits-c-${person.username}`, media })
    await sockets[2]!.next((f) => f.type === 'room.joined')
    sockets[0]!.send({ type: 'room.join', room: `limits-a-${person.username}`, media })
    const refused = await sockets[0]!.next((f) => f.type === 'error' || f.type === 'room.joined')
    expect(refused.code).toBe('too_many_rooms')
    for (const s of sockets) s.close()
  })

  test('logout on one node closes that session’s sockets on every node with 4001', async () => {
    const person = await registerAndLogin(cluster.url)
    const onA = await connect(cluster.nodes[0]!.url, person.token)
    const onC = await connect(cluster.nodes[2]!.url, person.token)
    expect((await fetch(`${cluster.nodes[1]!.url}/api/auth/logout`, { method: 'POST', headers: bearer(person.token) })).status).toBe(204)
    expect((await onA.waitClosed(3000)).code).toBe(4001)
    expect((await onC.waitClosed(3000)).code).toBe(4001)
  })
})

describe('calls across nodes', () => {
  test('members on two nodes: one call, its signalling relayed through the owner', async () => {
    const [a, b] = await Promise.all([registerAndLogin(cluster.url), registerAndLogin(cluster.url)])
    const onA = await connect(cluster.nodes[0]!.url, a.token)
    const onB = await connect(cluster.nodes[1]!.url, b.token)
    const room = `call-${a.username}`
    const media = { camera: true, mic: true, screen: false }
    onA.send({ type: 'room.join', room, media })
    const joinedA = await onA.next((f) => f.type === 'room.joined')
    onB.send({ type: 'room.join', room, media })
    const joinedB = await onB.next((f) => f.type === 'room.joined')
    expect(joinedB.members.map((m: { id: string }) => m.id)).toContain(joinedA.self)
    const bId = (await onA.next((f) => f.type === 'room.member-joined')).member.id
    onA.send({ type: 'room.signal', room, to: bId, description: { type: 'offer', sdp: 'v=0\r\ns=relayed\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n' } })
    const signal = await onB.next((f) => f.type === 'room.signal')
    expect(signal.from).toBe(joinedA.self)
    expect(signal.description.sdp).toContain('s=relayed')
    // The room's chat is the call's, on its owner.
    onB.send({ type: 'chat.join', room })
    await onB.next((f) => f.type === 'chat.joined' && f.room === room)
    onA.send({ type: 'chat.join', room })
    await onA.next((f) => f.type === 'chat.joined' && f.room === room)
    onB.send({ type: 'chat.send', room, clientId: 'in-call', text: 'hello from the other node' })
    expect((await onA.next((f) => f.type === 'chat.message' && f.room === room)).message.text).toBe('hello from the other node')
    onA.close()
    onB.close()
  })
})

describe('ownership', () => {
  test('a room that empties is given up by its owner: the next join anywhere claims it afresh', async () => {
    const person = await registerAndLogin(cluster.url)
    const room = `closing-${person.username}`
    const media = { camera: false, mic: false, screen: false }
    const claimedBy = () =>
      cluster.nodes.flatMap((node, i) => node.logs.filter((l) => l.includes('"event":"room.claimed"') && l.includes(`"room":"${room}"`)).map(() => cluster.nodeIds[i]))
    const onB = await connect(cluster.nodes[1]!.url, person.token)
    onB.send({ type: 'room.join', room, media })
    await onB.next((f) => f.type === 'room.joined')
    expect(claimedBy()).toEqual(['node-1'])
    onB.send({ type: 'room.leave', room })
    await onB.next((f) => f.type === 'room.left')
    const released = Date.now() + 5000
    while (!cluster.nodes[1]!.logs.some((l) => l.includes('"event":"room.released"') && l.includes(`"room":"${room}"`)) && Date.now() < released) await Bun.sleep(50)
    const onC = await connect(cluster.nodes[2]!.url, person.token)
    onC.send({ type: 'room.join', room, media })
    await onC.next((f) => f.type === 'room.joined')
    expect(claimedBy()).toEqual(['node-1', 'node-2'])
    onB.close()
    onC.close()
  })
})

describe('operations', () => {
  test('health names the node, its rooms and whether Redis and the database answer; metrics carry the node', async () => {
    for (const [i, node] of cluster.nodes.entries()) {
      const health = await requestJson(`${node.url}/api/health`)
      expect(health.status).toBe(200)
      expect(health.body).toMatchObject({ status: 'ok', node: cluster.nodeIds[i], redis: true, database: true })
      expect(typeof health.body.rooms).toBe('number')
      const metrics = await (await fetch(`${node.url}/api/metrics`, { headers: bearer(METRICS) })).text()
      expect(metrics).toContain(`partyroom_websocket_connections{node="${cluster.nodeIds[i]}"}`)
    }
  })
})
