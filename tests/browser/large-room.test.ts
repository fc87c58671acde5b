// A room of 33 on the SFU in real Chromium: three pages and thirty scripted participants sending real VP8 and Opus
// (tests/support/scripted). Each page receives N cameras (last-N 9) and shows the others by name; a participant who
// starts speaking takes a place in every page's N, its video decoded and its voice heard; the grid pages through
// everyone; the speaker view shows the N.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { startServer, type TestServer } from '../support/server'
import { registerAndLogin, uniqueName } from '../support/http'
import { launchBrowser, openCall } from '../support/browser'
import { tileSelector, type Opened } from '../support/calls'
import { ScriptedParticipant } from '../support/scripted/participant'
import { accessibilityProblems } from '../support/accessibility'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

const OUT = join(import.meta.dir, '../../.test-output/screenshots')
mkdirSync(OUT, { recursive: true })

let server: TestServer
let browser: Browser
beforeAll(async () => {
  ;[server, browser] = await Promise.all([
    startServer({
      STUN_URLS: '',
      ROOM_MEDIA_MODE: 'sfu',
      SFU_PLAIN_RTP: 'true',
      SFU_WORKERS: '2',
      // A room of 33 needs both workers at this budget (14 consumers per member).
      SFU_CONSUMERS_PER_WORKER: '250',
      LOGIN_LIMIT_PER_ADDRESS: '100000',
      REGISTER_LIMIT_PER_ADDRESS: '100000',
    }),
    launchBrowser(),
  ])
})
afterAll(async () => {
  await browser?.close()
  await server?.dispose()
})

const remoteCamerasSelector = (forwarded: 'yes' | 'no') =>
  `[data-testid=call-tile][data-kind=camera][data-member]:not([data-member=self])[data-forwarded=${forwarded}]`
const remoteCameras = (page: Page, forwarded: 'yes' | 'no') => page.locator(remoteCamerasSelector(forwarded))

/** Waits (bounded) until `page` has exactly `count` elements matching `selector`. */
async function countReaches(page: Page, selector: string, count: number, timeout = 20_000) {
  await page.waitForFunction(([s, n]) => document.querySelectorAll(s as string).length === n, [selector, count] as const, { timeout, polling: 200 })
}

/** `page` shows frames of `name` that keep coming, and (`hears`) its audio packets grow. */
async function sees(page: Page, name: string, hears: boolean, timeout = 20_000) {
  const selector = tileSelector(name)
  await page.locator(`${selector}[data-forwarded=yes]`).waitFor({ timeout })
  for (const attribute of hears ? (['framesShown', 'audioPackets'] as const) : (['framesShown'] as const)) {
    const start = Number(await page.locator(selector).getAttribute(attribute === 'framesShown' ? 'data-frames-shown' : 'data-audio-packets'))
    await page.waitForFunction(
      ([s, a, min]) => Number(document.querySelector<HTMLElement>(s as string)?.dataset[a as string] ?? 0) > (min as number) + 5,
      [selector, attribute, start] as const,
      { timeout, polling: 200 },
    )
  }
}

