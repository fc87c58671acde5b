// Load: N authenticated WebSocket clients (several client processes) in R video rooms plus the global chat,
// chatting at a person's pace for a while. Reports delivery (every acknowledged message to every member of its
// room, and in the database), latency p50/p99, and the server's CPU and RSS over time (RSS must stay flat).
//
//   bun bench/load.ts                                    # 2,000 clients, 200 rooms, 5 minutes
//   bun bench/load.ts --clients 200 --rooms 20 --seconds 20 --processes 2   # the short form CI runs
//   ... --postgres postgres://…/emptydb                  # the server on PostgreSQL instead of SQLite
//   ... --json                                           # also one JSON line with the figures, last
//
// Accounts and sessions are seeded through the app's own stores before the server starts (2,000 bcrypt logins
// would take minutes of CPU that have nothing to do with the load), and their tokens are signed as a login signs
// them. Every loop is bounded by the duration; everything is on 127.0.0.1.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import { hash } from '@node-rs/bcrypt'
import { openDatabase } from '../src/db/database'
import { UserStore } from '../src/db/users'
import { SessionStore } from '../src/db/sessions'
import { startServer } from '../tests/support/server'

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
export interface LoadOptions {
  clients: number
  rooms: number
  seconds: number
  processes: number
  /** Seconds between two messages of one client, on average. */
  interval: number
  /** Share of messages sent to the global chat. */
  globalShare: number
  /** Run the server on this (empty) PostgreSQL database instead of SQLite. */
  databaseUrl?: string
}

export const optionsFromArgs = (): LoadOptions => ({
  clients: arg('clients', 2000),
  rooms: arg('rooms', 200),
  seconds: arg('seconds', 300),
  processes: arg('processes', 4),
  interval: arg('interval', 20),
  globalShare: arg('global', 0.05),
  databaseUrl: process.argv.includes('--postgres') ? process.argv[process.argv.indexOf('--postgres') + 1] : undefined,
})

const SECRET = 'load-test-secret-0123456789abcdef0123456789'

