// Debian's Chromium driven by Playwright, with the flags this project's machines need (see README).
import { chromium, type Browser } from 'playwright-core'
import { existsSync } from 'node:fs'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: run "npm test", which installs it`)
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--allow-loopback-in-peer-connection',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
    ],
  })
}

/** Keeps every ICE pair on 127.0.0.1: each page ignores remote candidates for any other address, so media between
 * pages never uses the machine's other interfaces. */
export const LOOPBACK_ONLY_ICE = `(() => {
  const add = RTCPeerConnection.prototype.addIceCandidate
  RTCPeerConnection.prototype.addIceCandidate = function (candidate, ...rest) {
    const line = candidate && (candidate.candidate ?? '')
    if (line && !/ 127\\.0\\.0\\.1 /.test(line)) return Promise.resolve()
    return add.call(this, candidate, ...rest)
  }
})()`

/** A page in its own browser context (its own cookies), logged in with the session cookie of a test account. */
export async function openPageAs(browser: Browser, baseUrl: string, account: { cookie: string }, path: string) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } })
  const [pair] = account.cookie.split(';')
  const [name, value] = pair!.split('=')
  await context.addCookies([{ name: name!, value: value!, url: baseUrl }])
  await context.addInitScript(LOOPBACK_ONLY_ICE)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await page.goto(baseUrl + path)
  return { page, context, errors }
}
