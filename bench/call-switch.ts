// The switch gap: how long a person goes without a new picture of each other member while the room moves from
// the mesh to the SFU and back, in headless Chromium on loopback. Two pages are in a room (mesh); a third joins
// and the room moves to the SFU (ROOM_SFU_AT=3); it leaves and the room moves back (ROOM_MESH_AT=2). In each of
// the two pages that stay, every remote tile's presented-frame counter is sampled on every animation frame; the
// gap is the longest time between two new frames within 10 s of the mode change.
//
// Baseline, same run: the longest gap over an equally long window of the same call while nothing switches.
//
//   bun bench/call-switch.ts           # 3 rounds
//   bun bench/call-switch.ts --quick   # 1 round
import type { Page } from 'playwright-core'
import { startServer } from '../tests/support/server'
import { registerAndLogin, uniqueName } from '../tests/support/http'
import { launchBrowser, openPageAs, openCall } from '../tests/support/browser'

const ROUNDS = process.argv.includes('--quick') ? 1 : 3
const WINDOW_MS = 10_000

const server = await startServer({ STUN_URLS: '', ROOM_SFU_AT: '3', ROOM_MESH_AT: '2', LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000' })
const browser = await launchBrowser()
const accounts = await Promise.all(['ann', 'ben', 'cat'].map((n) => registerAndLogin(server.url, uniqueName(n))))

/** Starts recording, in the page, the time of every frame presented by the video each remote tile shows (the one
 * not behind the other during a switch), with requestVideoFrameCallback on both of the tile's video elements. */
async function startSampling(page: Page) {
  await page.evaluate(() => {
    const w = window as unknown as { __gaps: Record<string, number[]> }
    w.__gaps = {}
    const watched = new WeakSet<HTMLVideoElement>()
    const watch = () => {
      for (const tile of document.querySelectorAll<HTMLElement>('[data-testid=call-tile][data-kind=camera]:not([data-member=self])')) {
        for (const video of tile.querySelectorAll('video')) {
          if (watched.has(video)) continue
          watched.add(video)
          const onFrame = (now: number) => {
            if (!video.isConnected) return
            if (!video.classList.contains('behind') && video.srcObject) (w.__gaps[tile.dataset.name!] ??= []).push(now)
            video.requestVideoFrameCallback(onFrame)
          }
          video.requestVideoFrameCallback(onFrame)
        }
      }
    }
    watch()
    setInterval(watch, 200)
  })
}

async function longestGap(page: Page, from: number, to: number, only: string[]): Promise<number> {
  return page.evaluate(
    ([f, t, names]) => {
      const w = window as unknown as { __gaps: Record<string, number[]> }
      let worst = 0
      for (const name of names as string[]) {
        const times = (w.__gaps[name] ?? []).filter((x) => x >= (f as number) - 1000 && x <= (t as number))
        let previous = f as number
        for (const x of times) {
          if (x >= (f as number)) worst = Math.max(worst, x - previous)
          previous = x
        }
        worst = Math.max(worst, (t as number) - previous)
      }
      return worst
    },
    [from, to, only] as const,
  )
}

const markTime = (page: Page, prefix: string) =>
  page.waitForFunction((p) => performance.getEntriesByType('mark').find((m) => m.name.startsWith(p as string))?.startTime, prefix, { timeout: 20_000, polling: 50 }).then((h) => h.jsonValue() as Promise<number>)

const results: Array<{ round: number; page: string; steady: number; up: number; down: number }> = []
try {
  for (let round = 0; round < ROUNDS; round++) {
    const room = `switch-${round}-${Date.now() % 100000}`
    const [a, b] = [await openCall(browser, server.url, accounts[0]!, room), await openCall(browser, server.url, accounts[1]!, room)]
    const stay = [
      { page: a.page, other: accounts[1]!.username, name: 'first' },
      { page: b.page, other: accounts[0]!.username, name: 'second' },
    ]
    for (const s of stay) await s.page.locator(`[data-testid=call-tile][data-name="${s.other}"][data-path=mesh]`).waitFor({ timeout: 20_000 })
    for (const s of stay) await startSampling(s.page)
    await Bun.sleep(WINDOW_MS)
    const steady = await Promise.all(stay.map(async (s) => { const now = await s.page.evaluate(() => performance.now()); return longestGap(s.page, now - WINDOW_MS, now, [s.other]) }))

    const c = await openCall(browser, server.url, accounts[2]!, room)
    const upAt = await Promise.all(stay.map((s) => markTime(s.page, 'call:mode:sfu')))
    await Bun.sleep(WINDOW_MS)
    const up = await Promise.all(stay.map((s, i) => longestGap(s.page, upAt[i]!, upAt[i]! + WINDOW_MS, [s.other])))

    await c.page.getByTestId('leave').click()
    await c.context.close()
    const downAt = await Promise.all(stay.map((s) => markTime(s.page, 'call:mode:mesh:')))
    await Bun.sleep(WINDOW_MS)
    const down = await Promise.all(stay.map((s, i) => longestGap(s.page, downAt[i]!, downAt[i]! + WINDOW_MS, [s.other])))
    stay.forEach((s, i) => results.push({ round, page: s.name, steady: steady[i]!, up: up[i]!, down: down[i]! }))
    console.error(`round ${round}: steady ${steady.map(Math.round)} ms, mesh→SFU ${up.map(Math.round)} ms, SFU→mesh ${down.map(Math.round)} ms`)
    await a.context.close()
    await b.context.close()
  }
} finally {
  await browser.close()
  await server.dispose()
}

const max = (xs: number[]) => Math.max(...xs)
console.log(`\nSwitch gap: longest time without a new frame of the other member, within ${WINDOW_MS / 1000} s of the switch (ms)\n`)
console.log('| round | page | steady call (baseline) | mesh → SFU | SFU → mesh |')
console.log('| --- | --- | --- | --- | --- |')
for (const r of results) console.log(`| ${r.round + 1} | ${r.page} | ${Math.round(r.steady)} | ${Math.round(r.up)} | ${Math.round(r.down)} |`)
const steady = max(results.map((r) => r.steady))
console.log(`\nWorst: steady ${Math.round(steady)} ms, mesh→SFU ${Math.round(max(results.map((r) => r.up)))} ms (${(max(results.map((r) => r.up)) / steady).toFixed(1)}x steady), SFU→mesh ${Math.round(max(results.map((r) => r.down)))} ms (${(max(results.map((r) => r.down)) / steady).toFixed(1)}x steady)`)
