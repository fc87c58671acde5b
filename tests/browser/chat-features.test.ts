// The chat people expect, as people see it in Chromium: formatting (and a <script> shown as text), replies with a
// quote, edits, mentions highlighted and notified, unread counts and the "new messages" line, search that jumps to
// the message, and a private conversation between two pages.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { startServer, type TestServer } from '../support/server'
import { registerAndLogin, uniqueName } from '../support/http'
import { launchBrowser, openPageAs } from '../support/browser'
import { TestSocket } from '../support/ws'

let server: TestServer
let browser: Browser

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer({ PRESENCE_GRACE_MS: '500', CHAT_MESSAGE_BURST: '1000', CHAT_MESSAGES_PER_SECOND: '1000' }), launchBrowser()])
})
afterAll(async () => {
  await browser?.close()
  await server?.dispose()
})

/** The page records the notifications it shows, and reports itself hidden while `window.__hidden` is set (a
 * headless page is always "visible"). */
const RECORD_NOTIFICATIONS = `
  const shown = []
  window.__notifications = shown
  const Real = window.Notification
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options)
      shown.push({ title, body: options && options.body })
    }
  }
  Object.defineProperty(window, 'Notification', { value: Recorded })
  Object.defineProperty(Document.prototype, 'visibilityState', { get: () => (window.__hidden ? 'hidden' : 'visible') })
`

/** A logged-in page on `path`, with notifications granted; dialogs (a script that ran) count as errors. */
async function logIn(account: { cookie: string }, path = '/chat'): Promise<{ page: Page; errors: string[] }> {
  const { page, errors } = await openPageAs(browser, server.url, account, path, [RECORD_NOTIFICATIONS], ['notifications'])
  page.on('dialog', (dialog) => {
    errors.push(`dialog opened: ${dialog.message()}`)
    void dialog.dismiss()
  })
  await page.getByTestId('current-user').waitFor()
  if (path.startsWith('/chat')) await page.getByRole('heading', { name: 'Chat', exact: true }).waitFor()
  return { page, errors }
}

const hide = (page: Page, hidden: boolean) => page.evaluate((h) => ((window as any).__hidden = h), hidden)
const article = (page: Page, text: string) => page.getByTestId('message-list').locator('article:not(.pending)', { hasText: text })
async function write(page: Page, text: string) {
  const box = page.getByRole('textbox', { name: 'Message', exact: true })
  await box.fill(text)
  await box.press('Enter')
}

test('formatting, a script shown as text, a reply with its quote, and an edit everyone sees', async () => {
  const alice = await registerAndLogin(server.url, uniqueName('fa'))
  const bob = await registerAndLogin(server.url, uniqueName('fb'))
  const a = await logIn(alice)
  const b = await logIn(bob)

  await write(a.page, '**bold** and _soft_ and `x < y` see https://example.org/docs\n> a quote')
  const formatted = article(b.page, 'bold and soft')
  await formatted.locator('strong', { hasText: 'bold' }).waitFor()
  expect(await formatted.locator('em').textContent()).toBe('soft')
  expect(await formatted.locator('code').textContent()).toBe('x < y')
  expect(await formatted.locator('blockquote').textContent()).toContain('a quote')
  const link = formatted.getByRole('link', { name: 'https://example.org/docs' })
  expect(await link.getAttribute('rel')).toBe('noopener noreferrer')
  expect(await link.getAttribute('target')).toBe('_blank')

  const script = '<script>alert("owned")</script><img src=x onerror=alert(1)>'
  await write(a.page, script)
  await article(b.page, 'alert("owned")').waitFor()
  expect(await article(b.page, 'alert("owned")').locator('.text').textContent()).toBe(script)
  expect(await b.page.locator('.message-list img').count()).toBe(0)

  // Bob answers the first message: his message shows a quote of it, and the quote leads back to it.
  await formatted.hover()
  await formatted.getByRole('button', { name: 'Reply', exact: true }).click()
  await b.page.getByTestId('composer-mode').getByText('Replying to').waitFor()
  await write(b.page, 'agreed')
  const answer = article(a.page, 'agreed')
  await answer.getByTestId('reply-quote').getByText(alice.username).waitFor()
  expect(await answer.getByTestId('reply-quote').textContent()).toContain('**bold** and _soft_')

  // Alice edits her script line; both see the new text, marked edited.
  const mine = article(a.page, 'alert("owned")')
  await mine.hover()
  await mine.getByRole('button', { name: 'Edit', exact: true }).click()
  await a.page.getByTestId('composer-mode').getByText('Editing your message').waitFor()
  await write(a.page, 'never mind, ~~that~~ this')
  const edited = article(b.page, 'never mind')
  await edited.locator('s', { hasText: 'that' }).waitFor()
  await edited.getByText('(edited)').waitFor()
  expect(a.errors.concat(b.errors)).toEqual([])
}, 60_000)

