// Folders, previews and sharing with people in a real browser, checked by what a person sees: a folder made and
// opened, files uploaded into it through the page, a picture previewed and decoded (and its thumbnail), text shown
// as text, a PDF in the browser's viewer, the folder downloaded as a zip with every file byte-identical; then the
// folder shared with another person, who finds it under "Shared with me" with the owner's name, opens it, downloads
// a file byte-identical, has nothing to rename or delete, and loses it when the owner stops sharing.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { unzipSync } from 'fflate'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer, type TestServer } from '../support/server'
import { registerAndLogin } from '../support/http'
import { launchBrowser, openPageAs } from '../support/browser'
import { randomBytes, sha256 } from '../support/tus'

let server: TestServer
let browser: Browser
let work: string
const pages: Array<{ context: { close(): Promise<void> } }> = []

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer({ LOGIN_LIMIT_PER_ADDRESS: '1000', REGISTER_LIMIT_PER_ADDRESS: '1000' }), launchBrowser()])
  work = mkdtempSync(join(tmpdir(), 'partyroom-folders-ui-'))
})
afterAll(async () => {
  for (const opened of pages) await opened.context.close().catch(() => {})
  await browser?.close()
  await server?.dispose()
  rmSync(work, { recursive: true, force: true })
})

const PDF = `%PDF-1.4
1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 200]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj
4 0 obj<</Length 44>>stream
BT /F1 24 Tf 40 100 Td (Hello PDF) Tj ET
endstream endobj
5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj
trailer<</Root 1 0 R>>
%%EOF
`

async function downloadBytes(page: Page, click: () => Promise<void>): Promise<{ name: string; bytes: Uint8Array }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()])
  const path = join(work, `${crypto.randomUUID()}-${download.suggestedFilename()}`)
  await download.saveAs(path)
  return { name: download.suggestedFilename(), bytes: new Uint8Array(readFileSync(path)) }
}

test(
  'a folder: made, opened, filled through the page, its files previewed as a person sees them, downloaded as a zip byte-identical',
  async () => {
    const alice = await registerAndLogin(server.url)
    const opened = await openPageAs(browser, server.url, alice, '/vault')
    pages.push(opened)
    const { page } = opened
    await page.getByText('No files yet.').waitFor()
    await page.getByRole('button', { name: 'New folder' }).click()
    await page.getByLabel('Folder name').fill('Holiday 2026')
    await page.getByRole('button', { name: 'Create' }).click()
    await page.getByRole('link', { name: 'Holiday 2026', exact: true }).click()
    await page.getByText('This folder is empty.').waitFor()
    await expect(page.getByRole('navigation', { name: 'Folder' }).innerText()).resolves.toContain('Holiday 2026')

    // A real picture (a screenshot of the page), a note and a PDF, uploaded into the folder through the page.
    const picture = new Uint8Array(await page.screenshot({ clip: { x: 0, y: 0, width: 320, height: 200 } }))
    const note = new TextEncoder().encode('Packing list\n- towel\n- <b>not bold</b>\n')
    const extra = randomBytes(300_000)
    const files = [
      { name: 'beach.png', mimeType: 'image/png', buffer: Buffer.from(picture) },
      { name: 'packing.txt', mimeType: 'text/plain', buffer: Buffer.from(note) },
      { name: 'tickets.pdf', mimeType: 'application/pdf', buffer: Buffer.from(PDF) },
      { name: 'raw.bin', mimeType: 'application/octet-stream', buffer: Buffer.from(extra) },
    ]
    await page.getByLabel('Choose files to upload').setInputFiles(files)
    for (const file of files) await page.locator('tr[data-file-id]', { hasText: file.name }).waitFor({ timeout: 20_000 })

    // The thumbnail was made by the page from the picture it uploaded (160 pixels on the long side) and is stored:
    // the list shows it from the server. The preview shows the picture itself, decoded, at its size.
    await page.waitForFunction(() => {
      const thumb = document.querySelector<HTMLImageElement>('img.thumb')
      return !!thumb && thumb.complete && thumb.src.endsWith('/thumbnail') && thumb.naturalWidth === 160 && thumb.naturalHeight === 100
    })
    await page.getByRole('button', { name: 'Preview beach.png' }).click()
    const dialog = page.getByRole('dialog', { name: 'Preview of beach.png' })
    await dialog.waitFor()
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('[data-testid=preview] img')
      return !!img && img.complete && img.naturalWidth === 320 && img.naturalHeight === 200
    })
    await dialog.getByRole('button', { name: 'Close' }).click()

    // Text is shown as text: the markup in it is not markup.
    await page.getByRole('button', { name: 'Preview packing.txt' }).click()
    const text = page.locator('[data-testid=preview] pre')
    await text.getByText('Packing list').waitFor()
    expect(await text.innerText()).toContain('- <b>not bold</b>')
    expect(await page.locator('[data-testid=preview] b').count()).toBe(0)
    await page.getByRole('button', { name: 'Close' }).click()

    // The PDF opens in the browser's viewer, framed by our page and nothing else.
    const [pdfResponse] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/content?inline=1') && r.request().resourceType() === 'document'),
      page.getByRole('button', { name: 'Preview tickets.pdf' }).click(),
    ])
    expect(pdfResponse.status()).toBe(200)
    expect(pdfResponse.headers()['content-disposition']).toStartWith('inline')
    expect(pdfResponse.headers()['content-security-policy']).toContain("frame-ancestors 'self'")
    await page.waitForFunction(() => !!document.querySelector('[data-testid=preview] iframe'))
    for (let i = 0; i < 50 && !page.frames().some((f) => f.url().startsWith('chrome-extension://')); i++) await page.waitForTimeout(100)
    expect(page.frames().map((f) => f.url()).filter((u) => u.startsWith('chrome-error'))).toEqual([])
    expect(page.frames().some((f) => f.url().startsWith('chrome-extension://'))).toBe(true)
    await page.getByRole('button', { name: 'Close' }).click()

    // A type with no preview is a plain name; the folder downloads as a zip of exactly what was uploaded.
    expect(await page.getByRole('button', { name: 'Preview raw.bin' }).count()).toBe(0)
    const zip = await downloadBytes(page, () => page.getByRole('link', { name: 'Download as zip' }).click())
    expect(zip.name).toBe('Holiday 2026.zip')
    const entries = unzipSync(zip.bytes)
    expect(Object.keys(entries).sort()).toEqual(['Holiday 2026/', ...files.map((f) => `Holiday 2026/${f.name}`)].sort())
    for (const file of files) expect(sha256(entries[`Holiday 2026/${file.name}`]!)).toBe(sha256(new Uint8Array(file.buffer)))

    // Move a file out to the top level with the move dialog; the breadcrumb leads back.
    await page.locator('tr[data-file-id]', { hasText: 'raw.bin' }).getByRole('button', { name: 'Move' }).click()
    const move = page.getByRole('dialog', { name: 'Move file' })
    await move.getByRole('button', { name: 'Vault' }).click()
    await move.getByRole('button', { name: 'Holiday 2026' }).waitFor()
    await move.getByRole('button', { name: 'Move here' }).click()
    await page.locator('tr[data-file-id]', { hasText: 'raw.bin' }).waitFor({ state: 'detached' })
    await page.getByRole('navigation', { name: 'Folder' }).getByRole('link', { name: 'My files' }).click()
    await page.locator('tr[data-file-id]', { hasText: 'raw.bin' }).waitFor()
    await page.locator('tr[data-folder-id]', { hasText: 'Holiday 2026' }).waitFor()
    expect(opened.errors).toEqual([])
  },
  120_000,
)

