// Join latency of a mesh video call, split into phases, in headless Chromium on loopback: the last member of a
// room of 2, 3 or 4 opens the room page, sees its camera in the pre-join preview, presses "Join now", and we read,
// from its Performance timeline (ms after navigation):
//   socket open -> pre-join preview (first frame of our own camera) -> [Join now] -> joined (room.joined)
//   -> offers/answers done (every peer) -> ICE connected (every peer) -> first remote frame presented (every peer,
//   requestVideoFrameCallback); and "join sent -> first frame", the time a person waits after pressing Join.
// The same is measured, in the same run, for a baseline: a bare page and a bare WebSocket relay that do nothing
// but getUserMedia, offer/answer and ICE (bench/baseline-call.html), so the ratio shows what PartyRoom adds.
//
//   bun bench/call-join.ts            # 5 joins per size, medians
//   bun bench/call-join.ts --quick    # 2 joins per size
//   bun bench/call-join.ts --cpu      # also: CPU of all Chromium processes during a steady 3-member call
//   bun bench/call-join.ts --turn     # instead: first remote frame through a TURN relay (Debian's coturn on loopback,
//                                     # pages restricted to relayed candidates) against direct, same server, same run,
//                                     # on the mesh and on the SFU
import type { Browser, Page } from 'playwright-core'
import { join } from 'node:path'
import { startServer } from '../tests/support/server'
import { registerAndLogin, uniqueName } from '../tests/support/http'
import { RELAY_ONLY_ICE, launchBrowser, openPageAs } from '../tests/support/browser'
import { startTurn } from '../tests/support/turn'

const quick = process.argv.includes('--quick')
const RUNS = quick ? 2 : 5
// `--sizes 2,3` measures only those room sizes. From 4 members (ROOM_SFU_AT) the room is on the SFU, so that row is
// an SFU join, not a mesh one.
const sizesArg = process.argv.indexOf('--sizes')
const SIZES = sizesArg > 0 ? process.argv[sizesArg + 1]!.split(',').map(Number) : [2, 3, 4]

type Phases = { socket: number; preview: number; joined: number; negotiated: number; ice: number; frame: number; joinToFrame: number }