export interface LoadResult {
  clients: number
  rooms: number
  seconds: number
  sent: number
  acked: number
  deliveriesExpected: number
  deliveriesMissing: number
  ackedMissingFromDb: number
  p50: number
  p99: number
  clientErrors: number
  cpu: number[]
  rssMiB: number[]
  rssGrowthSecondHalf: number
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { clients: CLIENTS, rooms: ROOMS, seconds: SECONDS, processes: PROCESSES, interval: INTERVAL, globalShare: GLOBAL_SHARE } = options
  const dataDir = mkdtempSync(join(tmpdir(), 'partyroom-load-'))
  // Seed accounts and sessions.
  const seedDb = await openDatabase({ url: options.databaseUrl, file: join(dataDir, 'partyroom.sqlite') })
  const users = new UserStore(seedDb)
  const sessions = new SessionStore(seedDb)
  const passwordHash = await hash(randomUUID(), { cost: 10 })
  const key = new TextEncoder().encode(SECRET)
  const exp = Math.floor(Date.now() / 1000) + 3600
  const specs: Array<{ token: string; room: string }> = []
  for (let i = 0; i < CLIENTS; i++) {
    const user = await users.create(`load${i}`, passwordHash)
    const sessionId = randomUUID()
    await sessions.create(sessionId, user.id, new Date(), new Date(exp * 1000))
    const token = await new SignJWT({ sub: String(user.id), jti: sessionId, name: user.username }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(exp).sign(key)
    specs.push({ token, room: `load-room-${i % ROOMS}` })
  }
  await seedDb.close()
  console.error(`load: ${CLIENTS} accounts seeded`)

  const server = await startServer(
    {
      JWT_SECRET: SECRET,
      LOG_LEVEL: 'info',
      SFU_WORKERS: '0',
      ROOM_MEDIA_MODE: 'mesh',
      ROOM_MAX_MEMBERS: String(Math.ceil(CLIENTS / ROOMS) + 1),
      PRESENCE_GRACE_MS: '60000',
      ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    },
    dataDir,
  )
  console.error(`load: server up at ${server.url}`)
  // Server CPU and RSS, sampled every 5 s.
  const ticks = 100
  const cpuTicks = () => {
    const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return Number(fields[11]) + Number(fields[12])
  }
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))![1]) / 1024
  const cpu: number[] = []
  const rssMiB: number[] = []
  let lastTicks = cpuTicks()
  const sampler = setInterval(() => {
    const now = cpuTicks()
    cpu.push((now - lastTicks) / ticks / 5)
    lastTicks = now
    rssMiB.push(rss())
  }, 5000)

  const startAt = Date.now() + Math.max(8000, CLIENTS * 6)
  const perProcess = Math.ceil(CLIENTS / PROCESSES)
  const children = Array.from({ length: PROCESSES }, (_, p) => {
    // The job goes in a file (hundreds of tokens are more than a pipe holds before the child reads it).
    const jobFile = join(dataDir, `job-${p}.json`)
    writeFileSync(jobFile, JSON.stringify({ url: server.url, clients: specs.slice(p * perProcess, (p + 1) * perProcess), seconds: SECONDS, interval: INTERVAL, globalShare: GLOBAL_SHARE, startAt }))
    const child = Bun.spawn(['bun', join(import.meta.dir, 'load-client.ts'), jobFile], { stdout: 'pipe', stderr: 'inherit' })
    // Bounded: a client process still running well after the end is killed (its report is then missing).
    const killer = setTimeout(() => child.kill(), (SECONDS + 90) * 1000 + (startAt - Date.now()))
    return new Response(child.stdout).text().finally(() => clearTimeout(killer))
  })
  const reports = (await Promise.all(children)).map((out) => JSON.parse(out.trim().split('\n').at(-1)!))
  console.error(`load: clients done (${reports.map((r) => `${r.sent} sent, ${r.joinTimeouts} join timeouts, ${r.errors} errors`).join('; ')})`)
  clearInterval(sampler)

  // Delivery: every acknowledged message reached every member of its room (all of them joined before sending).
  const members = (room: string) => (room === 'global' ? CLIENTS : specs.filter((s) => s.room === room).length)
  const received = new Map<number, number>()
  for (const r of reports) for (const [id, n] of r.received as Array<[number, number]>) received.set(id, (received.get(id) ?? 0) + n)
  const acked = reports.flatMap((r) => r.acked as Array<{ id: number; room: string; clientId: string }>)
  let expected = 0
  let missing = 0
  for (const a of acked) {
    expected += members(a.room)
    missing += Math.max(0, members(a.room) - (received.get(a.id) ?? 0))
  }
  // And every acknowledged message is in the database.
  await server.stop()
  const stored = new Set((await server.query<{ client_id: string }>('select client_id from messages')).map((r) => r.client_id))
  const notStored = acked.filter((a) => !stored.has(a.clientId)).length
  rmSync(dataDir, { recursive: true, force: true })

  const allLatencies = reports.map((r) => r.latencies)
  const half = Math.floor(rssMiB.length / 2)
  return {
    clients: CLIENTS,
    rooms: ROOMS,
    seconds: SECONDS,
    sent: reports.reduce((s, r) => s + r.sent, 0),
    acked: acked.length,
    deliveriesExpected: expected,
    deliveriesMissing: missing,
    ackedMissingFromDb: notStored,
    // Per-process percentiles, the worst of them (a conservative merge).
    p50: Math.max(...allLatencies.map((l) => l.p50)),
    p99: Math.max(...allLatencies.map((l) => l.p99)),
    clientErrors: reports.reduce((s, r) => s + r.errors, 0),
    cpu,
    rssMiB,
    rssGrowthSecondHalf: rssMiB.length > 2 ? (rssMiB.at(-1)! - rssMiB[half]!) / rssMiB[half]! : 0,
  }
}

if (import.meta.main) {
  const options = optionsFromArgs()
  const { interval: INTERVAL, globalShare: GLOBAL_SHARE } = options
  const r = await runLoad(options)
  console.log(`\nLoad: ${r.clients} clients, ${r.rooms} rooms + global chat, ${r.seconds} s, one message per client every ~${INTERVAL} s (${GLOBAL_SHARE * 100}% to the global chat)\n`)
  console.log('| sent | acknowledged | deliveries expected | missing | acknowledged but not stored | latency p50 | p99 | client errors |')
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
  console.log(`| ${r.sent} | ${r.acked} | ${r.deliveriesExpected} | ${r.deliveriesMissing} | ${r.ackedMissingFromDb} | ${r.p50} ms | ${r.p99} ms | ${r.clientErrors} |`)
  console.log(`\nServer CPU (cores, every 5 s): ${r.cpu.map((c) => c.toFixed(2)).join(' ')}`)
  console.log(`Server RSS (MiB, every 5 s): ${r.rssMiB.map((m) => m.toFixed(0)).join(' ')}`)
  console.log(`RSS growth over the second half: ${(r.rssGrowthSecondHalf * 100).toFixed(1)}%`)
  if (process.argv.includes('--json')) console.log(JSON.stringify(r))
}
