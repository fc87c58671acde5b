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
import { chatSend, latency, MESSAGES_PER_ROUND, occurrences, throughput, type Target } from './fanout-client'

const quick = process.argv.includes('--quick')
const THROUGHPUT_SECONDS = quick ? 2 : 6
const LATENCY_SECONDS = quick ? 4 : 15
const SIZES = quick ? [16, 500] : [16, 32, 500]

async function baseline(): Promise<Target> {
  const child = Bun.spawn(['bun', join(import.meta.dir, 'baseline-relay.ts')], { stdout: 'pipe' })
  const { value } = await child.stdout.getReader().read()
  const port = JSON.parse(new TextDecoder().decode(value!).split('\n')[0]!).port as number
  return {
    name: 'bare Bun.serve pub/sub relay',
    url: () => `ws://127.0.0.1:${port}/ws`,
    pids: [child.pid],
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
    url: () => server.url.replace('http', 'ws') + '/ws',
    pids: [server.pid],
    server,
    token: (i) => accounts[i % accounts.length]!.token,
    frame: chatSend,
    // PartyRoom fans out each write batch as one frame: count the messages in it without parsing all of it.
    delivered: (data) => (data.startsWith('{"type":"chat.messages"') ? occurrences(data, '"clientId":"') : 0),
    join: JSON.stringify({ type: 'chat.join', room: 'global' }),
    stop: () => server.dispose(),
  }
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
      const b = await throughput(onSqlite, n, THROUGHPUT_SECONDS)
      const o = await throughput(onPostgres, n, THROUGHPUT_SECONDS)
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
    const b = await throughput(base, n, THROUGHPUT_SECONDS)
    const o = await throughput(ours, n, THROUGHPUT_SECONDS)
    const ratio = o.perSecond / b.perSecond
    const pct = (x: number) => `${(x * 100).toFixed(0)} %`
    const line = `| ${n} | ${b.perSecond.toLocaleString('en')} | ${o.perSecond.toLocaleString('en')} | ${ratio.toFixed(2)} | ${pct(b.serverCpu)} / ${pct(b.clientCpu)} | ${pct(o.serverCpu)} / ${pct(o.clientCpu)} | ${o.rss} MiB |`
    console.log(line)
  }
  console.log(`latency: 500 clients x 1 message/s for ${LATENCY_SECONDS} s`)
  const lb = await latency(base, 500, LATENCY_SECONDS)
  const lo = await latency(ours, 500, LATENCY_SECONDS)
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
