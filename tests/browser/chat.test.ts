// Two people in the global chat, in two real browser pages: they see each other arrive, talk with emoji, react,
// and one reloads and finds the conversation still there.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { startServer, type TestServer } from '../support/server'
import { registerAndLogin, requestJson, uniqueName } from '../support/http'
import { TusClient, randomBytes, sha256 } from '../support/tus'
import { launchBrowser } from '../support/browser'

let server: TestServer
let browser: Browser

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer({ PRESENCE_GRACE_MS: '500' }), launchBrowser()])
})
afterAll(async () => {
  await browser?.close()
  await server?.dispose()
})

async function openChatAs(username: string, password: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ acceptDownloads: true })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  page.on('dialog', (dialog) => {
    errors.push(`dialog opened: ${dialog.message()}`)
    void dialog.dismiss()
  })
  await page.goto(server.url + '/login')
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByRole('link', { name: 'Chat', exact: true }).click()
  await page.getByRole('heading', { name: 'Chat', exact: true }).waitFor()
  return { page, errors }
}

const messageText = (page: Page, text: string) => page.getByTestId('message-list').locator('article:not(.pending) .text', { hasText: text })

test('two people chat with emoji and reactions, and a reload keeps the history', async () => {
  const alice = await registerAndLogin(server.url, uniqueName('alice'))
  const bob = await registerAndLogin(server.url, uniqueName('bob'))
  const a = await openChatAs(alice.username, alice.password)
  const b = await openChatAs(bob.username, bob.password)

  // Both see each other present.
  await a.page.getByTestId('members').getByText(bob.username).waitFor()
  await b.page.getByTestId('members').getByText(alice.username).waitFor()

  // Alice writes with emoji; both see it, and her copy turns from sending to sent.
  const hello = 'Hello Bob 👋🏽 family 👨‍👩‍👧 flag 🇯🇵'
  await a.page.getByLabel('Message').fill(hello)
  await a.page.getByLabel('Message').press('Enter')
  await messageText(a.page, hello).waitFor()
  await messageText(b.page, hello).waitFor()
  expect(await messageText(b.page, hello).textContent()).toBe(hello)
  await expect(a.page.locator('article.pending').count()).resolves.toBe(0)

  // Bob types: Alice sees the indicator. Then he answers with an emoji from the picker.
  await b.page.getByLabel('Message').pressSequentially('Hi')
  await a.page.getByText(`${bob.username} is typing…`).waitFor()
  await b.page.getByRole('button', { name: 'Insert emoji' }).click()
  const picker = b.page.locator('emoji-picker')
  await picker.locator('button[role="menuitem"]').first().waitFor({ timeout: 15_000 })
  const firstEmoji = (await picker.locator('button[role="menuitem"]').first().textContent())!
  await picker.locator('button[role="menuitem"]').first().click()
  // The picker answers a click asynchronously (it looks the emoji up in its IndexedDB).
  await b.page.waitForFunction(() => (document.querySelector('textarea') as HTMLTextAreaElement).value.length > 2)
  const draft = await b.page.getByLabel('Message').inputValue()
  expect(draft).toBe(`Hi${firstEmoji}`)
  await b.page.getByRole('button', { name: 'Send' }).click()
  await messageText(a.page, draft).waitFor()

  // Markup is shown as text and never runs.
  const hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
  await a.page.getByLabel('Message').fill(hostile)
  await a.page.getByLabel('Message').press('Enter')
  await messageText(b.page, hostile).waitFor()
  expect(await b.page.locator('.message-list img').count()).toBe(0)

  // Bob reacts to Alice's first message; Alice sees the count, then adds hers.
  const aliceMessage = b.page.locator('article', { has: b.page.locator('.text', { hasText: hello }) })
  await aliceMessage.hover()
  await aliceMessage.getByRole('button', { name: 'Add a reaction' }).click()
  await b.page.locator('emoji-picker button[role="menuitem"]').first().click()
  const reactionOnA = a.page.locator('article', { has: a.page.locator('.text', { hasText: hello }) }).locator('button.reaction:not(.add)')
  await reactionOnA.first().waitFor()
  expect((await reactionOnA.first().textContent())!.trim().endsWith('1')).toBe(true)
  await reactionOnA.first().click()
  await a.page.locator('article', { has: a.page.locator('.text', { hasText: hello }) }).locator('button.reaction.mine').waitFor()
  expect((await reactionOnA.first().textContent())!.trim().endsWith('2')).toBe(true)

  // Bob reloads: the conversation and the reactions are still there, and Alice sees no leave.
  await b.page.reload()
  await messageText(b.page, hello).waitFor()
  await messageText(b.page, hostile).waitFor()
  const reactionOnB = b.page.locator('article', { has: b.page.locator('.text', { hasText: hello }) }).locator('button.reaction:not(.add)')
  expect((await reactionOnB.first().textContent())!.trim().endsWith('2')).toBe(true)
  await a.page.waitForTimeout(800)
  await a.page.getByTestId('members').getByText(bob.username).waitFor()

  // Bob leaves for good: Alice sees him go.
  await b.page.context().close()
  await a.page.getByTestId('members').getByText(bob.username).waitFor({ state: 'detached' })

  expect(a.errors).toEqual([])
  expect(b.errors).toEqual([])
  await a.page.context().close()
}, 120_000)