test(
  'a folder shared with a person: they find it with the owner’s name, open it, download byte-identical, change nothing; it goes when the owner stops sharing',
  async () => {
    const alice = await registerAndLogin(server.url)
    const bob = await registerAndLogin(server.url)
    const owner = await openPageAs(browser, server.url, alice, '/vault')
    pages.push(owner)
    await owner.page.getByRole('button', { name: 'New folder' }).click()
    await owner.page.getByLabel('Folder name').fill('Band recordings')
    await owner.page.getByRole('button', { name: 'Create' }).click()
    await owner.page.getByRole('link', { name: 'Band recordings', exact: true }).click()
    await owner.page.getByText('This folder is empty.').waitFor()
    const take = randomBytes(2_000_000)
    await owner.page.getByLabel('Choose files to upload').setInputFiles({ name: 'take 3.wav', mimeType: 'application/octet-stream', buffer: Buffer.from(take) })
    await owner.page.locator('tr[data-file-id]', { hasText: 'take 3.wav' }).waitFor({ timeout: 20_000 })
    await owner.page.getByRole('navigation', { name: 'Folder' }).getByRole('link', { name: 'My files' }).click()
    await owner.page.locator('tr[data-folder-id]', { hasText: 'Band recordings' }).getByRole('button', { name: 'Share' }).click()
    const share = owner.page.getByRole('dialog', { name: 'Share folder' })
    await share.getByLabel('Username').fill('nobody_with_this_name')
    await share.getByRole('button', { name: 'Share', exact: true }).click()
    await share.getByRole('alert').getByText('no user has that name').waitFor()
    await share.getByLabel('Username').fill(bob.username)
    await share.getByRole('button', { name: 'Share', exact: true }).click()
    await share.getByTestId('shared-with').getByText(bob.username).waitFor()
    await share.getByRole('button', { name: 'Done' }).click()
    await owner.page.getByTestId('grants').getByText(bob.username).waitFor()

    const recipient = await openPageAs(browser, server.url, bob, '/vault/shared')
    pages.push(recipient)
    const { page } = recipient
    const row = page.locator('tr[data-grant]', { hasText: 'Band recordings' })
    await row.waitFor()
    expect(await row.innerText()).toContain(alice.username)
    await row.getByRole('link', { name: 'Band recordings', exact: true }).click()
    const file = page.locator('tr[data-file-id]', { hasText: 'take 3.wav' })
    await file.waitFor()
    // Read-only: no control that would change the owner's files.
    for (const name of ['Rename', 'Delete', 'Move', 'Share', 'New folder']) expect(await page.getByRole('button', { name }).count()).toBe(0)
    expect(await page.getByLabel('Choose files to upload').count()).toBe(0)
    const got = await downloadBytes(page, () => file.getByRole('link', { name: 'Download' }).click())
    expect(got.name).toBe('take 3.wav')
    expect(sha256(got.bytes)).toBe(sha256(take))

    // The owner stops sharing: the folder is gone from Bob's list, and opening it again says it is not shared.
    await owner.page.getByTestId('grants').getByRole('button', { name: 'Stop sharing' }).click()
    await owner.page.getByTestId('grants').waitFor({ state: 'detached' })
    await page.getByRole('link', { name: 'Shared with me' }).first().click()
    await page.getByText('Nothing has been shared with you yet.').waitFor()
    await page.goBack()
    await page.getByText('This folder is not shared with you (any more).').waitFor()
    expect(recipient.errors).toEqual([])
    expect(owner.errors).toEqual([])
  },
  120_000,
)

