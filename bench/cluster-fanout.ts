// Chat fan-out on a cluster: clients spread over three nodes (PostgreSQL, Redis; each room on its owner node,
// sends relayed to it, every message fanned out by each node to its own sockets) against one node on the same
// PostgreSQL, with the same client code in the same run. All of it (three nodes, Redis, PostgreSQL and the client)
// shares this machine's two cores: the ratio measures what the cluster costs, not what it scales to.
//
//   bash scripts/services/all.sh start      # PostgreSQL and Redis on loopback (Debian packages)
//   bun bench/cluster-fanout.ts             # throughput at 32 and 500 clients, then latency at 600 x 1 msg/s
//   bun bench/cluster-fanout.ts --quick     # shorter
import { randomBytes } from 'node:crypto'
import { startServer, type TestServer } from '../tests/support/server'
import { registerAndLogin } from '../tests/support/http'
import { freshPostgres } from '../tests/support/backend'
import { TEST_REDIS_URL } from '../tests/support/cluster'
import { chatSend, latency, MESSAGES_PER_ROUND, occurrences, throughput, type Target } from './fanout-client'

const quick = process.argv.includes('--quick')
const THROUGHPUT_SECONDS = quick ? 3 : 8
const LATENCY_SECONDS = quick ? 5 : 15
const LATENCY_CLIENTS = 600
const ACCOUNTS = 64

const ENV = {
  LOG_LEVEL: 'info',
  BCRYPT_COST: '10',
  SFU_WORKERS: '0',
  JWT_SECRET: 'bench-secret-0123456789abcdef0123456789abcdef',
  LOGIN_LIMIT_PER_ADDRESS: '1000000',
  REGISTER_LIMIT_PER_ADDRESS: '1000000',
  CHAT_MESSAGE_BURST: '1000000',
  CHAT_MESSAGES_PER_SECOND: '1000000',
  WS_FRAMES_PER_SECOND: '1000000',
  WS_MAX_SOCKETS_PER_USER: '100',
  CHAT_RETENTION_MAX_MESSAGES: '0',
}

async function target(name: string, nodes: number): Promise<Target> {
  const database = await freshPostgres()
  const cluster: Record<string, string> = nodes > 1 ? { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: `bench${randomBytes(4).toString('hex')}` } : {}
  const servers: TestServer[] = []
  for (let i = 0; i < nodes; i++) servers.push(await startServer({ ...ENV, ...cluster, DATABASE_URL: database.url, NODE_ID: `node-${i}` }, undefined, { embedded: true }))
  const accounts: Array<{ token: string }> = []
  for (let i = 0; i < ACCOUNTS; i++) accounts.push(await registerAndLogin(servers[0]!.url))
  return {
    name,
    url: (i) => servers[i % servers.length]!.url.replace('http', 'ws') + '/ws',
    pids: servers.map((s) => s.pid),
    token: (i) => accounts[i % accounts.length]!.token,
    frame: chatSend,
    delivered: (data) => (data.startsWith('{"type":"chat.messages"') ? occurrences(data, '"clientId":"') : 0),
    join: JSON.stringify({ type: 'chat.join', room: 'global' }),
    async stop() {
      await Promise.all(servers.map((s) => s.dispose()))
      await database.drop()
    },
  }
}

const one = await target('one node (PostgreSQL)', 1)
const three = await target('three nodes (PostgreSQL, Redis)', 3)
try {
  console.log(`throughput: rounds of ${MESSAGES_PER_ROUND} messages per client, ${THROUGHPUT_SECONDS} s per case, global chat`)
  console.log('| clients | one node, deliveries/s | three nodes, deliveries/s | ratio | server CPU one / three (all nodes) | RSS one / three |')
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const n of [32, 500]) {
    const b = await throughput(one, n, THROUGHPUT_SECONDS)
    const o = await throughput(three, n, THROUGHPUT_SECONDS)
    const pct = (x: number) => `${(x * 100).toFixed(0)} %`
    console.log(`| ${n} | ${b.perSecond.toLocaleString('en')} | ${o.perSecond.toLocaleString('en')} | ${(o.perSecond / b.perSecond).toFixed(2)} | ${pct(b.serverCpu)} / ${pct(o.serverCpu)} | ${b.rss} / ${o.rss} MiB |`)
  }
  console.log(`latency: ${LATENCY_CLIENTS} clients x 1 message/s for ${LATENCY_SECONDS} s, spread over the nodes`)
  console.log('| server | deliveries (of expected) | p50 ms | p99 ms | max ms | server CPU |')
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const t of [one, three]) {
    const r = await latency(t, LATENCY_CLIENTS, LATENCY_SECONDS)
    console.log(`| ${t.name} | ${r.deliveries.toLocaleString('en')} of ${r.expected.toLocaleString('en')} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} | ${(r.serverCpu * 100).toFixed(0)} % |`)
  }
} finally {
  await one.stop()
  await three.stop()
}