test('after the server goes away and comes back, the page reconnects, resends what was pending and catches up', async () => {
  // A fixed port, so the restarted server is where the pages expect it.
  const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() })
  const port = probe.port
  probe.stop(true)
  let own = await startServer({ PORT: String(port), PRESENCE_GRACE_MS: '500' })
  try {
    const carol = await registerAndLogin(own.url, uniqueName('carol'))
    const dave = await registerAndLogin(own.url, uniqueName('dave'))
    const url = own.url
    const open = async (account: typeof carol) => {
      const page = await (await browser.newContext()).newPage()
      await page.goto(url + '/login')
      await page.getByLabel('Username').fill(account.username)
      await page.getByLabel('Password').fill(account.password)
      await page.getByRole('button', { name: 'Log in' }).click()
      await page.getByRole('link', { name: 'Chat', exact: true }).click()
      await page.getByTestId('connection-status').filter({ hasText: 'online' }).waitFor()
      return page
    }
    const c = await open(carol)
    const d = await open(dave)
    await c.getByLabel('Message').fill('before the outage')
    await c.getByLabel('Message').press('Enter')
    await messageText(d, 'before the outage').waitFor()

    await own.stop()
    await c.getByTestId('connection-status').filter({ hasText: /offline|connecting/ }).waitFor()
    // Written while the server is away: shown as sending, not lost.
    await c.getByLabel('Message').fill('written offline 📴')
    await c.getByLabel('Message').press('Enter')
    await c.locator('article.pending', { hasText: 'written offline' }).waitFor()

    own = await own.restart()
    // Both pages come back by themselves; Carol's pending message goes out once, and Dave receives it.
    await c.getByTestId('connection-status').filter({ hasText: 'online' }).waitFor({ timeout: 30_000 })
    await d.getByTestId('connection-status').filter({ hasText: 'online' }).waitFor({ timeout: 30_000 })
    await messageText(d, 'written offline 📴').waitFor({ timeout: 15_000 })
    await messageText(c, 'written offline 📴').waitFor()
    await expect(c.locator('article.pending').count()).resolves.toBe(0)
    expect(await messageText(d, 'before the outage').count()).toBe(1)
    expect(await messageText(d, 'written offline 📴').count()).toBe(1)
    await c.context().close()
    await d.context().close()
  } finally {
    await own.dispose()
  }
}, 120_000)

test('files in chat: one attached from the vault shows as a picture for the others, one uploaded on the spot downloads byte-identical; revoked, it shows as gone', async () => {
  const alice = await registerAndLogin(server.url, uniqueName('alice'))
  const bob = await registerAndLogin(server.url, uniqueName('bob'))
  const a = await openChatAs(alice.username, alice.password)
  const b = await openChatAs(bob.username, bob.password)
  const picture = new Uint8Array(await a.page.screenshot({ clip: { x: 0, y: 0, width: 240, height: 150 } }))
  await new TusClient(server.url, alice.token).upload('sketch of the stage.png', picture, 'image/png')

  // From the vault, with a line of text.
  await a.page.getByRole('button', { name: 'Attach a file' }).click()
  await a.page.getByRole('dialog', { name: 'Attach a file' }).getByRole('button', { name: 'Attach sketch of the stage.png' }).click()
  await a.page.getByTestId('staged-attachment').getByText('sketch of the stage.png').waitFor()
  await a.page.getByLabel('Message').fill('the stage, as planned')
  await a.page.getByLabel('Message').press('Enter')
  await messageText(b.page, 'the stage, as planned').waitFor()
  await b.page.waitForFunction(() => {
    const img = document.querySelector<HTMLImageElement>('[data-testid=attachment] img')
    return !!img && img.complete && img.naturalWidth === 240 && img.naturalHeight === 150
  })

  // Uploaded on the spot, no text: it goes into Alice's vault and into the message.
  const notes = randomBytes(150_000)
  await a.page.getByRole('button', { name: 'Attach a file' }).click()
  await a.page.getByRole('dialog', { name: 'Attach a file' }).getByLabel('Choose files to upload').setInputFiles({ name: 'rider.bin', mimeType: 'application/octet-stream', buffer: Buffer.from(notes) })
  await a.page.getByTestId('staged-attachment').getByText('rider.bin').waitFor({ timeout: 20_000 })
  await a.page.getByRole('button', { name: 'Send' }).click()
  const card = b.page.locator('[data-testid=attachment][data-state=live]', { hasText: 'rider.bin' })
  await card.waitFor()
  const [download] = await Promise.all([b.page.waitForEvent('download'), card.getByRole('button', { name: 'Download' }).click()])
  const saved = await download.path()
  expect(sha256(new Uint8Array(await Bun.file(saved!).arrayBuffer()))).toBe(sha256(notes))

  // Alice revokes the link of the file in her vault: Bob's next click finds it gone.
  const shares = (await requestJson(`${server.url}/api/vault/shares`, { headers: { authorization: `Bearer ${alice.token}` } })).body.shares
  const riderShare = shares.find((s: any) => s.fileName === 'rider.bin')
  expect((await fetch(`${server.url}/api/vault/shares/${riderShare.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${alice.token}` } })).status).toBe(204)
  await card.getByRole('button', { name: 'Download' }).click()
  await b.page.locator('[data-testid=attachment][data-state=gone]', { hasText: 'rider.bin' }).waitFor()
  expect(a.errors).toEqual([])
  expect(b.errors).toEqual([])
  await a.page.context().close()
  await b.page.context().close()
}, 60_000)
