// The OWASP basics that are not covered feature by feature elsewhere (cross-user file access, JWT tampering,
// expiry, alg none, key confusion, login throttling, path traversal and security headers are in auth.test.ts,
// vault.test.ts and server.test.ts; secrets in logs in ops.test.ts): cross-site request forgery against the
// cookie, cross-site WebSocket hijacking, and script injection through every field a user controls, rendered in
// a real browser.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { startServer, type TestServer } from '../support/server'
import { registerAndLogin, uniqueName } from '../support/http'
import { TusClient } from '../support/tus'
import { launchBrowser, openPageAs } from '../support/browser'

let server: TestServer
beforeAll(async () => {
  server = await startServer({ LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000' })
})
afterAll(async () => {
  await server?.dispose()
})

const cookieOf = (account: { cookie: string }) => account.cookie.split(';')[0]!

describe('cross-site requests with the session cookie', () => {
  test('a state-changing request from another origin is refused, and the session survives', async () => {
    const account = await registerAndLogin(server.url)
    const evil = await fetch(`${server.url}/api/auth/logout`, { method: 'POST', headers: { cookie: cookieOf(account), origin: 'https://evil.example' } })
    expect(evil.status).toBe(403)
    expect((await evil.json()).error.code).toBe('cross_origin')
    const del = await fetch(`${server.url}/api/vault/files/1`, { method: 'DELETE', headers: { cookie: cookieOf(account), origin: 'null' } })
    expect(del.status).toBe(403)
    // Still logged in: the forged logout did nothing.
    expect((await fetch(`${server.url}/api/auth/me`, { headers: { cookie: cookieOf(account) } })).status).toBe(200)
    // The same request from our own origin works.
    const own = await fetch(`${server.url}/api/auth/logout`, { method: 'POST', headers: { cookie: cookieOf(account), origin: server.url } })
    expect(own.status).toBe(204)
  })

  test('a form post (what a cross-site form can send) is not accepted as JSON', async () => {
    const response = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=a&password=b',
    })
    expect(response.status).toBe(415)
  })

  test('the WebSocket refuses an upgrade carrying the cookie from another origin', async () => {
    const account = await registerAndLogin(server.url)
    const hijack = await fetch(`${server.url}/ws`, {
      headers: {
        cookie: cookieOf(account),
        origin: 'https://evil.example',
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
      },
    })
    expect(hijack.status).toBe(403)
    const ws = new WebSocket(server.url.replace('http', 'ws') + '/ws', { headers: { cookie: cookieOf(account), origin: server.url } } as never)
    await new Promise<void>((resolve, reject) => {
      ws.onmessage = () => resolve()
      ws.onerror = () => reject(new Error('same-origin upgrade refused'))
    })
    ws.close()
  })
})

describe('script injection through user-controlled fields, in a real browser', () => {
  let browser: Browser
  beforeAll(async () => {
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
  })

  const PAYLOADS = [
    '<img src=x onerror="window.__xss=1">',
    '<script>window.__xss=2</script>',
    '"><svg onload="window.__xss=3">',
    'javascript:window.__xss=4',
    '<a href="javascript:window.__xss=5">click</a>',
  ]

  test('chat messages, file names and room names show as text and never run', async () => {
    const alice = await registerAndLogin(server.url, uniqueName('alice'))
    // Payloads go in through the API, as an attacker would send them.
    const files = new TusClient(server.url, alice.token)
    // File names may not contain "/" (refused with invalid_name), so those payloads lose it.
    const names = PAYLOADS.map((payload, i) => `${payload.replaceAll('/', '')}${i}.txt`)
    for (const name of names) await files.upload(name, new TextEncoder().encode('x'))

    const chat = await openPageAs(browser, server.url, alice, '/chat')
    const message = chat.page.getByLabel('Message')
    await message.waitFor()
    for (const payload of PAYLOADS) {
      await message.fill(payload)
      await message.press('Enter')
      await chat.page.getByTestId('message-list').locator('article:not(.pending) .text', { hasText: payload }).first().waitFor({ timeout: 5000 })
    }
    const shown = await chat.page.getByTestId('message-list').locator('article:not(.pending) .text').allTextContents()
    for (const payload of PAYLOADS) expect(shown).toContain(payload)

    await chat.page.getByRole('link', { name: 'Vault', exact: true }).click()
    for (const name of names) await chat.page.getByText(name, { exact: true }).waitFor({ timeout: 5000 })

    // A room name is checked before anything is rendered from it; the refusal shows it as text.
    await chat.page.goto(`${server.url}/rooms/${encodeURIComponent(PAYLOADS[0]!)}`)
    await chat.page.getByText('is not a room name').waitFor({ timeout: 5000 })
    expect(await chat.page.getByText(PAYLOADS[0]!).count()).toBeGreaterThan(0)

    expect(await chat.page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined()
    expect(await chat.page.locator('img[src="x"], svg[onload]').count()).toBe(0)
    expect(chat.errors).toEqual([])
    await chat.context.close()
  }, 60_000)
})
