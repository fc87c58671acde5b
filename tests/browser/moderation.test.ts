// Moderating the chat as people do it: a moderator removes a message from the chat page and two other pages see it
// go; the moderator mutes someone, whose next message is refused with the reason on their page.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { startServer, type TestServer } from '../support/server'
import { registerAndLogin, requestJson, uniqueName } from '../support/http'
import { launchBrowser, openPageAs } from '../support/browser'

let server: TestServer
let browser: Browser
beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer({ LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000' }), launchBrowser()])
})
afterAll(async () => {
  await browser?.close()
  await server?.dispose()
})

async function post(page: Page, text: string) {
  await page.getByLabel('Message').fill(text)
  await page.getByLabel('Message').press('Enter')
}

test('a moderator removes a message and the others see it go; a muted member is told why their message was not sent', async () => {
  const admin = await registerAndLogin(server.url, uniqueName('root'))
  const [mod, ann, ben] = await Promise.all(['mod', 'ann', 'ben'].map((n) => registerAndLogin(server.url, uniqueName(n))))
  const promoted = await requestJson(`${server.url}/api/admin/users/${mod!.user.id}`, { method: 'PATCH', body: { role: 'moderator' }, headers: { authorization: `Bearer ${admin.token}` } })
  expect(promoted.status).toBe(200)
  const pages = await Promise.all([mod!, ann!, ben!].map((a) => openPageAs(browser, server.url, a, '/chat')))
  const [modPage, annPage, benPage] = pages.map((p) => p.page) as [Page, Page, Page]
  for (const page of [modPage, annPage, benPage]) await page.getByTestId('connection-status').filter({ hasText: 'online' }).waitFor()

  await post(annPage, 'buy cheap watches at example.test')
  await post(benPage, 'hello all')
  const spam = (page: Page) => page.locator('article.message', { hasText: 'buy cheap watches' })
  for (const page of [modPage, benPage]) await spam(page).waitFor()
  const id = await spam(modPage).getAttribute('data-message-id')

  // Ben (a member) gets no remove button on Ann's message; the moderator does.
  await spam(benPage).hover()
  expect(await spam(benPage).getByRole('button', { name: 'Remove', exact: true }).count()).toBe(0)
  await spam(modPage).hover()
  await spam(modPage).getByRole('button', { name: 'Remove', exact: true }).click()
  await modPage.getByRole('dialog', { name: 'Remove message' }).getByRole('button', { name: 'Remove' }).click()
  for (const page of [annPage, benPage, modPage]) {
    await page.locator(`article.message[data-message-id="${id}"] .text.removed`, { hasText: 'message removed' }).waitFor()
    expect(await page.getByText('buy cheap watches').count()).toBe(0)
  }

  // Muting Ben from his message.
  const bens = modPage.locator('article.message', { hasText: 'hello all' })
  await bens.hover()
  await bens.getByRole('button', { name: `Mute ${ben!.username} in chat for 15 minutes` }).click()
  await modPage.getByRole('status').filter({ hasText: `${ben!.username} is muted in chat for 15 minutes` }).waitFor()
  await post(benPage, 'can I still talk?')
  await benPage.locator('article.message.failed', { hasText: 'can I still talk?' }).getByText('a moderator muted you in chat').waitFor()
  expect(await annPage.getByText('can I still talk?').count()).toBe(0)
  expect(pages.flatMap((p) => p.errors)).toEqual([])
  for (const p of pages) await p.context.close()
}, 60_000)