test(
  'three pages and thirty scripted participants: N cameras each, a new speaker seen and heard, every member on some page',
  async () => {
    const room = uniqueName('fifty').replace(/_/g, '-')
    const pages: Opened[] = []
    const scripted: ScriptedParticipant[] = []
    try {
      for (const label of ['ann', 'ben', 'cat']) {
        const account = await registerAndLogin(server.url, uniqueName(label))
        const opened = await openCall(browser, server.url, account, room)
        await opened.page.locator('[data-testid=call][data-phase=joined]').waitFor({ timeout: 20_000 })
        pages.push({ ...opened, name: account.username })
      }
      const accounts = await Promise.all(Array.from({ length: 30 }, (_, i) => registerAndLogin(server.url, uniqueName(`bot${i}`))))
      for (const account of accounts) scripted.push(await ScriptedParticipant.join(server.url, account, room, { camera: true, mic: true, receive: false }))

      // Each page: 32 others, of whom it receives 9 cameras (nobody has spoken: the first nine in join order).
      for (const { page } of pages) {
        await page.locator('[data-testid=call-tile][data-kind=camera]').nth(32).waitFor({ state: 'attached', timeout: 30_000 })
        await countReaches(page, remoteCamerasSelector('yes'), 9)
        expect(await remoteCameras(page, 'no').count()).toBe(23)
      }
      // The first page receives the two other pages and the first seven participants, and shows their frames; a
      // room this large forwards only the voices of who speaks, and nobody does yet.
      await sees(pages[0]!.page, scripted[6]!.name, false)
      expect(await remoteCameras(pages[0]!.page, 'yes').evaluateAll((tiles) => tiles.map((t) => (t as HTMLElement).dataset.name))).toContain(scripted[0]!.name)

      // The 26th participant speaks: every page receives its camera and its voice, and shows it speaking.
      const speaker = scripted[25]!
      for (const { page } of pages) expect(await page.locator(`${tileSelector(speaker.name)}`).getAttribute('data-forwarded')).toBe('no')
      speaker.speak(true)
      for (const { page } of pages) {
        await sees(page, speaker.name, true)
        await page.locator(`${tileSelector(speaker.name)}[data-speaking=yes]`).waitFor({ state: 'attached', timeout: 10_000 })
        expect(await remoteCameras(page, 'yes').count()).toBe(9)
      }

      // The grid pages through everyone: 34 tiles... our own and 32 others' cameras, 16 a page.
      const page = pages[0]!.page
      await page.getByText('Page 1 of 3', { exact: true }).waitFor({ timeout: 10_000 })
      // Looked at: the first page at desktop and phone size (6 a page there), readable and without serious
      // accessibility problems.
      await page.screenshot({ path: join(OUT, 'large-room-grid-desktop.png') })
      expect(await accessibilityProblems(page)).toEqual([])
      const desktop = page.viewportSize()!
      await page.setViewportSize({ width: 390, height: 844 })
      // On a phone the open chat takes the call's place: close it (C) to see the grid.
      await page.locator('body').click({ position: { x: 5, y: 5 } })
      await page.keyboard.press('c')
      await page.getByText('Page 1 of 6', { exact: true }).waitFor({ timeout: 10_000 })
      await page.screenshot({ path: join(OUT, 'large-room-grid-phone.png') })
      expect(await accessibilityProblems(page)).toEqual([])
      await page.setViewportSize(desktop)
      await page.getByText('Page 1 of 3', { exact: true }).waitFor({ timeout: 10_000 })
      const seen = new Set<string>()
      for (let p = 0; p < 3; p++) {
        const names = await page.locator('[data-testid=call-tile][data-kind=camera]:not(.off-page)').evaluateAll((tiles) => tiles.map((t) => (t as HTMLElement).dataset.name!))
        expect(names.length).toBeLessThanOrEqual(16)
        for (const name of names) seen.add(name)
        if (p < 2) await page.getByRole('button', { name: 'Next page', exact: true }).click()
      }
      expect(await page.getByTestId('grid-page').textContent()).toBe('Page 3 of 3')
      expect(seen.size).toBe(33)

      // Speaker view: whoever spoke last on the stage (the pages' fake microphones beep, so it may be a page or the
      // participant), and in the strip exactly the cameras received (the N) and our own; the speaker among them.
      await page.keyboard.press('g')
      await page.locator('[data-testid=call-tile].stage').waitFor({ timeout: 10_000 })
      const shownNow = await page
        .locator('[data-testid=call-tile][data-kind=camera]:not(.off-page)')
        .evaluateAll((tiles) => tiles.map((t) => `${(t as HTMLElement).dataset.member}:${(t as HTMLElement).dataset.forwarded}`))
      expect(shownNow.length).toBe(10)
      expect(shownNow.filter((t) => t.startsWith('self:')).length).toBe(1)
      expect(shownNow.every((t) => t.endsWith(':yes'))).toBe(true)
      expect(await page.locator(`${tileSelector(speaker.name)}:not(.off-page)`).count()).toBe(1)
      await page.screenshot({ path: join(OUT, 'large-room-speaker-desktop.png') })
    } finally {
      for (const s of scripted) s.close()
      for (const p of pages) await p.context.close().catch(() => {})
    }
  },
  240_000,
)
