// Governing the server from the Admin page as a person does it: switch registration to invite-only, make an invite
// link, have someone register through it in another browser, see them in the list, disable them (their open page
// drops to the login screen), and read all of it in the audit log. A moderator sees the invites only.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { startServer, type TestServer } from '../support/server'
import { registerAndLogin, requestJson, uniqueName } from '../support/http'
import { launchBrowser, openPageAs } from '../support/browser'

let server: TestServer
let browser: Browser
let admin: Awaited<ReturnType<typeof registerAndLogin>>
beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer({ LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000' }), launchBrowser()])
  // The first account on the server: its admin.
  admin = await registerAndLogin(server.url, uniqueName('boss'))
})
const asAdmin = (method: string, path: string, body: unknown) =>
  requestJson(`${server.url}/api${path}`, { method, body, headers: { authorization: `Bearer ${admin.token}` } })
afterAll(async () => {
  await browser?.close()
  await server?.dispose()
})

test('invite-only registration through a link made on the Admin page; disabling someone sends their page to the login screen', async () => {
  const { page, context, errors } = await openPageAs(browser, server.url, admin, '/')
  await page.getByRole('link', { name: 'Admin', exact: true }).click()
  await page.getByRole('heading', { name: 'Admin', exact: true }).waitFor()

  await page.getByLabel('Invite only: registration needs an invite link').check()
  await page.getByRole('button', { name: 'Create invite link' }).click()
  const inviteUrl = await page.getByTestId('invite-url').inputValue()
  expect(inviteUrl).toMatch(new RegExp(`^${server.url}/register\\?invite=[A-Za-z0-9_-]{24,}$`))

  // Someone without the link is told why they cannot register.
  const stranger = await browser.newContext()
  const strangerPage = await stranger.newPage()
  await strangerPage.goto(server.url + '/register')
  await strangerPage.getByLabel('Username').fill(uniqueName('nope'))
  await strangerPage.getByLabel('Password').fill('a fine password')
  await strangerPage.getByRole('button', { name: 'Create account' }).click()
  await expect(strangerPage.getByRole('alert').textContent()).resolves.toContain('invitation only')

  // With it, they are in.
  const guest = uniqueName('guest')
  await strangerPage.goto(inviteUrl)
  await strangerPage.getByTestId('invited').waitFor()
  await strangerPage.getByLabel('Username').fill(guest)
  await strangerPage.getByLabel('Password').fill('a fine password')
  await strangerPage.getByRole('button', { name: 'Create account' }).click()
  await strangerPage.getByRole('heading', { name: `Welcome, ${guest}` }).waitFor()
  await strangerPage.getByTestId('connection-status').filter({ hasText: 'online' }).waitFor()
  // A member has no Admin link.
  expect(await strangerPage.getByRole('link', { name: 'Admin' }).count()).toBe(0)

  // The admin finds them (the search fetches the list again), sees them online, and disables them: their page
  // goes to the login screen by itself.
  await page.getByLabel('Search people by name').fill(guest)
  const row = page.locator(`[data-testid=users] tr[data-user="${guest}"]`)
  await row.locator('.badge', { hasText: 'online' }).waitFor()
  await row.getByRole('button', { name: 'Disable' }).click()
  await page.locator(`[data-testid=users] tr[data-user="${guest}"][data-disabled=true]`).waitFor()
  await strangerPage.getByRole('heading', { name: 'Log in' }).waitFor({ timeout: 10_000 })
  await strangerPage.getByLabel('Username').fill(guest)
  await strangerPage.getByLabel('Password').fill('a fine password')
  await strangerPage.getByRole('button', { name: 'Log in' }).click()
  await expect(strangerPage.getByRole('alert').textContent()).resolves.toContain('disabled')

  // The audit log tells the story, newest first (it is fetched again after each action on the page).
  const audit = page.getByTestId('audit')
  await audit.locator('li[data-action="user.disable"]').waitFor()
  const lines = await audit.locator('li[data-action]').allTextContents()
  expect(lines[0]).toContain(`${admin.username} disabled ${guest}`)
  expect(lines.some((l) => l.includes('set registration') && l.includes('open → invite'))).toBe(true)
  expect(lines.some((l) => l.includes('created an invite'))).toBe(true)
  expect(errors).toEqual([])
  await stranger.close()
  await context.close()
}, 60_000)

test('a moderator sees only the invites; a member opening /admin is told it is not for them', async () => {
  expect((await asAdmin('PUT', '/admin/settings', { registration: 'open' })).status).toBe(200)
  const mod = await registerAndLogin(server.url, uniqueName('mod'))
  const member = await registerAndLogin(server.url, uniqueName('mem'))
  expect((await asAdmin('PATCH', `/admin/users/${mod.user.id}`, { role: 'moderator' })).status).toBe(200)

  const modPage = await openPageAs(browser, server.url, mod, '/')
  await modPage.page.getByRole('link', { name: 'Invites', exact: true }).click()
  await modPage.page.getByTestId('invites').waitFor()
  expect(await modPage.page.getByTestId('users').count()).toBe(0)
  expect(await modPage.page.getByTestId('registration').count()).toBe(0)
  await modPage.page.getByRole('button', { name: 'Create invite link' }).click()
  await modPage.page.getByTestId('invite-url').waitFor()

  const memberPage = await openPageAs(browser, server.url, member, '/admin')
  await memberPage.page.getByText('Only admins and moderators can see this page.').waitFor()
  expect(await memberPage.page.getByTestId('invites').count()).toBe(0)
  expect([...modPage.errors, ...memberPage.errors]).toEqual([])
  await modPage.context.close()
  await memberPage.context.close()
}, 60_000)
