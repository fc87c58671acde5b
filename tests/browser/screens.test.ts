// Every page as a person sees it, on a desktop (1280x800) and a phone (390x844), in the light theme and (desktop)
// the dark one the system setting selects: a screenshot of each goes into .test-output/screenshots/ (the path is
// printed) to be looked at, and each page is checked for what a role-based locator never notices: a button whose
// label cannot be read against its background, a control cut off or pushed off screen, an icon button without a
// name, a page wider than the screen; and by axe-core, for every serious or critical WCAG 2.1 A/AA violation
// (colour contrast, names, labels, landmarks, ARIA) at each size and in both themes.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { startServer, type TestServer } from '../support/server'
import { registerAndLogin, requestJson, uniqueName } from '../support/http'
import { launchBrowser, openPageAs, openCall } from '../support/browser'
import { TusClient } from '../support/tus'
import { accessibilityProblems } from '../support/accessibility'

const OUT = join(import.meta.dir, '../../.test-output/screenshots')
const SIZES = [
  { label: 'desktop', width: 1280, height: 800 },
  { label: 'phone', width: 390, height: 844 },
] as const

let server: TestServer
let browser: Browser
beforeAll(async () => {
  mkdirSync(OUT, { recursive: true })
  ;[server, browser] = await Promise.all([
    startServer({ STUN_URLS: '', LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000' }),
    launchBrowser(),
  ])
})
afterAll(async () => {
  await browser?.close()
  await server?.dispose()
})

/** What is wrong on the page as drawn: each visible button must be named, readable (contrast of its text against
 * the background behind it), not cut off (its middle is the button itself, not whatever covers or clips it) and
 * on screen; and the page must not scroll sideways. */
function problemsOnPage(): string[] {
  const problems: string[] = []
  const rgba = (value: string) => {
    const parts = value.match(/[\d.]+/g)?.map(Number) ?? [0, 0, 0, 0]
    return { r: parts[0]!, g: parts[1]!, b: parts[2]!, a: parts.length > 3 ? parts[3]! : 1 }
  }
  const luminance = ({ r, g, b }: { r: number; g: number; b: number }) => {
    const channel = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
  }
  /** The colour drawn behind an element: the first ancestor background that is not transparent. */
  const backgroundOf = (el: Element | null) => {
    for (let node = el; node; node = node.parentElement) {
      const color = rgba(getComputedStyle(node).backgroundColor)
      if (color.a > 0.5) return color
    }
    return rgba(getComputedStyle(document.body).backgroundColor)
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    problems.push(`the page is ${document.documentElement.scrollWidth}px wide on a ${window.innerWidth}px screen`)
  }
  // With a modal dialog open, what is behind it is meant to be covered: only the dialog's buttons count.
  const scope = document.querySelector('[aria-modal="true"]') ?? document
  for (const button of scope.querySelectorAll<HTMLElement>('button, a.button')) {
    const style = getComputedStyle(button)
    const box = button.getBoundingClientRect()
    if (box.width === 0 || box.height === 0 || style.visibility === 'hidden' || Number(style.opacity) === 0) continue
    const name = (button.getAttribute('aria-label') || button.textContent || button.getAttribute('title') || '').trim()
    const label = `button "${name || button.outerHTML.slice(0, 80)}"`
    if (!name) problems.push(`${label} has no name`)
    if (box.right > window.innerWidth + 1 || box.left < -1) problems.push(`${label} is off screen (${Math.round(box.left)}..${Math.round(box.right)})`)
    const x = Math.min(window.innerWidth - 1, Math.max(0, box.left + box.width / 2))
    const y = Math.min(window.innerHeight - 1, Math.max(0, box.top + box.height / 2))
    if (box.top >= 0 && box.bottom <= window.innerHeight) {
      const hit = document.elementFromPoint(x, y)
      if (hit && hit !== button && !button.contains(hit)) problems.push(`${label} is covered or cut off (its middle shows ${hit.tagName.toLowerCase()}.${hit.className})`)
    }
    if (button.textContent?.trim()) {
      const fg = luminance(rgba(style.color))
      const bg = luminance(backgroundOf(button))
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05)
      if (ratio < 3) problems.push(`${label} text contrast is ${ratio.toFixed(2)}:1 (${style.color} on its background)`)
    }
  }
  return problems
}

const shots: string[] = []
/** The pages looked at, for the record of what axe checked. */
const looked: string[] = []
/** What was wrong, on every page looked at: all of it is reported at the end, not just the first page's. */
const failures: Array<{ page: string; view: string; problems: string[] }> = []

/** Screenshots the page at both sizes (and in the dark theme on the desktop) and checks it at each. */
async function look(page: Page, name: string, ready?: (page: Page) => Promise<unknown>) {
  const original = page.viewportSize()
  const views = [...SIZES.map((size) => ({ ...size, theme: 'light' as const })), { ...SIZES[0], label: 'desktop-dark', theme: 'dark' as const }]
  for (const view of views) {
    await page.emulateMedia({ colorScheme: view.theme })
    await page.setViewportSize({ width: view.width, height: view.height })
    await ready?.(page)
    // Let layout, fonts (the emoji font loads the part it needs on demand) and pictures settle after the resize.
    await page.evaluate(() => document.fonts.ready.then(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))))
    const file = join(OUT, `${name}-${view.label}.png`)
    await page.screenshot({ path: file, fullPage: true })
    shots.push(file)
    const problems = [...(await page.evaluate(problemsOnPage)), ...(await accessibilityProblems(page))]
    if (problems.length > 0) failures.push({ page: name, view: view.label, problems })
  }
  looked.push(name)
  await page.emulateMedia({ colorScheme: 'light' })
  if (original) await page.setViewportSize(original)
}

