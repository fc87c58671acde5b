// What a call looks like from its pages, for the browser tests: whose frames and audio keep arriving, over which
// path, and what every page shows when a check fails.
import type { Page } from 'playwright-core'
import { FAKE_CAMERA, type openPageAs } from './browser'

export type Opened = Awaited<ReturnType<typeof openPageAs>> & { name: string }

export const tileSelector = (name: string) => `[data-testid=call-tile][data-kind=camera][data-name="${name}"]`

async function framesShown(page: Page, name: string): Promise<number> {
  return Number(await page.locator(tileSelector(name)).getAttribute('data-frames-shown'))
}

/** Frames the fake camera makes in half a second: "keeps coming" means that many more, twice. */
const HALF_A_SECOND = FAKE_CAMERA.fps / 2

/** `page` shows frames of `name` that keep coming (over `path` when given). */
async function keepsShowing(page: Page, name: string, path?: 'mesh' | 'sfu', timeout = 30_000) {
  const selector = tileSelector(name) + (path ? `[data-path=${path}]` : '')
  await page.locator(selector).waitFor({ timeout })
  const grows = async () => {
    const start = await framesShown(page, name)
    await page.waitForFunction(
      ([s, min]) => Number(document.querySelector<HTMLElement>(s as string)?.dataset.framesShown ?? 0) > (min as number),
      [selector, start + HALF_A_SECOND] as const,
      { timeout, polling: 100 },
    )
  }
  await grows()
  // And its audio keeps coming: more packets than now, waited for on its own.
  const audio = Number(await page.locator(tileSelector(name)).getAttribute('data-audio-packets'))
  await page.waitForFunction(
    ([s, min]) => Number(document.querySelector<HTMLElement>(s as string)?.dataset.audioPackets ?? 0) > (min as number),
    [tileSelector(name), audio] as const,
    { timeout, polling: 100 },
  )
}

export async function everyoneSeesEveryone(pages: Opened[], path?: 'mesh' | 'sfu') {
  try {
    await allPairs(pages, path)
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${await dump(pages)}`)
  }
}

async function allPairs(pages: Opened[], path?: 'mesh' | 'sfu') {
  const checks = []
  for (const viewer of pages) for (const other of pages) if (other !== viewer) checks.push([viewer, other] as const)
  // A few at a time: Chromium on two cores is the bottleneck.
  for (let i = 0; i < checks.length; i += 4) {
    await Promise.all(checks.slice(i, i + 4).map(([viewer, other]) => keepsShowing(viewer.page, other.name, path)))
  }
}

/** What each page shows, for the failure message. */
async function dump(pages: Opened[]) {
  const lines = []
  for (const p of pages) {
    const tiles = await p.page
      .evaluate(() =>
        [...document.querySelectorAll<HTMLElement>('[data-testid=call-tile]')].map(
          (e) => `${e.dataset.name} ${e.dataset.kind} path=${e.dataset.path} shown=${e.dataset.framesShown} decoded=${e.dataset.framesDecoded} notice=${e.dataset.notice}`,
        ),
      )
      .catch((error) => [String(error)])
    lines.push(`${p.name} (${await mode(p.page).catch(() => '?')}): ${tiles.join(' | ')}`)
  }
  return lines.join('\n')
}

export const mode = (page: Page) => page.locator('[data-testid=call]').getAttribute('data-mode')