test('a mention is completed, highlighted, counted and notified; the new-messages line shows where reading stopped', async () => {
  const carl = await registerAndLogin(server.url, uniqueName('mc'))
  const dora = await registerAndLogin(server.url, uniqueName('md'))
  const c = await logIn(carl)
  // Dora is on the vault page, in a hidden tab.
  const d = await logIn(dora, '/vault')
  await hide(d.page, true)
  await c.page.getByTestId('members').getByText(dora.username).waitFor()

  await write(c.page, 'a plain line first')
  // Completion: "@" and the start of her name offers her; Enter takes it.
  const box = c.page.getByRole('textbox', { name: 'Message', exact: true })
  await box.fill('')
  await box.pressSequentially(`look @${dora.username.slice(0, 4)}`)
  await c.page.getByTestId('mention-suggestions').getByText(`@${dora.username}`).waitFor()
  await box.press('Enter')
  expect(await box.inputValue()).toBe(`look @${dora.username} `)
  await box.pressSequentially('at this chart')
  await box.press('Enter')
  await article(c.page, 'at this chart').waitFor()

  // Dora: the Chat link counts the mention, and a notification says who mentioned her.
  await d.page.getByTestId('chat-unread').getByText('@1').waitFor()
  await d.page.waitForFunction(() => (window as any).__notifications.length > 0)
  const shown = await d.page.evaluate(() => (window as any).__notifications)
  expect(shown).toEqual([{ title: `${carl.username} mentioned you`, body: `look @${dora.username} at this chart` }])

  // She opens the chat: the line sits above the first message she had not read, her name is highlighted for her,
  // and the count goes once she has seen them.
  await hide(d.page, false)
  await d.page.getByRole('link', { name: 'Chat', exact: true }).click()
  await article(d.page, 'at this chart').locator('.mention.me', { hasText: `@${dora.username}` }).waitFor()
  const line = d.page.getByTestId('new-messages-line')
  await line.waitFor()
  const after = await line.evaluate((el) => el.nextElementSibling?.textContent ?? '')
  expect(after).toContain('a plain line first')
  expect(await article(d.page, 'at this chart').evaluate((el) => el.classList.contains('mentions-me'))).toBe(true)
  await d.page.getByTestId('chat-unread').waitFor({ state: 'detached' })

  // Mark as unread from the plain line: counted again, here and in a second tab of hers.
  const d2 = await logIn(dora, '/vault')
  const plain = article(d.page, 'a plain line first')
  await plain.hover()
  await plain.getByRole('button', { name: 'Mark as unread', exact: true }).click()
  await d2.page.getByTestId('chat-unread').getByText('@1').waitFor()
  expect(c.errors.concat(d.errors, d2.errors)).toEqual([])
}, 60_000)

test('search finds a message in the history and opens the chat there', async () => {
  const erin = await registerAndLogin(server.url, uniqueName('se'))
  // 120 messages through a socket, the fifth with the word to find: more than one page of history.
  const socket = await TestSocket.open(server.url, { authorization: `Bearer ${erin.token}` })
  await socket.next((f) => f.type === 'hello')
  socket.send({ type: 'chat.join', room: 'global' })
  await socket.next((f) => f.type === 'chat.joined')
  for (let i = 0; i < 120; i++) {
    socket.send({ type: 'chat.send', room: 'global', clientId: `s-${i}`, text: i === 4 ? 'the pangolin report is in the vault' : `filler line ${i}` })
  }
  await socket.next((f) => f.type === 'chat.message' && f.clientId === 's-119', 20_000)
  socket.close()

  const e = await logIn(erin)
  await article(e.page, 'filler line 119').waitFor()
  expect(await article(e.page, 'pangolin').count()).toBe(0)
  await e.page.getByRole('button', { name: 'Search', exact: true }).click()
  await e.page.getByLabel('Words to find').fill('PANGOL')
  await e.page.getByLabel('Words to find').press('Enter')
  const hit = e.page.getByTestId('search-hit').filter({ hasText: 'pangolin report' })
  await hit.locator('mark', { hasText: 'pangol' }).waitFor()
  await hit.click()
  const found = article(e.page, 'pangolin report')
  await found.waitFor()
  await expect(found.isVisible()).resolves.toBe(true)
  const inView = await found.evaluate((el) => {
    const box = el.getBoundingClientRect()
    const list = el.closest('.message-list')!.getBoundingClientRect()
    return box.top >= list.top && box.bottom <= list.bottom
  })
  expect(inView).toBe(true)
  // Back to the present.
  await e.page.getByRole('button', { name: 'Jump to the newest messages' }).click()
  await article(e.page, 'filler line 119').waitFor()
  expect(e.errors).toEqual([])
}, 60_000)

test('a private conversation between two pages, started from a name, with unread counts', async () => {
  const finn = await registerAndLogin(server.url, uniqueName('pf'))
  const gail = await registerAndLogin(server.url, uniqueName('pg'))
  const f = await logIn(finn)
  const g = await logIn(gail)
  await f.page.getByTestId('members').getByText(gail.username).waitFor()
  await f.page.getByRole('button', { name: `Chat privately with ${gail.username}`, exact: true }).click()
  await f.page.getByRole('heading', { name: gail.username, exact: true }).waitFor()
  await f.page.getByText('Private conversation').waitFor()
  await write(f.page, 'just between us')
  await article(f.page, 'just between us').waitFor()

  // Gail, on the global chat: the conversation appears in her list with one unread.
  const entry = g.page.getByTestId('conversations').getByRole('link', { name: finn.username })
  await entry.getByText('1', { exact: true }).waitFor()
  await entry.click()
  await article(g.page, 'just between us').waitFor()
  await write(g.page, 'of course')
  await article(f.page, 'of course').waitFor()
  await g.page.getByTestId(`unread-${(await g.page.evaluate(() => location.pathname)).replace('/chat/dm/', 'dm:')}`).waitFor({ state: 'detached' })
  // The global chat did not see any of it.
  await f.page.getByRole('link', { name: 'Everyone' }).click()
  await f.page.getByRole('heading', { name: 'Chat', exact: true }).waitFor()
  expect(await article(f.page, 'just between us').count()).toBe(0)
  expect(f.errors.concat(g.errors)).toEqual([])
}, 60_000)