async function phases(page: Page, peers: number): Promise<Phases> {
  // Wait (bounded) until every peer's first frame is marked.
  await page.waitForFunction((n) => performance.getEntriesByType('mark').filter((m) => m.name.startsWith('call:first-frame:')).length >= n, peers, {
    timeout: 20_000,
    polling: 20,
  })
  const marks: Array<{ name: string; startTime: number }> = await page.evaluate(() =>
    performance.getEntriesByType('mark').map((m) => ({ name: m.name, startTime: m.startTime })),
  )
  const first = (name: string) => marks.find((m) => m.name === name)?.startTime ?? NaN
  const last = (prefix: string) => Math.max(...marks.filter((m) => m.name.startsWith(prefix)).map((m) => m.startTime))
  const frame = last('call:first-frame:')
  return {
    socket: first('socket:open'),
    preview: first('call:prejoin-preview'),
    joined: first('call:joined'),
    negotiated: last('call:negotiated:'),
    ice: last('call:ice-connected:'),
    frame,
    joinToFrame: frame - first('call:join-sent'),
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

interface Target {
  name: string
  /** Opens a page that joins `room`; resolves when it is navigating. */
  open(browser: Browser, room: string, index: number): Promise<{ page: Page; close(): Promise<void> }>
  stop(): Promise<void>
}

async function partyroom(env: Record<string, string> = {}): Promise<Target & { relayed(): Target }> {
  const server = await startServer({ STUN_URLS: '', LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000', ...env })
  const accounts = await Promise.all(Array.from({ length: 4 }, (_, i) => registerAndLogin(server.url, uniqueName(`bench${i}`))))
  const target = (name: string, initScripts: string[]): Target => ({
    name,
    async open(browser, room, index) {
      const opened = await openPageAs(browser, server.url, accounts[index]!, `/rooms/${room}`, initScripts)
      // A person sees themselves, then presses Join.
      await opened.page.waitForFunction(() => performance.getEntriesByName('call:prejoin-preview').length > 0, undefined, { timeout: 20_000, polling: 20 })
      await opened.page.getByRole('button', { name: 'Join now', exact: true }).click()
      return { page: opened.page, close: () => opened.context.close() }
    },
    stop: () => server.dispose(),
  })
  // The same server and accounts, pages whose ICE may use relayed candidates only.
  return { ...target('PartyRoom', []), relayed: () => ({ ...target('relayed', [RELAY_ONLY_ICE]), stop: async () => {} }) }
}

/** A bare relay: join tells the newcomer who is there; signals go to the member they name. */
function baseline(): Target {
  const html = Bun.file(join(import.meta.dir, 'baseline-call.html'))
  let nextId = 1
  const rooms = new Map<string, Map<string, Bun.ServerWebSocket<{ id: string; room: string }>>>()
  const server = Bun.serve<{ id: string; room: string }>({
    hostname: '127.0.0.1',
    port: 0,
    fetch(request, srv) {
      const url = new URL(request.url)
      if (url.pathname === '/ws') {
        const room = request.headers.get('referer')?.split('/').pop() ?? 'x'
        return srv.upgrade(request, { data: { id: String(nextId++), room } }) ? undefined : new Response('no', { status: 400 })
      }
      return new Response(html, { headers: { 'content-type': 'text/html' } })
    },
    websocket: {
      message(ws, raw) {
        const m = JSON.parse(String(raw))
        const members = rooms.get(ws.data.room) ?? new Map()
        rooms.set(ws.data.room, members)
        if (m.type === 'join') {
          ws.send(JSON.stringify({ type: 'joined', peers: [...members.keys()] }))
          members.set(ws.data.id, ws)
        } else if (m.type === 'signal') members.get(m.to)?.send(JSON.stringify({ ...m, from: ws.data.id }))
      },
      close(ws) {
        rooms.get(ws.data.room)?.delete(ws.data.id)
      },
    },
  })
  return {
    name: 'baseline',
    async open(browser, room) {
      const context = await browser.newContext()
      const page = await context.newPage()
      await page.goto(`http://127.0.0.1:${server.port}/${room}`)
      return { page, close: () => context.close() }
    },
    stop: async () => void server.stop(true),
  }
}

async function measure(browser: Browser, target: Target, size: number): Promise<Phases[]> {
  const results: Phases[] = []
  for (let run = 0; run < RUNS; run++) {
    const room = `bench-${target.name.toLowerCase()}-${size}-${run}-${Date.now() % 100000}`
    const pages = []
    // Everyone else is in the call and decoding before the measured member opens the room.
    for (let i = 0; i < size - 1; i++) {
      const p = await target.open(browser, room, i)
      pages.push(p)
      if (i > 0) await phases(p.page, i)
    }
    if (size > 2) await phases(pages[0]!.page, size - 2)
    const last = await target.open(browser, room, size - 1)
    pages.push(last)
    results.push(await phases(last.page, size - 1))
    for (const p of pages) await p.close()
  }
  return results
}

/** CPU seconds used so far by every Chromium process (the browser, renderers, GPU and network services). */
function chromiumCpuSeconds(): number {
  const ticks = Number(Bun.spawnSync(['getconf', 'CLK_TCK']).stdout.toString().trim()) || 100
  let total = 0
  for (const pid of Bun.spawnSync(['pgrep', '-f', 'chromium']).stdout.toString().split(/\s+/).filter(Boolean)) {
    try {
      const fields = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
      total += (Number(fields[11]) + Number(fields[12])) / ticks
    } catch {}
  }
  return total
}

/** What a steady 3-member call costs the browser: CPU over 10 s with every page decoding. */
async function steadyCpu(browser: Browser, target: Target): Promise<number> {
  const room = `cpu-${target.name.toLowerCase()}-${Date.now() % 100000}`
  const pages = []
  for (let i = 0; i < 3; i++) pages.push(await target.open(browser, room, i))
  for (const p of pages) await phases(p.page, 2)
  await Bun.sleep(2000)
  const before = chromiumCpuSeconds()
  await Bun.sleep(10_000)
  const used = chromiumCpuSeconds() - before
  for (const p of pages) await p.close()
  return used / 10
}

const browser = await launchBrowser()

if (process.argv.includes('--turn')) {
  const turn = await startTurn()
  const lines: string[] = []
  try {
    for (const mode of ['mesh', 'sfu'] as const) {
      const direct = await partyroom({ TURN_URLS: turn.urls, TURN_SECRET: turn.secret, ROOM_MEDIA_MODE: mode })
      const relayed = direct.relayed()
      try {
        for (const size of [2, 3]) {
          // A join whose frames do not all come within 20 s is reported as such, not averaged away.
          const run = (target: Target) =>
            measure(browser, target, size).then(
              (results) => median(results.map((x) => x.joinToFrame)),
              (error) => (console.error(`${mode} ${size} ${target.name}: ${(error as Error).message.split('\n')[0]}`), NaN),
            )
          const df = await run(direct)
          const rf = await run(relayed)
          const ms = (v: number) => (Number.isNaN(v) ? 'no frame in 20 s' : v.toFixed(0))
          lines.push(`| ${mode} | ${size} | ${ms(df)} | ${ms(rf)} | ${Number.isNaN(df + rf) ? '-' : (rf / df).toFixed(2)} |`)
          console.error(lines.at(-1))
        }
      } finally {
        await direct.stop()
      }
    }
  } finally {
    await browser.close()
    await turn.stop()
  }
  console.log(`\nJoin sent -> first remote frame of every other member, ${RUNS} joins per row, medians, ms (headless Chromium, loopback; coturn ${turn.allocations()} allocations)\n`)
  console.log('| call | members | direct | through TURN (relay only) | relayed / direct |')
  console.log('| --- | --- | --- | --- | --- |')
  for (const line of lines) console.log(line)
  process.exit(0)
}

const targets = [await partyroom(), baseline()]
const rows: string[] = []
const summary: Record<string, Record<number, Phases>> = {}
const cpu: Record<string, number> = {}
try {
  if (process.argv.includes('--cpu')) {
    for (const target of targets) {
      cpu[target.name] = await steadyCpu(browser, target)
      console.error(`steady 3-member call, ${target.name}: ${cpu[target.name]!.toFixed(2)} cores`)
    }
  }
  for (const size of process.argv.includes('--cpu-only') ? [] : SIZES) {
    for (const target of targets) {
      const results = await measure(browser, target, size)
      const med = Object.fromEntries(Object.keys(results[0]!).map((k) => [k, median(results.map((r) => r[k as keyof Phases]))])) as Phases
      ;(summary[target.name] ??= {})[size] = med
      rows.push(
        `| ${size} | ${target.name} | ${med.socket.toFixed(0)} | ${med.preview.toFixed(0)} | ${med.joined.toFixed(0)} | ${med.negotiated.toFixed(0)} | ${med.ice.toFixed(0)} | ${med.frame.toFixed(0)} | ${med.joinToFrame.toFixed(0)} |`,
      )
      console.error(`${size} members, ${target.name}: ${JSON.stringify(med)}`)
    }
  }
} finally {
  await browser.close()
  for (const t of targets) await t.stop()
}

if (cpu.PartyRoom !== undefined) {
  console.log(`\nSteady 3-member call, all Chromium processes: PartyRoom ${cpu.PartyRoom.toFixed(2)} cores, baseline ${cpu.baseline!.toFixed(2)} cores`)
}
console.log(`\nMesh call join, ${RUNS} joins per row, medians, ms after the last member's navigation started (headless Chromium, loopback; PartyRoom's member presses Join as soon as its preview shows)\n`)
console.log('| members | target | socket open | pre-join preview | joined | offer/answer done | ICE connected | first remote frame | join sent → first frame |')
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |')
for (const row of rows) console.log(row)
if (rows.length > 0) console.log('\nFirst remote frame, PartyRoom / baseline (lower is better; 1.00 = as fast as the bare page):')
for (const size of rows.length > 0 ? SIZES : []) {
  const ours = summary.PartyRoom![size]!
  const base = summary.baseline![size]!
  console.log(
    `- ${size} members: ${(ours.joinToFrame / base.joinToFrame).toFixed(2)} from join, pre-join preview ${(ours.preview / base.preview).toFixed(2)} of the bare page's own camera on screen (first remote frame from navigation is not comparable: PartyRoom's page waits for a person on its pre-join screen)`,
  )
}
