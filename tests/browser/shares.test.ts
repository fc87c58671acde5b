// Sharing a file as people do it: the owner makes a password-protected link on the Vault page; someone with no
// account opens it in a fresh browser, is asked for the password, downloads the file (byte-identical); the owner
// sees the download counted and revokes the link, which then says so.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { startServer, type TestServer } from '../support/server'
import { registerAndLogin, uniqueName } from '../support/http'
import { launchBrowser, openPageAs } from '../support/browser'
import { TusClient, randomBytes, sha256 } from '../support/tus'

let server: TestServer
let browser: Browser
beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer(), launchBrowser()])
}, 30_000)
afterAll(async () => {
  await browser?.close()
  await server?.dispose()
})

test('share a file with a password; a stranger downloads it byte-identical; the owner revokes the link', async () => {
  const owner = await registerAndLogin(server.url, uniqueName('owner'))
  const bytes = randomBytes(1_500_000)
  await new TusClient(server.url, owner.token).upload('minutes of the meeting.pdf', bytes, 'application/pdf')
  const mine = await openPageAs(browser, server.url, owner, '/vault')
  const row = mine.page.locator('tr', { hasText: 'minutes of the meeting.pdf' })
  await row.getByRole('button', { name: 'Share' }).click()
  const dialog = mine.page.getByRole('dialog', { name: 'Share file' })
  await dialog.getByLabel('Downloads allowed (empty: no limit)').fill('3')
  await dialog.getByLabel('Password (optional)').fill('open sesame')
  await dialog.getByRole('button', { name: 'Create link' }).click()
  const url = await dialog.getByTestId('share-url').inputValue()
  expect(url).toMatch(new RegExp(`^${server.url}/s/[A-Za-z0-9_-]{43}$`))
  await dialog.getByRole('button', { name: 'Done' }).click()
  await mine.page.locator('[data-testid=share-links] tr[data-state=live]', { hasText: 'minutes of the meeting.pdf' }).waitFor()

  const stranger = await browser.newContext({ acceptDownloads: true })
  const page = await stranger.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(url)
  await page.getByRole('heading', { name: 'minutes of the meeting.pdf' }).waitFor()
  await expect(page.getByTestId('share-meta').textContent()).resolves.toContain('3 downloads left')
  await page.getByLabel('This file is protected by a password').fill('not it')
  await page.getByRole('button', { name: 'Unlock' }).click()
  await expect(page.getByRole('alert').textContent()).resolves.toContain('not the password')
  await page.getByLabel('This file is protected by a password').fill('open sesame')
  await page.getByRole('button', { name: 'Unlock' }).click()
  const dir = mkdtempSync(join(tmpdir(), 'partyroom-share-'))
  try {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('share-download').click()])
    expect(download.suggestedFilename()).toBe('minutes of the meeting.pdf')
    const saved = join(dir, 'saved.pdf')
    await download.saveAs(saved)
    expect(sha256(new Uint8Array(readFileSync(saved)))).toBe(sha256(bytes))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }

  // The owner's open Vault page shows the download counted (it fetches its links again every 10 s).
  const link = mine.page.locator('[data-testid=share-links] tr[data-state=live]', { hasText: 'minutes of the meeting.pdf' })
  await link.locator('td.num', { hasText: '1 / 3' }).waitFor({ timeout: 15_000 })
  await link.getByRole('button', { name: 'Revoke' }).click()
  await mine.page.locator('[data-testid=share-links] tr[data-state=revoked]').waitFor()
  await page.reload()
  await page.getByRole('heading', { name: 'This link was revoked' }).waitFor()
  expect([...errors, ...mine.errors]).toEqual([])
  await stranger.close()
  await mine.context.close()
}, 60_000)

test('a link to a picture with no download limit: a stranger sees it previewed (decoded) above Download, and the preview is not counted', async () => {
  const owner = await registerAndLogin(server.url, uniqueName('owner'))
  const mine = await openPageAs(browser, server.url, owner, '/vault')
  const picture = new Uint8Array(await mine.page.screenshot({ clip: { x: 0, y: 0, width: 300, height: 180 } }))
  await new TusClient(server.url, owner.token).upload('poster.png', picture, 'image/png')
  await mine.page.goto(server.url + '/vault')
  await mine.page.locator('tr', { hasText: 'poster.png' }).getByRole('button', { name: 'Share' }).click()
  const dialog = mine.page.getByRole('dialog', { name: 'Share file' })
  await dialog.getByRole('button', { name: 'Create link' }).click()
  const url = await dialog.getByTestId('share-url').inputValue()
  await dialog.getByRole('button', { name: 'Done' }).click()

  const stranger = await browser.newContext({ acceptDownloads: true })
  try {
    const page = await stranger.newPage()
    await page.goto(url)
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('[data-testid=preview] img')
      return !!img && img.complete && img.naturalWidth === 300 && img.naturalHeight === 180
    })
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('share-download').click()])
    const path = join(mkdtempSync(join(tmpdir(), 'partyroom-share-ui-')), 'poster.png')
    await download.saveAs(path)
    expect(sha256(new Uint8Array(readFileSync(path)))).toBe(sha256(picture))
    rmSync(path, { force: true })
    // One download counted: the preview was not.
    await mine.page.locator('[data-testid=share-links] tr', { hasText: 'poster.png' }).locator('td.num', { hasText: /^1$/ }).waitFor({ timeout: 20_000 })
  } finally {
    await stranger.close()
    await mine.context.close()
  }
}, 60_000)
