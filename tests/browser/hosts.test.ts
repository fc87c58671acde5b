// A host running a call in Chromium: lock the room, let a newcomer in from the lobby (they then see and hear
// everyone), and remove someone (their page says who did it; the others stop receiving them).
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { startServer, type TestServer } from '../support/server'
import { registerAndLogin, uniqueName } from '../support/http'
import { launchBrowser, openPageAs, openCall } from '../support/browser'
import { everyoneSeesEveryone, tileSelector, type Opened } from '../support/calls'

const OUT = join(import.meta.dir, '../../.test-output/screenshots')
let server: TestServer
let browser: Browser
beforeAll(async () => {
  mkdirSync(OUT, { recursive: true })
  ;[server, browser] = await Promise.all([
    startServer({ STUN_URLS: '', LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000', ROOM_MEDIA_MODE: 'mesh' }),
    launchBrowser(),
  ])
  // The server's first account is its admin (a host everywhere); the people below are members.
  await registerAndLogin(server.url, uniqueName('root'))
}, 30_000)
afterAll(async () => {
  await browser?.close()
  await server?.dispose()
})

test('a host locks the room, admits a newcomer from the lobby, and removes someone', async () => {
  const room = uniqueName('hosted').replace(/_/g, '-')
  const opened: Opened[] = []
  try {
    const open = async (label: string) => {
      const account = await registerAndLogin(server.url, uniqueName(label))
      const o = await openCall(browser, server.url, account, room)
      const page = { ...o, name: account.username }
      opened.push(page)
      return page
    }
    const ann = await open('ann')
    await ann.page.locator('[data-testid=call][data-phase=joined]').waitFor({ timeout: 20_000 })
    const ben = await open('ben')
    await ben.page.locator('[data-testid=call][data-phase=joined]').waitFor({ timeout: 20_000 })
    await everyoneSeesEveryone([ann, ben], 'mesh')
    // Ann came first: she hosts, and everyone sees it.
    await ben.page.locator(`${tileSelector(ann.name)}[data-host=yes]`).waitFor()
    expect(await ben.page.getByTestId('host-tools').count()).toBe(0)

    await ann.page.getByTestId('toggle-lock').click()
    await ben.page.getByTestId('locked').waitFor()
    const cat = await open('cat')
    await cat.page.getByTestId('waiting').waitFor({ timeout: 20_000 })
    await cat.page.screenshot({ path: join(OUT, 'call-waiting-desktop.png') })
    const knock = ann.page.locator(`[data-testid=lobby] [data-waiting="${cat.name}"]`)
    await knock.waitFor()
    await ann.page.screenshot({ path: join(OUT, 'call-lobby-desktop.png') })
    await knock.getByRole('button', { name: 'Admit' }).click()
    await cat.page.locator('[data-testid=call][data-phase=joined]').waitFor({ timeout: 20_000 })
    await everyoneSeesEveryone([ann, ben, cat], 'mesh')

    await ann.page.getByRole('button', { name: `Options for ${ben.name}`, exact: true }).click()
    await ann.page.screenshot({ path: join(OUT, 'call-host-menu-desktop.png') })
    await ann.page.getByRole('dialog', { name: `Options for ${ben.name}` }).getByRole('button', { name: 'Remove from call' }).click()
    await expect(ben.page.getByTestId('left-reason').textContent()).resolves.toContain(`${ann.name} removed you from the call`)
    expect(await ben.page.getByRole('button', { name: 'Join again' }).count()).toBe(0)
    for (const p of [ann, cat]) await p.page.locator(tileSelector(ben.name)).waitFor({ state: 'detached', timeout: 10_000 })
    await everyoneSeesEveryone([ann, cat], 'mesh')
    expect(opened.flatMap((p) => p.errors)).toEqual([])
  } finally {
    for (const p of opened) await p.context.close().catch(() => {})
  }
}, 120_000)
