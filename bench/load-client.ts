// One load-generating process (started by bench/load.ts): its share of the clients, each on its own WebSocket,
// in the global chat and in its video room's call and chat, sending at the rate it is given. It reports, as one
// JSON line on stdout: what it sent and saw acknowledged, and for every message (by server id) how many of its
// clients received it, with latencies.
import { hashClientId } from './load-shared'

interface Job {
  url: string
  clients: Array<{ token: string; room: string }>
  seconds: number
  /** Seconds between two messages of one client, on average. */
  interval: number
  /** Share of messages that go to the global chat (the rest to the client's room). */
  globalShare: number
  startAt: number
}

const job: Job = JSON.parse(await Bun.file(process.argv[2]!).text())
const received = new Map<number, number>() // message id -> receipts in this process
const latencies: number[] = []
const acked: Array<{ id: number; room: string; clientId: string }> = []
let sent = 0
let errors = 0
let closed = 0
let joinTimeouts = 0

async function client(index: number, spec: { token: string; room: string }) {
  const ws = new WebSocket(job.url.replace('http', 'ws') + '/ws', { headers: { authorization: `Bearer ${spec.token}` } } as never)
  const mine = new Set<string>()
  let joined = 0
  await new Promise<void>((resolve, reject) => {
    // Bounded: a client not joined by the start is counted and goes on without waiting.
    const timer = setTimeout(() => {
      joinTimeouts++
      resolve()
    }, Math.max(1000, job.startAt - Date.now()))
    const done = () => {
      clearTimeout(timer)
      resolve()
    }
    ws.onerror = () => {
      clearTimeout(timer)
      reject(new Error('socket error'))
    }
    ws.onclose = () => {
      closed++
      done()
    }
    ws.onmessage = (event) => {
      const frame = JSON.parse(String(event.data))
      if (frame.type === 'hello') {
        ws.send(JSON.stringify({ type: 'chat.join', room: 'global', after: 1e12 }))
        ws.send(JSON.stringify({ type: 'room.join', room: spec.room, media: { camera: false, mic: false, screen: false } }))
      } else if (frame.type === 'room.joined') {
        ws.send(JSON.stringify({ type: 'chat.join', room: spec.room, after: 1e12 }))
      } else if (frame.type === 'chat.joined') {
        if (++joined === 2) done()
      } else if (frame.type === 'chat.messages') {
        const now = Date.now()
        for (const m of frame.messages) {
          received.set(m.id, (received.get(m.id) ?? 0) + 1)
          const sentAt = Number(m.text.slice(0, m.text.indexOf(' ')))
          if (sentAt > 0) latencies.push(now - sentAt)
          if (mine.delete(m.clientId)) acked.push({ id: m.id, room: frame.room, clientId: m.clientId })
        }
      } else if (frame.type === 'error') {
        errors++
        if (errors <= 5) console.error(`client ${index}: ${frame.code} ${frame.message}`)
      }
    }
  })
  // Joined everywhere; wait for the common start, then talk until the end.
  await Bun.sleep(Math.max(0, job.startAt - Date.now()) + Math.random() * Math.min(job.interval, job.seconds / 2) * 1000)
  const end = job.startAt + job.seconds * 1000
  let n = 0
  while (Date.now() < end && ws.readyState === WebSocket.OPEN) {
    const room = Math.random() < job.globalShare ? 'global' : spec.room
    const clientId = hashClientId(index, n++)
    mine.add(clientId)
    ws.send(JSON.stringify({ type: 'chat.send', room, clientId, text: `${Date.now()} load message ${n} from client ${index}` }))
    sent++
    // Exponential gaps (people do not type on a clock), cut at the end of the run.
    await Bun.sleep(Math.min(-Math.log(1 - Math.random()) * job.interval * 1000, Math.max(0, end - Date.now())))
  }
  // Let the last messages arrive, then leave.
  await Bun.sleep(3000)
  ws.close()
}

const runs = job.clients.map((spec, i) => client(i, spec).catch(() => void errors++))
if (process.env.LOAD_DEBUG) {
  const t = setInterval(() => console.error(`pid ${process.pid}: sent ${sent}, closed ${closed}, errors ${errors}, join timeouts ${joinTimeouts}`), 5000)
  t.unref()
}
// Ready: every client connected and joined.
await Promise.race([Promise.all(runs.map(() => undefined)), Bun.sleep(1)])
await Promise.all(runs)
latencies.sort((a, b) => a - b)
console.log(
  JSON.stringify({
    sent,
    acked,
    errors,
    closed,
    joinTimeouts,
    received: [...received.entries()],
    latencies: { count: latencies.length, p50: latencies[Math.floor(latencies.length * 0.5)] ?? 0, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0, max: latencies.at(-1) ?? 0 },
  }),
)
