// Chat fan-out, in the shape of Bun's own chat benchmark: N clients in one room, each sending short messages, every
// message delivered to every client. PartyRoom (auth, validation, the room actor, SQLite persistence with acks) is
// compared with a bare Bun.serve pub/sub relay (bench/baseline-relay.ts) driven by the same client code in the
// same run.
//
//   bun bench/chat-fanout.ts                 # throughput at 16, 32 and 500 clients, then latency at 500 x 1 msg/s
//   bun bench/chat-fanout.ts --quick         # a shorter run (CI smoke)
//   bun bench/chat-fanout.ts --postgres      # PartyRoom on PostgreSQL against the same server on SQLite, 16 and
//                                            # 32 clients (start it first: bash scripts/services/postgres.sh start)
//
// Throughput: rounds, as in Bun's benchmark: each client sends 8 short messages, and the next round starts when
// every client has received all of them.
// Latency: each of 500 clients sends 1 message per second (staggered); every delivery's latency is recorded.
// Every loop is bounded by a duration; connections are on 127.0.0.1 only.
import { join } from 'node:path'
import { startServer, type TestServer } from '../tests/support/server'
import { registerAndLogin } from '../tests/support/http'
import { freshPostgres } from '../tests/support/backend'

const quick = process.argv.includes('--quick')
const THROUGHPUT_SECONDS = quick ? 2 : 6
const LATENCY_SECONDS = quick ? 4 : 15
const SIZES = quick ? [16, 500] : [16, 32, 500]
const MESSAGES_PER_ROUND = 8

interface Target {
  name: string
  url: string
  pid: number
  /** Token for client i (PartyRoom), or undefined (baseline). */
  token(i: number): string | undefined
  /** The frame client i sends for message `text`. */
  frame(i: number, seq: number, text: string): string
  /** How many chat messages a frame delivers (0 for any other frame). */
  delivered(data: string): number
  join?: string
  stop(): Promise<void>
}

// Client ids must never repeat for a user: the server treats a repeated one as a resend and does not broadcast it.
let clientSeq = 0
function chatSend(_i: number, _seq: number, text: string): string {
  return JSON.stringify({ type: 'chat.send', room: 'global', clientId: `b${++clientSeq}`, text })
}

/** Cheap string work on both sides: the client is in the loop and must not decide the comparison by parsing. */
function occurrences(data: string, needle: string): number {
  let n = 0
  for (let at = data.indexOf(needle); at >= 0; at = data.indexOf(needle, at + needle.length)) n++
  return n
}

async function baseline(): Promise<Target> {
  const child = Bun.spawn(['bun', join(import.meta.dir, 'baseline-relay.ts')], { stdout: 'pipe' })
  const { value } = await child.stdout.getReader().read()
  const port = JSON.parse(new TextDecoder().decode(value!).split('\n')[0]!).port as number
  return {
    name: 'bare Bun.serve pub/sub relay',
    url: `ws://127.0.0.1:${port}/ws`,
    pid: child.pid,
    token: () => undefined,
    // The same frames as PartyRoom's clients send; the relay publishes each as it came.
    frame: chatSend,
    delivered: (data) => (data.startsWith('{"type":"chat.send"') ? 1 : 0),
    async stop() {
      child.kill()
      await child.exited
    },
  }
}

