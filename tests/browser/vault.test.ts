// A person's vault in a real browser: upload through the page and watch the progress bar move, pause and resume,
// download the file and get the same bytes, rename it, delete it after confirming.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer, type TestServer } from '../support/server'
import { registerAndLogin } from '../support/http'
import { launchBrowser } from '../support/browser'
import { randomBytes, sha256 } from '../support/tus'

let server: TestServer
let browser: Browser
let work: string

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer(), launchBrowser()])
  work = mkdtempSync(join(tmpdir(), 'partyroom-vault-ui-'))
})
afterAll(async () => {
  await browser?.close()
  await server?.dispose()
  rmSync(work, { recursive: true, force: true })
})

test('upload with progress, pause and resume, download byte-identical, rename, delete', async () => {
  const account = await registerAndLogin(server.url)
  const bytes = randomBytes(48 * 1024 * 1024)
  const source = join(work, 'holiday video.mp4')
  await Bun.write(source, bytes)

  const context = await browser.newContext({ acceptDownloads: true })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await page.goto(server.url + '/login')
  await page.getByLabel('Username').fill(account.username)
  await page.getByLabel('Password').fill(account.password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByRole('link', { name: 'Vault', exact: true }).click()
  await page.getByText('No files yet.').waitFor()

  // Slow the network so a person (and this test) can see the upload progress and pause it.
  const cdp = await context.newCDPSession(page)
  await cdp.send('Network.enable')
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 24 * 1024 * 1024 })

  // Record every value the progress bar shows.
  await page.evaluate(() => {
    ;(window as any).progressSeen = []
    new MutationObserver(() => {
      const bar = document.querySelector('progress')
      if (bar) (window as any).progressSeen.push(Number(bar.getAttribute('value') ?? bar.value))
    }).observe(document.body, { subtree: true, attributes: true, childList: true, attributeFilter: ['value'] })
  })
  await page.getByLabel('Choose files to upload').setInputFiles(source)
  const upload = page.locator('li.upload')
  await upload.waitFor()
  await page.waitForFunction(() => ((window as any).progressSeen as number[]).some((v) => v > 0))
  await upload.getByRole('button', { name: 'Pause' }).click()
  await upload.getByText(/paused at/).waitFor()
  const pausedAt = await page.evaluate(() => Math.max(...(window as any).progressSeen))
  expect(pausedAt).toBeGreaterThan(0)
  expect(pausedAt).toBeLessThan(bytes.byteLength)
  await upload.getByRole('button', { name: 'Resume' }).click()
  await upload.getByText('done').waitFor({ timeout: 30_000 })
  const seen: number[] = await page.evaluate(() => (window as any).progressSeen)
  // The bar moved through intermediate values, not straight from empty to full.
  expect(seen.filter((v) => v > 0 && v < bytes.byteLength).length).toBeGreaterThan(3)
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 })

  // The list shows it with its size, and the quota meter counts it.
  const row = page.locator('tbody[data-testid="files"] tr', { hasText: 'holiday video.mp4' })
  await row.waitFor()
  await expect(row.locator('td.num').textContent()).resolves.toBe('48 MB')
  await expect(page.getByTestId('quota').textContent()).resolves.toContain('48 MB of 10 GB')

  // Download: the same bytes.
  const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('link', { name: 'Download' }).click()])
  expect(download.suggestedFilename()).toBe('holiday video.mp4')
  const saved = join(work, 'downloaded.mp4')
  await download.saveAs(saved)
  expect(sha256(new Uint8Array(await Bun.file(saved).arrayBuffer()))).toBe(sha256(bytes))

  // Rename.
  await row.getByRole('button', { name: 'Rename' }).click()
  // A name with a slash is refused with the server's reason; markup in a name stays text.
  await page.getByLabel('New name').fill('summer/2026.mp4')
  await page.getByRole('button', { name: 'Save' }).click()
  await expect(page.getByRole('alert').textContent()).resolves.toContain('cannot contain "/"')
  await page.getByLabel('New name').fill('summer <img src=x onerror=alert(1)> 2026.mp4')
  await page.getByRole('button', { name: 'Save' }).click()
  const renamed = page.locator('tbody[data-testid="files"] tr', { hasText: 'summer <img src=x onerror=alert(1)> 2026.mp4' })
  await renamed.waitFor()
  expect(await page.locator('tbody[data-testid="files"] img').count()).toBe(0)

  // Delete, after confirming.
  await renamed.getByRole('button', { name: 'Delete' }).click()
  await page.getByRole('dialog', { name: 'Delete file' }).getByRole('button', { name: 'Keep it' }).click()
  await renamed.waitFor()
  await renamed.getByRole('button', { name: 'Delete' }).click()
  await page.getByRole('dialog', { name: 'Delete file' }).getByRole('button', { name: 'Delete' }).click()
  await page.getByText('No files yet.').waitFor()

  expect(errors).toEqual([])
  await context.close()
}, 120_000)