/** Every remote tile on the page has presented frames: what the screenshot shows is video, not black. */
const tilesShowVideo = (count: number) => (page: Page) =>
  page
    .waitForFunction(
      (n) => {
        const tiles = [...document.querySelectorAll<HTMLElement>('[data-testid=call-tile][data-kind=camera]:not([data-member=self])')]
        return tiles.length === n && tiles.every((t) => Number(t.dataset.framesShown) > 0)
      },
      count,
      { timeout: 30_000, polling: 200 },
    )
    .catch(async (error) => {
      const tiles = await page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>('[data-testid=call-tile]')].map((t) => `${t.dataset.name} ${t.dataset.member} shown=${t.dataset.framesShown} decoded=${t.dataset.framesDecoded} path=${t.dataset.path} layer=${t.dataset.layer}`),
      )
      throw new Error(`${(error as Error).message}\n${tiles.join('\n')}`)
    })

test(
  'every page, at desktop and phone size: readable, nothing cut off, screenshots saved',
  async () => {
    // Logged out: the login page.
    const context = await browser.newContext()
    const loginPage = await context.newPage()
    await loginPage.goto(server.url + '/login')
    await loginPage.getByRole('heading', { name: 'Log in' }).waitFor()
    await look(loginPage, 'login')
    await loginPage.goto(server.url + '/register')
    await loginPage.getByRole('button', { name: 'Create account' }).waitFor()
    await look(loginPage, 'register')
    await context.close()

    // Amy first: the first account is the server's admin.
    const amy = await registerAndLogin(server.url, uniqueName('amy'))
    const accounts = [amy, ...(await Promise.all(['bo', 'cy', 'di', 'ed'].map((n) => registerAndLogin(server.url, uniqueName(n)))))]

    // Home, chat (with a message and a reaction), rooms, and the vault with a file and its delete confirmation.
    const home = await openPageAs(browser, server.url, amy, '/')
    await home.page.getByRole('link', { name: 'Chat' }).first().waitFor()
    await look(home.page, 'home')
    await home.page.goto(server.url + '/chat')
    await home.page.getByLabel('Message').fill('Hello everyone — the slides are in the vault 📎')
    await home.page.getByLabel('Message').press('Enter')
    await home.page.locator('article:not(.pending) .text', { hasText: 'slides are in the vault' }).waitFor()
    await look(home.page, 'chat')
    // A picture from the vault in the chat, and the attach dialog.
    const stage = new Uint8Array(await home.page.screenshot({ clip: { x: 0, y: 0, width: 320, height: 200 } }))
    await new TusClient(server.url, amy.token).upload('stage plan.png', stage, 'image/png')
    await new TusClient(server.url, amy.token).upload('rider and contacts.pdf', new Uint8Array(3000), 'application/pdf')
    await home.page.getByRole('button', { name: 'Attach a file' }).click()
    await home.page.getByRole('dialog').getByRole('button', { name: 'Attach stage plan.png' }).waitFor()
    await look(home.page, 'chat-attach')
    await home.page.getByRole('dialog').getByRole('button', { name: 'Attach stage plan.png' }).click()
    // The attachment is staged once its share is made: only then does the message carry it.
    await home.page.getByTestId('staged-attachment').getByText('stage plan.png').waitFor()
    await home.page.getByLabel('Message').fill('the stage plan for Saturday')
    await home.page.getByLabel('Message').press('Enter')
    await home.page.getByRole('button', { name: 'Attach a file' }).click()
    await home.page.getByRole('dialog').getByRole('button', { name: 'Attach rider and contacts.pdf' }).click()
    await home.page.getByTestId('staged-attachment').getByText('rider and contacts.pdf').waitFor()
    await home.page.getByRole('button', { name: 'Send' }).click()
    await home.page.locator('[data-testid=attachment][data-state=live]', { hasText: 'rider and contacts.pdf' }).waitFor()
    await home.page.waitForFunction(() => (document.querySelector<HTMLImageElement>('[data-testid=attachment] img')?.naturalWidth ?? 0) > 0)
    await look(home.page, 'chat-attachments')
    // The chat people expect: a reply being written with a mention being completed, then the formatted reply; a
    // private conversation; search.
    const boAccount = accounts[1]!
    const slides = home.page.locator('article:not(.pending)', { hasText: 'slides are in the vault' })
    await slides.hover()
    await slides.getByRole('button', { name: 'Reply', exact: true }).click()
    const box = home.page.getByRole('textbox', { name: 'Message', exact: true })
    await box.pressSequentially(`**Thanks!** @${boAccount.username.slice(0, 3)}`)
    await home.page.getByTestId('mention-suggestions').getByText(`@${boAccount.username}`).waitFor()
    await look(home.page, 'chat-reply-mention')
    await box.press('Enter')
    await box.pressSequentially('please check `plan.pdf` and https://example.org/stage')
    await box.press('Enter')
    await home.page.locator('article:not(.pending) [data-testid=reply-quote]').waitFor()
    await look(home.page, 'chat-formatted-reply')
    const conversation = await requestJson(`${server.url}/api/chat/conversations`, { body: { usernames: [boAccount.username] }, headers: { authorization: `Bearer ${amy.token}` } })
    await home.page.goto(`${server.url}/chat/dm/${conversation.body.conversation.id}`)
    await home.page.getByText('Private conversation').waitFor()
    await box.fill('Can you bring the _long_ cable on Saturday?')
    await box.press('Enter')
    await home.page.locator('article:not(.pending) em', { hasText: 'long' }).waitFor()
    await look(home.page, 'chat-conversation')
    await home.page.getByRole('button', { name: 'Search', exact: true }).click()
    await home.page.getByLabel('Words to find').fill('stage')
    await home.page.getByLabel('Words to find').press('Enter')
    await home.page.getByTestId('search-hit').first().waitFor()
    await look(home.page, 'chat-search')
    await home.page.goto(server.url + '/rooms')
    await home.page.getByRole('heading', { name: /rooms/i }).first().waitFor()
    await look(home.page, 'rooms')
    await new TusClient(server.url, amy.token).upload('quarterly report with a long name.pdf', new Uint8Array(2048), 'application/pdf')
    await home.page.goto(server.url + '/vault')
    await home.page.getByText('quarterly report with a long name.pdf').waitFor()
    await look(home.page, 'vault')
    await home.page.getByRole('button', { name: 'Delete' }).first().click()
    await look(home.page, 'vault-delete')
    await home.page.getByRole('dialog').getByRole('button', { name: 'Keep it' }).click()
    // Sharing the file: the dialog, the link made, and the page someone with the link sees (with a password).
    await home.page.getByRole('button', { name: 'Share' }).first().click()
    await home.page.getByRole('dialog').getByLabel('Password (optional)').fill('open sesame')
    await look(home.page, 'vault-share')
    await home.page.getByRole('dialog').getByRole('button', { name: 'Create link' }).click()
    const shareUrl = await home.page.getByTestId('share-url').inputValue()
    await look(home.page, 'vault-share-link')
    await home.page.getByRole('dialog').getByRole('button', { name: 'Done' }).click()
    await home.page.getByTestId('share-links').waitFor()
    await look(home.page, 'vault-with-links')
    // Folders: one holding a picture, opened (breadcrumbs, thumbnail); the picture previewed; the move dialog; the
    // folder shared with Bo (the share dialog for a folder), and what Bo sees under "Shared with me".
    const picture = new Uint8Array(await home.page.screenshot({ clip: { x: 0, y: 0, width: 320, height: 200 } }))
    const asAmy = { authorization: `Bearer ${amy.token}` }
    const folderId = (await requestJson(`${server.url}/api/vault/folders`, { body: { name: 'Team photos from the offsite' }, headers: asAmy })).body.folder.id
    await requestJson(`${server.url}/api/vault/folders`, { body: { name: 'Day two', parentId: folderId }, headers: asAmy })
    await new TusClient(server.url, amy.token).upload('the whole team on the beach.png', picture, 'image/png', folderId)
    await new TusClient(server.url, amy.token).upload('schedule.txt', new TextEncoder().encode('09:00 breakfast\n10:00 talks\n'), 'text/plain', folderId)
    await home.page.goto(`${server.url}/vault?folder=${folderId}`)
    await home.page.waitForFunction(() => (document.querySelector<HTMLImageElement>('img.thumb')?.naturalWidth ?? 0) > 0)
    await look(home.page, 'vault-folder')
    await home.page.getByRole('button', { name: 'Preview the whole team on the beach.png' }).click()
    await home.page.waitForFunction(() => (document.querySelector<HTMLImageElement>('[data-testid=preview] img')?.naturalWidth ?? 0) > 0)
    await look(home.page, 'vault-preview')
    await home.page.getByRole('dialog').getByRole('button', { name: 'Close' }).click()
    await home.page.getByRole('button', { name: 'Preview schedule.txt' }).click()
    await home.page.locator('[data-testid=preview] pre', { hasText: 'breakfast' }).waitFor()
    await look(home.page, 'vault-preview-text')
    await home.page.getByRole('dialog').getByRole('button', { name: 'Close' }).click()
    await home.page.locator('tr[data-file-id]').first().getByRole('button', { name: 'Move' }).click()
    await home.page.getByRole('dialog').getByRole('button', { name: 'Day two' }).waitFor()
    await look(home.page, 'vault-move')
    await home.page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click()
    await home.page.getByRole('navigation', { name: 'Folder' }).getByRole('link', { name: 'My files' }).click()
    await home.page.locator('tr[data-folder-id]').first().getByRole('button', { name: 'Share' }).click()
    await home.page.getByRole('dialog').getByLabel('Username').fill(accounts[1]!.username)
    await home.page.getByRole('dialog').getByRole('button', { name: 'Share', exact: true }).click()
    await home.page.getByTestId('shared-with').getByText(accounts[1]!.username).waitFor()
    await home.page.getByRole('dialog').getByRole('button', { name: 'Create upload link' }).click()
    const dropUrl = await home.page.getByRole('dialog').getByTestId('drop-url').inputValue()
    await look(home.page, 'vault-share-folder')
    await home.page.getByRole('dialog').getByRole('button', { name: 'Done' }).click()
    // The file drop's page, as a stranger sees it, with an upload done.
    const dropper = await browser.newContext()
    const dropPage = await dropper.newPage()
    await dropPage.goto(dropUrl)
    await dropPage.getByLabel('Choose files to upload').setInputFiles({ name: 'photos from my phone.zip', mimeType: 'application/zip', buffer: Buffer.alloc(200_000) })
    await dropPage.locator('li.upload', { hasText: 'done' }).waitFor()
    await look(dropPage, 'drop-page')
    await dropper.close()
    const bo = await openPageAs(browser, server.url, accounts[1]!, '/vault/shared')
    await bo.page.locator('tr[data-grant]').first().waitFor()
    await look(bo.page, 'vault-shared-with-me')
    await bo.page.getByRole('link', { name: 'Team photos from the offsite', exact: true }).click()
    await bo.page.getByRole('button', { name: 'Preview schedule.txt' }).waitFor()
    await look(bo.page, 'vault-shared-folder')
    await bo.context.close()
    const outsider = await browser.newContext()
    const sharePage = await outsider.newPage()
    await sharePage.goto(shareUrl)
    await sharePage.getByRole('button', { name: 'Unlock' }).waitFor()
    await look(sharePage, 'share-page')
    await outsider.close()
    // Amy registered first: she is the admin. Her admin page, with an invite link made, and a delete confirmation.
    await home.page.goto(server.url + '/admin')
    await home.page.getByRole('button', { name: 'Create invite link' }).click()
    const inviteUrl = await home.page.getByTestId('invite-url').inputValue()
    await home.page.locator('[data-testid=users] tr[data-user]').nth(4).waitFor()
    await home.page.getByTestId('audit').locator('li[data-action]').first().waitFor()
    await look(home.page, 'admin')
    await home.page.locator('[data-testid=users] tr[data-user]').nth(1).getByRole('button', { name: 'Delete' }).click()
    await look(home.page, 'admin-delete')
    await home.context.close()
    // The invite link, opened by someone logged out.
    const invited = await browser.newContext()
    const invitedPage = await invited.newPage()
    await invitedPage.goto(inviteUrl)
    await invitedPage.getByTestId('invited').waitFor()
    await look(invitedPage, 'register-invited')
    await invited.close()

    // A call of 2 with the room chat open, then of 5 (on the SFU).
    const room = uniqueName('look').replace(/_/g, '-')
    const pages = []
    try {
      // Amy's pre-join screen, her camera in the preview, then Bo's showing that Amy is in the room.
      const first = await openPageAs(browser, server.url, accounts[0]!, `/rooms/${room}`)
      pages.push(first)
      const previewPlays = (page: Page) => page.waitForFunction(() => (document.querySelector<HTMLVideoElement>('[data-testid=preview]')?.videoWidth ?? 0) > 0, undefined, { timeout: 10_000 })
      await look(first.page, 'prejoin', previewPlays)
      await first.page.getByRole('button', { name: 'Join now', exact: true }).click()
      await first.page.locator('[data-testid=call][data-phase=joined]').waitFor({ timeout: 20_000 })
      const second = await openPageAs(browser, server.url, accounts[1]!, `/rooms/${room}`)
      pages.push(second)
      await second.page.getByTestId('prejoin-people').getByText(`${accounts[0]!.username} is here`).waitFor()
      await look(second.page, 'prejoin-someone-here', previewPlays)
      await second.page.getByRole('button', { name: 'Join now', exact: true }).click()
      await second.page.locator('[data-testid=call][data-phase=joined]').waitFor({ timeout: 20_000 })
      const viewer = pages[0]!.page
      // The room chat is open beside the call from the start.
      await viewer.getByTestId('room-chat').getByLabel('Message').fill('can everyone hear me?')
      await viewer.getByTestId('room-chat').getByLabel('Message').press('Enter')
      await viewer.getByTestId('room-chat').locator('article:not(.pending) .text', { hasText: 'can everyone hear me?' }).waitFor()
      await look(viewer, 'call-2', tilesShowVideo(1))
      // Amy (the admin) hosts: her menu for another member.
      await viewer.getByRole('button', { name: `Options for ${accounts[1]!.username}`, exact: true }).click()
      await look(viewer, 'call-host-menu')
      await viewer.getByRole('dialog').getByRole('button', { name: 'Close' }).click()
      // Bo raises his hand and reacts; Amy looks in speaker view, then at the shortcuts and a connection's details.
      await second.page.getByTestId('toggle-hand').click()
      await second.page.getByTestId('toggle-reactions').click()
      await second.page.getByRole('button', { name: 'Applause', exact: true }).click()
      await viewer.getByTestId('hands').waitFor()
      await viewer.getByTestId('toggle-layout').click()
      // With the chat closed (on a phone an open chat takes the call's place).
      await viewer.keyboard.press('c')
      await look(viewer, 'call-speaker-hands', tilesShowVideo(1))
      await viewer.keyboard.press('c')
      await look(second.page, 'call-reactions-open', tilesShowVideo(1))
      await viewer.getByTestId('toggle-layout').click()
      await viewer.keyboard.press('?')
      await look(viewer, 'call-shortcuts')
      await viewer.getByRole('dialog').getByRole('button', { name: 'Close' }).click()
      await viewer.locator('[data-testid=call-tile]:not([data-member=self]) [data-testid=tile-quality]').first().click()
      await look(viewer, 'call-connection')
      await viewer.getByRole('dialog').getByRole('button', { name: 'Close' }).click()
      for (const account of accounts.slice(2)) {
        const opened = await openCall(browser, server.url, account, room)
        await opened.page.locator('[data-testid=call][data-phase=joined]').waitFor({ timeout: 20_000 })
        pages.push(opened)
      }
      await viewer.locator('[data-testid=call][data-mode=sfu]').waitFor({ timeout: 20_000 })
      await look(viewer, 'call-5', tilesShowVideo(4))
      expect(pages.flatMap((p) => p.errors)).toEqual([])
    } finally {
      for (const p of pages) await p.context.close().catch(() => {})
    }
    expect(failures).toEqual([])
    console.log(`screenshots (${shots.length}) in ${OUT}; axe found no serious or critical violation on: ${looked.join(', ')}`)
  },
  // 37 pages in three views each, every view with a screenshot and a full axe-core analysis: 155-175 s on two
  // cores by itself, which 180 s left no room for on a loaded machine.
  360_000,
)