async function partyroom(users: number, databaseUrl?: string): Promise<Target & { server: TestServer }> {
  const server = await startServer({
    ...(databaseUrl ? { DATABASE_URL: databaseUrl, JWT_SECRET: 'bench-secret-0123456789abcdef0123456789abcdef' } : {}),
    LOG_LEVEL: 'info',
    BCRYPT_COST: '10',
    LOGIN_LIMIT_PER_ADDRESS: '1000000',
    REGISTER_LIMIT_PER_ADDRESS: '1000000',
    CHAT_MESSAGE_BURST: '1000000',
    CHAT_MESSAGES_PER_SECOND: '1000000',
    WS_FRAMES_PER_SECOND: '1000000',
    CHAT_RETENTION_MAX_MESSAGES: '0',
  })
  const accounts: Array<{ token: string }> = []
  for (let i = 0; i < users; i++) accounts.push(await registerAndLogin(server.url))
  return {
    name: databaseUrl ? 'PartyRoom on PostgreSQL' : 'PartyRoom (persisted, acknowledged)',
    url: server.url.replace('http', 'ws') + '/ws',
    pid: server.pid,
    server,
    token: (i) => accounts[i % accounts.length]!.token,
    frame: chatSend,
    // PartyRoom fans out each write batch as one frame: count the messages in it without parsing all of it.
    delivered: (data) => (data.startsWith('{"type":"chat.messages"') ? occurrences(data, '"clientId":"') : 0),
    join: JSON.stringify({ type: 'chat.join', room: 'global' }),
    stop: () => server.dispose(),
  }
}

function rssMiB(pid: number): number {
  try {
    const status = require('node:fs').readFileSync(`/proc/${pid}/status`, 'utf8') as string
    return Math.round(Number(status.match(/VmRSS:\s+(\d+)/)![1]) / 1024)
  } catch {
    return NaN
  }
}

function cpuSeconds(pid: number): number {
  const stat = (require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8') as string).split(') ')[1]!.split(' ')
  return (Number(stat[11]) + Number(stat[12])) / 100
}

async function openClients(target: Target, n: number): Promise<WebSocket[]> {
  const sockets: WebSocket[] = []
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, (_, k) => {
        const token = target.token(i + k)
        return new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(target.url, token ? ({ headers: { authorization: `Bearer ${token}` } } as any) : undefined)
          ws.onerror = () => reject(new Error('connect failed'))
          ws.onopen = () => {
            if (!target.join) return resolve(ws)
            ws.send(target.join)
            ws.onmessage = (event) => {
              if (String(event.data).startsWith('{"type":"chat.joined"')) resolve(ws)
            }
          }
        })
      }),
    )
    sockets.push(...batch)
  }
  return sockets
}

async function closeAll(sockets: WebSocket[]) {
  for (const ws of sockets) ws.close()
  await Bun.sleep(300)
}

/** Rounds, as in Bun's chat benchmark: every client sends a burst of short messages; when every client has
 * received every message of the round, the next round starts. */
async function throughput(target: Target, n: number) {
  const sockets = await openClients(target, n)
  const perRound = n * n * MESSAGES_PER_ROUND
  let deliveries = 0
  let inRound = 0
  let round = 0
  let running = true
  const sendRound = () => {
    round++
    sockets.forEach((ws, i) => {
      for (let k = 0; k < MESSAGES_PER_ROUND; k++) ws.send(target.frame(i, round * MESSAGES_PER_ROUND + k, `Hello World! ${k}`))
    })
  }
  for (const ws of sockets) {
    ws.onmessage = (event) => {
      const n = target.delivered(String(event.data))
      if (n === 0) return
      deliveries += n
      inRound += n
      if (inRound === perRound) {
        inRound = 0
        if (running) sendRound()
      }
    }
  }
  await Bun.sleep(200)
  const cpu0 = cpuSeconds(target.pid)
  const client0 = process.cpuUsage()
  const start = performance.now()
  sendRound()
  await Bun.sleep(THROUGHPUT_SECONDS * 1000)
  running = false
  const elapsed = (performance.now() - start) / 1000
  const perSecond = Math.round(deliveries / elapsed)
  const cpu = (cpuSeconds(target.pid) - cpu0) / elapsed
  const clientUsage = process.cpuUsage(client0)
  const clientCpu = (clientUsage.user + clientUsage.system) / 1e6 / elapsed
  await Bun.sleep(500)
  const rss = rssMiB(target.pid)
  await closeAll(sockets)
  return { perSecond, serverCpu: cpu, clientCpu, rss }
}

