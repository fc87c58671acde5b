// What a person does first: create an account, land on the home page, reload and still be there, log out.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { startServer, type TestServer } from '../support/server'
import { registerAndLogin, uniqueName } from '../support/http'
import { launchBrowser } from '../support/browser'

let server: TestServer
let browser: Browser

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer(), launchBrowser()])
})
afterAll(async () => {
  await browser?.close()
  await server?.dispose()
})

test('register, see home, reload and stay logged in, log out, log back in', async () => {
  const context = await browser.newContext()
  const page = await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.message))
  const username = uniqueName('browser')
  const password = 'a browser password'

  // Logged out: any app URL leads to the login page.
  await page.goto(server.url + '/chat')
  await page.getByRole('heading', { name: 'Log in' }).waitFor()
  expect(new URL(page.url()).pathname).toBe('/login')

  // A bad password on the form shows the server's reason.
  await page.getByRole('link', { name: 'Create an account' }).click()
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill('x'.repeat(80))
  await page.getByRole('button', { name: 'Create account' }).click()
  await expect(page.getByRole('alert').textContent()).resolves.toContain('at most 72 bytes')

  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.getByRole('heading', { name: `Welcome, ${username}` }).waitFor()
  expect(await page.getByTestId('current-user').textContent()).toBe(username)
  // The live connection comes up.
  await page.getByTestId('connection-status').filter({ hasText: 'online' }).waitFor()

  // The session cookie is HttpOnly: the page's script cannot read it.
  expect(await page.evaluate(() => document.cookie)).not.toContain('partyroom_session')

  await page.reload()
  await page.getByRole('heading', { name: `Welcome, ${username}` }).waitFor()

  // Navigation to each feature page works without a reload.
  for (const [link, heading] of [['Chat', 'Chat'], ['Rooms', 'Rooms'], ['Vault', 'Vault']] as const) {
    await page.getByRole('link', { name: link, exact: true }).click()
    await page.getByRole('heading', { name: heading, exact: true }).waitFor()
  }

  // A second tab of the same session: logging out in the first ends the session there too, and the second tab
  // (told by its socket closing with 4001) shows the login page by itself.
  const secondTab = await context.newPage()
  await secondTab.goto(server.url + '/chat')
  await secondTab.getByTestId('connection-status').filter({ hasText: 'online' }).waitFor()

  await page.getByRole('button', { name: 'Log out' }).click()
  await page.getByRole('heading', { name: 'Log in' }).waitFor()
  await secondTab.getByRole('heading', { name: 'Log in' }).waitFor()
  await secondTab.close()
  await page.goto(server.url + '/')
  await page.getByRole('heading', { name: 'Log in' }).waitFor()

  // Wrong password, then the right one.
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill('wrong password!')
  await page.getByRole('button', { name: 'Log in' }).click()
  await expect(page.getByRole('alert').textContent()).resolves.toContain('wrong username or password')
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByRole('heading', { name: `Welcome, ${username}` }).waitFor()

  expect(pageErrors).toEqual([])
  await context.close()
}, 120_000)

test('a page whose server speaks a newer protocol asks the person to reload', async () => {
  const account = await registerAndLogin(server.url)
  const context = await browser.newContext()
  const page = await context.newPage()
  // Stand between the page and the server and make the server announce the next protocol version.
  await page.routeWebSocket('**/ws', (ws) => {
    const upstream = ws.connectToServer()
    upstream.onMessage((message) => {
      const frame = JSON.parse(String(message))
      if (frame.type === 'hello') frame.protocol += 1
      ws.send(JSON.stringify(frame))
    })
    ws.onMessage((message) => upstream.send(message))
  })
  await page.goto(server.url + '/login')
  await page.getByLabel('Username').fill(account.username)
  await page.getByLabel('Password').fill(account.password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByRole('status').filter({ hasText: 'PartyRoom was updated on the server' }).waitFor()
  await context.close()
}, 60_000)
