// Calls behind a firewall that lets only TURN through: pages whose ICE may use relayed candidates only (as the
// browser of someone on such a network), a real coturn from Debian, and PartyRoom handing out TURN credentials.
// The room starts as a mesh, moves to the SFU at 3 and back to the mesh at 2; every page keeps seeing and hearing
// the others, and every path it uses is relayed.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { startServer, type TestServer } from '../support/server'
import { registerAndLogin, uniqueName } from '../support/http'
import { RELAY_ONLY_ICE, launchBrowser, openPageAs, openCall, selectedPaths } from '../support/browser'
import { everyoneSeesEveryone, mode, type Opened } from '../support/calls'
import { startTurn, type TurnServer } from '../support/turn'

let turn: TurnServer
let server: TestServer
let browser: Browser
beforeAll(async () => {
  turn = await startTurn()
  ;[server, browser] = await Promise.all([
    startServer({ STUN_URLS: '', TURN_URLS: turn.urls, TURN_SECRET: turn.secret, ROOM_SFU_AT: '3', ROOM_MESH_AT: '2', LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000' }),
    launchBrowser(),
  ])
})
afterAll(async () => {
  await browser?.close()
  await server?.dispose()
  await turn?.stop()
})

async function joinRelayed(room: string, label: string): Promise<Opened> {
  const account = await registerAndLogin(server.url, uniqueName(label))
  const opened = await openCall(browser, server.url, account, room, [RELAY_ONLY_ICE])
  await opened.page.locator('[data-testid=call][data-phase=joined]').waitFor({ timeout: 20_000 })
  return { ...opened, name: account.username }
}

/** Every connected path of every page goes through the relay, there is at least one per page, and the page says so. */
async function allRelayed(pages: Opened[]) {
  for (const p of pages) {
    await p.page.getByTestId('relayed').waitFor({ timeout: 5000 })
    const paths = await selectedPaths(p.page)
    expect({ page: p.name, relayed: paths.length > 0 && paths.every((t) => t === 'relay') }).toEqual({ page: p.name, relayed: true })
  }
}

test(
  'relay-only pages see and hear each other through TURN on the mesh, on the SFU at 3, and on the mesh again at 2',
  async () => {
    const room = uniqueName('relayed').replace(/_/g, '-')
    const all: Opened[] = []
    try {
      const pages = [await joinRelayed(room, 'ann'), await joinRelayed(room, 'ben')]
      all.push(...pages)
      await everyoneSeesEveryone(pages, 'mesh')
      await allRelayed(pages)

      const cat = await joinRelayed(room, 'cat')
      all.push(cat)
      pages.push(cat)
      for (const p of pages) await p.page.locator('[data-testid=call][data-mode=sfu]').waitFor({ timeout: 15_000 })
      await everyoneSeesEveryone(pages, 'sfu')
      // Once the SFU carries everyone, the mesh connections are gone: what is connected is the SFU's transports.
      for (const p of pages) {
        await p.page.waitForFunction(() => [...document.querySelectorAll<HTMLElement>('[data-testid=call-tile][data-kind=camera]:not([data-member=self])')].every((t) => t.dataset.path === 'sfu'), null, {
          timeout: 15_000,
        })
      }
      await allRelayed(pages)

      await cat.page.getByTestId('leave').click()
      await cat.context.close()
      pages.pop()
      for (const p of pages) await p.page.locator('[data-testid=call][data-mode=mesh]').waitFor({ timeout: 15_000 })
      expect(await mode(pages[0]!.page)).toBe('mesh')
      await everyoneSeesEveryone(pages, 'mesh')
      await allRelayed(pages)
      expect(turn.allocations()).toBeGreaterThan(0)
      expect(all.flatMap((p) => p.errors)).toEqual([])
    } finally {
      for (const p of all) await p.context.close().catch(() => {})
    }
  },
  180_000,
)

test(
  'with TURN credentials the relay refuses, relay-only pages say they cannot connect, on the mesh and on the SFU',
  async () => {
    // Both servers hand out credentials signed with a secret coturn does not have: every allocation is refused.
    const wrong = { STUN_URLS: '', TURN_URLS: turn.urls, TURN_SECRET: 'not-the-secret', LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000' }
    const [mesh, sfu] = await Promise.all([startServer({ ...wrong, ROOM_MEDIA_MODE: 'mesh' }), startServer({ ...wrong, ROOM_MEDIA_MODE: 'sfu' })])
    const opened: Opened[] = []
    try {
      for (const [target, path] of [
        [mesh, 'mesh'],
        [sfu, 'sfu'],
      ] as const) {
        const room = uniqueName(`blocked-${path}`).replace(/_/g, '-')
        const pages: Opened[] = []
        for (const label of ['ida', 'jon']) {
          const account = await registerAndLogin(target.url, uniqueName(label))
          const o = await openCall(browser, target.url, account, room, [RELAY_ONLY_ICE])
          await o.page.locator(`[data-testid=call][data-phase=joined][data-mode=${path}]`).waitFor({ timeout: 20_000 })
          pages.push({ ...o, name: account.username })
        }
        opened.push(...pages)
        const pairs: Array<[Opened, Opened]> = [
          [pages[0]!, pages[1]!],
          [pages[1]!, pages[0]!],
        ]
        for (const [viewer, other] of pairs) {
          // What the person sees: the other's tile says it, and so does a banner that tells them what to do.
          await viewer.page.locator(`[data-testid=call-tile][data-kind=camera][data-name="${other.name}"][data-notice="Cannot connect"]`).waitFor({ timeout: 30_000 })
          await expect(viewer.page.getByTestId('no-path').textContent()).resolves.toContain('no relay (TURN) server could be reached')
          expect(Number(await viewer.page.locator(`[data-testid=call-tile][data-kind=camera][data-name="${other.name}"]`).getAttribute('data-frames-shown'))).toBe(0)
        }
      }
      expect(opened.flatMap((o) => o.errors)).toEqual([])
    } finally {
      for (const o of opened) await o.context.close().catch(() => {})
      await Promise.all([mesh.dispose(), sfu.dispose()])
    }
  },
  120_000,
)

test(
  'past the first TURN credentials\' lifetime, a relay restart costs relay-only calls only an ICE restart, on the mesh and on the SFU',
  async () => {
    // Credentials valid for 60 s. A relay keeps the allocations it authenticated, so a long call notices only when it
    // needs a new one: here the relay restarts, every allocation is gone, and each page's ICE restart allocates
    // again with the credentials it now holds. Expired ones would be refused and the call would stay frozen.
    const relay = await startTurn()
    const short = {
      STUN_URLS: '',
      TURN_URLS: relay.urls,
      TURN_SECRET: relay.secret,
      TURN_CREDENTIAL_TTL_SECONDS: '60',
      LOGIN_LIMIT_PER_ADDRESS: '100000',
      REGISTER_LIMIT_PER_ADDRESS: '100000',
    }
    const [mesh, sfu] = await Promise.all([startServer({ ...short, ROOM_MEDIA_MODE: 'mesh' }), startServer({ ...short, ROOM_MEDIA_MODE: 'sfu' })])
    const rooms: Array<{ pages: Opened[]; path: 'mesh' | 'sfu' }> = []
    try {
      const started = Date.now()
      for (const [target, path] of [
        [mesh, 'mesh'],
        [sfu, 'sfu'],
      ] as const) {
        const room = uniqueName(`long-${path}`).replace(/_/g, '-')
        const pages: Opened[] = []
        for (const label of ['kim', 'lou']) {
          const account = await registerAndLogin(target.url, uniqueName(label))
          const o = await openCall(browser, target.url, account, room, [RELAY_ONLY_ICE])
          await o.page.locator(`[data-testid=call][data-phase=joined][data-mode=${path}]`).waitFor({ timeout: 20_000 })
          pages.push({ ...o, name: account.username })
        }
        rooms.push({ pages, path })
      }
      for (const { pages, path } of rooms) {
        await everyoneSeesEveryone(pages, path)
        await allRelayed(pages)
      }
      // Every credential handed out at join has expired.
      await Bun.sleep(Math.max(0, started + 65_000 - Date.now()))
      await relay.restart()
      for (const { pages, path } of rooms) {
        await everyoneSeesEveryone(pages, path)
        await allRelayed(pages)
      }
      const after = relay.log().split('--- restarted ---')[1]!
      expect(after).toContain('ALLOCATE processed, success')
      expect(after).not.toMatch(/expired/i)
      expect(rooms.flatMap((r) => r.pages.flatMap((p) => p.errors))).toEqual([])
    } finally {
      for (const r of rooms) for (const p of r.pages) await p.context.close().catch(() => {})
      await Promise.all([mesh.dispose(), sfu.dispose()])
      await relay.stop()
    }
  },
  240_000,
)