test(
  'a file drop: the owner makes the link; a stranger with no account uploads through it and sees only their own; the owner gets the file byte-identical',
  async () => {
    const alice = await registerAndLogin(server.url)
    const owner = await openPageAs(browser, server.url, alice, '/vault')
    pages.push(owner)
    await owner.page.getByRole('button', { name: 'New folder' }).click()
    await owner.page.getByLabel('Folder name').fill('Submissions')
    await owner.page.getByRole('button', { name: 'Create' }).click()
    await owner.page.locator('tr[data-folder-id]', { hasText: 'Submissions' }).getByRole('button', { name: 'Share' }).click()
    const dialog = owner.page.getByRole('dialog', { name: 'Share folder' })
    await dialog.getByRole('button', { name: 'Create upload link' }).click()
    const url = await dialog.getByTestId('drop-url').inputValue()
    expect(url).toMatch(/\/d\/[A-Za-z0-9_-]{43}$/)
    await dialog.getByTestId('drops').getByRole('button', { name: 'Close this upload link' }).waitFor()
    await dialog.getByRole('button', { name: 'Done' }).click()

    // A stranger: a fresh browser context, no account.
    const stranger = await browser.newContext()
    pages.push({ context: stranger })
    const page = await stranger.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(url)
    await page.getByRole('heading', { name: `Send files to ${alice.username}` }).waitFor()
    expect(await page.getByTestId('drop-meta').innerText()).toContain('Submissions')
    const essay = randomBytes(3_000_000)
    await page.getByLabel('Choose files to upload').setInputFiles({ name: 'my essay.pdf', mimeType: 'application/pdf', buffer: Buffer.from(essay) })
    const item = page.locator('li.upload', { hasText: 'my essay.pdf' })
    await item.locator('text=done').waitFor({ timeout: 20_000 })
    expect(await page.locator('progress').first().getAttribute('value')).toBe(String(essay.byteLength))
    // Only what this browser sent is listed: nothing of the folder.
    expect(await page.locator('li.upload').count()).toBe(1)
    expect(errors).toEqual([])

    // The owner has it, in the folder, byte-identical.
    await owner.page.getByRole('link', { name: 'Submissions', exact: true }).click()
    const row = owner.page.locator('tr[data-file-id]', { hasText: 'my essay.pdf' })
    await row.waitFor()
    const got = await downloadBytes(owner.page, () => row.getByRole('link', { name: 'Download' }).click())
    expect(sha256(got.bytes)).toBe(sha256(essay))

    // Closed by the owner: the page says so.
    await owner.page.getByRole('navigation', { name: 'Folder' }).getByRole('link', { name: 'My files' }).click()
    await owner.page.locator('tr[data-folder-id]', { hasText: 'Submissions' }).getByRole('button', { name: 'Share' }).click()
    await owner.page.getByRole('dialog').getByTestId('drops').getByRole('button', { name: 'Close this upload link' }).click()
    await owner.page.getByRole('dialog').getByTestId('drops').getByRole('button').waitFor({ state: 'detached' })
    const later = await stranger.newPage()
    await later.goto(url)
    await later.getByRole('heading', { name: 'This upload link was closed' }).waitFor()
    expect(owner.errors).toEqual([])
  },
  120_000,
)
