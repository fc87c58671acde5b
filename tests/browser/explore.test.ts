import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { startServer, type TestServer } from '../support/server'
import { registerAndLogin, uniqueName } from '../support/http'
import { launchBrowser, openPageAs } from '../support/browser'

let server: TestServer
let browser: Browser
beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer({ STUN_URLS: '', ROOM_MEDIA_MODE: 'sfu' }), launchBrowser()])
})
afterAll(async () => {
  await browser?.close()
  await server?.dispose()
})

test('explore', async () => {
  const pages = []
  for (const n of ['a', 'b', 'c']) {
    const acc = await registerAndLogin(server.url, uniqueName(n))
    const p = await openPageAs(browser, server.url, acc, '/rooms/sfux')
    p.page.on('console', (m) => m.type() !== 'debug' && console.log(n + ':', m.text()))
    pages.push(p)
    await Bun.sleep(500)
  }
  await Bun.sleep(5000)
  for (const p of pages) {
    console.log(await p.page.evaluate(() => [...document.querySelectorAll('[data-testid=call-tile]')].map((e) => { const d = (e as HTMLElement).dataset; return `${d.name} ${d.kind} path=${d.path} shown=${d.framesShown} dec=${d.framesDecoded} aud=${d.audioPackets} notice=${d.notice}` })))
    console.log(p.errors)
  }
  console.log((server as any).logs?.filter((l: string) => /error|warn/i.test(l)).slice(-10))
  await pages[0]!.page.screenshot({ path: '/tmp/explore/sfu.png' })
}, 60000)
