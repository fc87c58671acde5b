// Video rooms in real Chromium pages with fake camera and microphone: what each person sees is checked through
// the tiles on their page (frames decoded and audio packets received, as getStats reports them for that tile).
import { afterAll, afterEach, beforeAll, expect, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { startServer, type TestServer } from '../support/server'
import { registerAndLogin, uniqueName } from '../support/http'
import { FAKE_CAMERA, launchBrowser, openPageAs, openCall } from '../support/browser'
import { startTcpProxy } from '../support/tcp-proxy'

let server: TestServer
let browser: Browser
beforeAll(async () => {
  ;[server, browser] = await Promise.all([
    startServer({ STUN_URLS: '', LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000' }),
    launchBrowser(),
  ])
})
/** Every page a test opened is closed after it, passed or failed, so a failure cannot load the tests after it. */
const contexts: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close().catch(() => {})
})
afterAll(async () => {
  await browser?.close()
  await server?.dispose()
})

type Account = Awaited<ReturnType<typeof registerAndLogin>>

const tile = (page: Page, name: string, kind = 'camera') => page.locator(`[data-testid=call-tile][data-kind=${kind}][data-name="${name}"]`)

async function tileNumbers(page: Page, name: string) {
  const el = tile(page, name)
  return {
    frames: Number(await el.getAttribute('data-frames-decoded')),
    audio: Number(await el.getAttribute('data-audio-packets')),
  }
}

/** The page shows `name`'s video with frames still being decoded, and receives its audio. */
async function seesAndHears(page: Page, name: string, timeout = 15_000) {
  await tile(page, name).waitFor({ timeout })
  const decodedAtLeast = (min: number) =>
    page.waitForFunction(
      ([n, m]) => {
        const el = document.querySelector<HTMLElement>(`[data-testid=call-tile][data-kind=camera][data-name="${n}"]`)
        return !!el && Number(el.dataset.framesDecoded) > (m as number) && Number(el.dataset.audioPackets) > 0
      },
      [name, min] as const,
      { timeout, polling: 100 },
    )
  await decodedAtLeast(0)
  const first = await tileNumbers(page, name)
  // Growing, not just started: half a second of frames more decoded, and more audio packets received. Each is
  // waited for on its own (a busy machine can hold audio back for a moment while video goes on, and the other way
  // round).
  await decodedAtLeast(first.frames + FAKE_CAMERA.fps / 2)
  await page.waitForFunction(
    ([n, m]) => Number(document.querySelector<HTMLElement>(`[data-testid=call-tile][data-kind=camera][data-name="${n}"]`)?.dataset.audioPackets) > (m as number),
    [name, first.audio] as const,
    { timeout, polling: 100 },
  )
  // A person sees a picture, not a notice over it.
  expect(await tile(page, name).getAttribute('data-notice')).toBe('')
}

async function join(account: Account, room: string) {
  const opened = await openCall(browser, server.url, account, room)
  contexts.push(opened.context)
  await opened.page.locator('[data-testid=call][data-phase=joined]').waitFor({ timeout: 15_000 })
  return opened
}

const remoteTiles = (page: Page) => page.locator('[data-testid=call-tile][data-kind=camera]:not([data-member=self])')

test(
  'two, then three people in a room see and hear each other; camera off shows, leaving drops the tile, a reload re-forms the call',
  async () => {
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => registerAndLogin(server.url, uniqueName(n))))
    const room = uniqueName('call').replace(/_/g, '-')
    const a = await join(alice!, room)
    const b = await join(bob!, room)
    await seesAndHears(a.page, bob!.username)
    await seesAndHears(b.page, alice!.username)

    const c = await join(carol!, room)
    await Promise.all([
      seesAndHears(a.page, carol!.username),
      seesAndHears(b.page, carol!.username),
      seesAndHears(c.page, alice!.username),
      seesAndHears(c.page, bob!.username),
    ])
    expect(await a.page.getByTestId('member-count').textContent()).toBe('3 of 50')

    // Alice turns her camera off: the others see her tile switch to her initial; back on, her video flows again.
    await a.page.getByTestId('toggle-camera').click()
    for (const p of [b.page, c.page]) {
      await p.locator(`[data-testid=call-tile][data-name="${alice!.username}"][data-camera=off] .avatar`).waitFor({ timeout: 5000 })
      expect(await tile(p, alice!.username).locator('video:visible').count()).toBe(0)
    }
    await a.page.getByTestId('toggle-camera').click()
    await b.page.locator(`[data-testid=call-tile][data-name="${alice!.username}"][data-camera=on]`).waitFor({ timeout: 5000 })
    await seesAndHears(b.page, alice!.username)

    // The fake microphone beeps: Bob's tile lights up as speaking on Alice's page. When he mutes, the others see
    // the microphone-off mark on his tile, and it no longer lights up.
    await a.page.locator(`[data-testid=call-tile].speaking[data-name="${bob!.username}"]`).waitFor({ timeout: 10_000 })
    await b.page.getByTestId('toggle-mic').click()
    await a.page.locator(`[data-testid=call-tile][data-name="${bob!.username}"][data-mic=off] .mic-off`).waitFor({ timeout: 5000 })
    expect(await tile(a.page, bob!.username).evaluate((el) => el.classList.contains('speaking'))).toBe(false)
    await b.page.getByTestId('toggle-mic').click()

    // Alice shares her screen: the others get a second tile from her that plays video; stopping removes it. (The
    // deadline covers starting a screen capture and renegotiating two peer connections on a busy machine.)
    await a.page.getByTestId('toggle-screen').click()
    for (const p of [b.page, c.page]) {
      await tile(p, alice!.username, 'screen')
        .waitFor({ timeout: 20_000 })
        .catch(async (error) => {
          const tiles = await p.evaluate(() => [...document.querySelectorAll<HTMLElement>('[data-testid=call-tile]')].map((t) => `${t.dataset.name}:${t.dataset.kind}`))
          const sharing = await a.page.getByTestId('toggle-screen').textContent()
          throw new Error(`${(error as Error).message}\ntiles: ${tiles.join(', ')}; Alice's button: ${sharing}`)
        })
      await p.waitForFunction(
        (n) => {
          const video = document.querySelector<HTMLVideoElement>(`[data-testid=call-tile][data-kind=screen][data-name="${n}"] video`)
          return !!video && video.videoWidth > 0 && video.getVideoPlaybackQuality().totalVideoFrames > 5
        },
        alice!.username,
        { timeout: 20_000, polling: 100 },
      )
    }
    await a.page.getByTestId('toggle-screen').click()
    for (const p of [b.page, c.page]) await tile(p, alice!.username, 'screen').waitFor({ state: 'detached', timeout: 5000 })
    await seesAndHears(b.page, alice!.username)

    // The room chat reaches the people in the call.
    await a.page.getByTestId('room-chat').getByLabel('Message').fill('can you see my slides?')
    await a.page.getByTestId('room-chat').getByLabel('Message').press('Enter')
    await c.page.getByTestId('room-chat').locator('article:not(.pending) .text', { hasText: 'can you see my slides?' }).waitFor({ timeout: 5000 })

    // Carol leaves: her tile goes from both other pages.
    await c.page.getByTestId('leave').click()
    await c.page.waitForURL(/\/rooms$/)
    for (const p of [a.page, b.page]) await tile(p, carol!.username).waitFor({ state: 'detached', timeout: 5000 })

    // Bob reloads: back on the pre-join screen he joins again; the call re-forms with exactly one tile for him on
    // Alice's page, decoding again.
    await b.page.reload()
    await b.page.getByRole('button', { name: 'Join now', exact: true }).click()
    await b.page.locator('[data-testid=call][data-phase=joined]').waitFor({ timeout: 15_000 })
    await seesAndHears(a.page, bob!.username)
    await seesAndHears(b.page, alice!.username)
    expect(await remoteTiles(a.page).count()).toBe(1)
    expect(await remoteTiles(b.page).count()).toBe(1)

    expect([...a.errors, ...b.errors, ...c.errors]).toEqual([])
    for (const p of [a, b, c]) await p.context.close()
  },
  120_000,
)