/** Open loop: each client sends one message per second; every delivery's latency is recorded. */
async function latency(target: Target, n: number) {
  const sockets = await openClients(target, n)
  const latencies: number[] = []
  let running = true
  sockets.forEach((ws) => {
    ws.onmessage = (event) => {
      const data = String(event.data)
      if (target.delivered(data) === 0) return
      const now = performance.now()
      // Every message in the frame carries its send time as "@<ms>" in its text.
      for (let at = data.indexOf(' @'); at >= 0; at = data.indexOf(' @', at + 2)) {
        latencies.push(now - Number(data.slice(at + 2, data.indexOf('"', at))))
      }
    }
  })
  const timers: Array<ReturnType<typeof setInterval>> = []
  let seq = 0
  let sent = 0
  sockets.forEach((ws, i) => {
    // Stagger the clients across the second, as real users would be.
    setTimeout(() => {
      if (!running) return
      timers.push(
        setInterval(() => {
          if (!running) return
          ws.send(target.frame(i, ++seq, `m${i} @${performance.now()}`))
          sent++
        }, 1000),
      )
    }, (i / n) * 1000)
  })
  const cpu0 = cpuSeconds(target.pid)
  await Bun.sleep(LATENCY_SECONDS * 1000)
  running = false
  for (const t of timers) clearInterval(t)
  const cpu = (cpuSeconds(target.pid) - cpu0) / LATENCY_SECONDS
  await Bun.sleep(1000)
  await closeAll(sockets)
  latencies.sort((a, b) => a - b)
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))]!
  return { deliveries: latencies.length, expected: sent * n, p50: at(0.5), p99: at(0.99), max: latencies.at(-1)!, serverCpu: cpu }
}

if (process.argv.includes('--postgres')) {
  // The same server on both engines; the SQLite one is the baseline.
  const database = await freshPostgres()
  const onSqlite = await partyroom(32)
  const onPostgres = await partyroom(32, database.url)
  try {
    console.log(`throughput: rounds of ${MESSAGES_PER_ROUND} messages per client, ${THROUGHPUT_SECONDS} s per case`)
    console.log('| clients | on SQLite, deliveries/s | on PostgreSQL, deliveries/s | ratio | server CPU SQLite / PostgreSQL |')
    for (const n of [16, 32]) {
      const b = await throughput(onSqlite, n)
      const o = await throughput(onPostgres, n)
      console.log(`| ${n} | ${b.perSecond.toLocaleString('en')} | ${o.perSecond.toLocaleString('en')} | ${(o.perSecond / b.perSecond).toFixed(2)} | ${(b.serverCpu * 100).toFixed(0)} % / ${(o.serverCpu * 100).toFixed(0)} % |`)
    }
  } finally {
    await onSqlite.stop()
    await onPostgres.stop()
    await database.drop()
  }
  process.exit(0)
}

const base = await baseline()
const ours = await partyroom(32)
try {
  console.log(`throughput: rounds of ${MESSAGES_PER_ROUND} messages per client, ${THROUGHPUT_SECONDS} s per case`)
  for (const n of SIZES) {
    const b = await throughput(base, n)
    const o = await throughput(ours, n)
    const ratio = o.perSecond / b.perSecond
    const pct = (x: number) => `${(x * 100).toFixed(0)} %`
    const line = `| ${n} | ${b.perSecond.toLocaleString('en')} | ${o.perSecond.toLocaleString('en')} | ${ratio.toFixed(2)} | ${pct(b.serverCpu)} / ${pct(b.clientCpu)} | ${pct(o.serverCpu)} / ${pct(o.clientCpu)} | ${o.rss} MiB |`
    console.log(line)
  }
  console.log(`latency: 500 clients x 1 message/s for ${LATENCY_SECONDS} s`)
  const lb = await latency(base, 500)
  const lo = await latency(ours, 500)
  for (const [name, r] of [
    ['baseline', lb],
    ['PartyRoom', lo],
  ] as const) {
    const line = `| ${name} | ${r.deliveries.toLocaleString('en')} of ${r.expected.toLocaleString('en')} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} | ${(r.serverCpu * 100).toFixed(0)} % |`
    console.log(line)
  }
} finally {
  await base.stop()
  await ours.stop()
}