test(
  'a member whose connection to the server drops is shown reconnecting and comes back into the same call without reloading',
  async () => {
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => registerAndLogin(server.url, uniqueName(n))))
    const room = uniqueName('drop').replace(/_/g, '-')
    // Bob reaches the server through a proxy the test can cut.
    const proxy = startTcpProxy(Number(new URL(server.url).port))
    try {
      const a = await join(alice!, room)
      const b = await openCall(browser, proxy.url, bob!, room)
      contexts.push(b.context)
      await b.page.locator('[data-testid=call][data-phase=joined]').waitFor({ timeout: 15_000 })
      await seesAndHears(a.page, bob!.username)
      const bobId = await tile(a.page, bob!.username).getAttribute('data-member')
      const marks = () => b.page.evaluate(() => performance.getEntriesByType('mark').map((m) => m.name))
      const before = await marks()

      // Bob's socket dies without a close frame, as on a network drop: Alice sees him reconnecting...
      proxy.cut()
      await a.page.locator(`[data-testid=call-tile][data-member="${bobId}"][data-notice="Reconnecting…"]`).waitFor({ timeout: 5000 })
      // ...and then back, under the same member id, with the same peer connection still carrying his video.
      await a.page.locator(`[data-testid=call-tile][data-member="${bobId}"][data-notice=""]`).waitFor({ timeout: 15_000 })
      await seesAndHears(a.page, bob!.username)
      await seesAndHears(b.page, alice!.username)
      expect(await remoteTiles(a.page).count()).toBe(1)
      const after = await marks()
      expect(after.filter((m) => m === 'call:start')).toHaveLength(1) // no reload
      expect(after.filter((m) => m.startsWith('call:negotiated'))).toEqual(before.filter((m) => m.startsWith('call:negotiated')))
      expect(after.filter((m) => m === 'call:joined')).toHaveLength(2) // joined, then resumed
      expect([...a.errors, ...b.errors]).toEqual([])
      for (const p of [a, b]) await p.context.close()
    } finally {
      proxy.close()
    }
  },
  120_000,
)
