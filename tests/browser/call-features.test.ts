// The call around the media, in real Chromium pages (fake camera and microphone): the pre-join screen with devices
// off then on (remembered, and a refused permission explained), layouts (speaker view follows the speaker, a pin
// holds, a screen share takes the stage), raised hands in the same order on three pages, a reaction seen by the
// others, per-person volume changing only this page's element, the quality indicator showing loss (from injected
// stats), the "you are muted" hint, and the keyboard shortcuts.
import { afterAll, afterEach, beforeAll, expect, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { startServer, type TestServer } from '../support/server'
import { registerAndLogin, uniqueName } from '../support/http'
import { launchBrowser, openCall, openPageAs } from '../support/browser'
import { everyoneSeesEveryone, tileSelector, type Opened } from '../support/calls'

let server: TestServer
let browser: Browser
beforeAll(async () => {
  ;[server, browser] = await Promise.all([
    startServer({ STUN_URLS: '', LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000', SFU_WORKERS: '0' }),
    launchBrowser(),
  ])
})
const contexts: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close().catch(() => {})
})
afterAll(async () => {
  await browser?.close()
  await server?.dispose()
})

const roomName = () => uniqueName('ux').replace(/_/g, '-')
const joinedSelector = '[data-testid=call][data-phase=joined]'

async function person(label: string) {
  return registerAndLogin(server.url, uniqueName(label))
}

async function inCall(label: string, room: string, initScripts: string[] = []): Promise<Opened> {
  const account = await person(label)
  const opened = await openCall(browser, server.url, account, room, initScripts)
  contexts.push(opened.context)
  await opened.page.locator(joinedSelector).waitFor({ timeout: 20_000 })
  return { ...opened, name: account.username }
}

/** Pages refused the camera and the microphone, as when a person clicks "Block". */
const REFUSE_MEDIA = `(() => {
  navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'))
})()`

/** Makes every inbound stream of a page report a third of its packets lost once window.__testLoss is set: the
 * stats a page reads when the network drops packets. */
const INJECT_LOSS = `(() => {
  const getStats = RTCPeerConnection.prototype.getStats
  RTCPeerConnection.prototype.getStats = async function (...args) {
    const report = await getStats.apply(this, args)
    if (!window.__testLoss) return report
    const changed = new Map()
    report.forEach((s, id) => changed.set(id, s.type === 'inbound-rtp' ? { ...s, packetsLost: Math.round((s.packetsReceived ?? 0) / 2) } : s))
    return changed
  }
})()`

/** A page whose microphone carries a steady tone, as a voice would (the fake device only beeps briefly once a
 * second, too little to count as talking). */
const VOICE = `(() => {
  const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices)
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const stream = await getUserMedia(constraints)
    if (!constraints || !constraints.audio) return stream
    const context = new AudioContext()
    addEventListener('pointerdown', () => context.resume())
    const tone = context.createOscillator()
    tone.frequency.value = 220
    const gain = context.createGain()
    gain.gain.value = 0.3
    const out = context.createMediaStreamDestination()
    tone.connect(gain).connect(out)
    tone.start()
    for (const track of stream.getAudioTracks()) {
      stream.removeTrack(track)
      track.stop()
    }
    stream.addTrack(out.stream.getAudioTracks()[0])
    return stream
  }
})()`

const stageOf = (page: Page) => page.getByTestId('call-grid').getAttribute('data-stage')
async function stageIs(page: Page, member: string, kind = 'camera') {
  await page.waitForFunction(([k]) => document.querySelector<HTMLElement>('[data-testid=call-grid]')?.dataset.stage === k, [`${member}:${kind}`], { timeout: 15_000, polling: 100 })
}
const memberId = (page: Page, name: string) => page.locator(tileSelector(name)).getAttribute('data-member') as Promise<string>

test('pre-join: who is here, devices off then on, remembered; a refused permission is explained and joining without works', async () => {
  const room = roomName()
  const ann = await inCall('ann', room)
  const benAccount = await person('ben')
  const ben = await openPageAs(browser, server.url, benAccount, `/rooms/${room}`)
  contexts.push(ben.context)
  const prejoin = ben.page.getByTestId('prejoin')
  await prejoin.waitFor()
  // Who is already in the room, by name; the camera preview plays; the microphone meter moves.
  await expect(ben.page.getByTestId('prejoin-people').textContent()).resolves.toContain(`${ann.name} is here.`)
  await ben.page.waitForFunction(() => (document.querySelector<HTMLVideoElement>('[data-testid=preview]')?.videoWidth ?? 0) > 0, undefined, { timeout: 10_000 })
  await ben.page.waitForFunction(() => Number(document.querySelector<HTMLElement>('[data-testid=mic-level]')?.dataset.level ?? 0) > 0.001, undefined, { timeout: 10_000, polling: 50 })
  // Camera and microphone off before joining: the camera is released (its light goes out).
  await ben.page.getByTestId('prejoin-camera').click()
  await ben.page.getByTestId('preview-off').waitFor()
  await ben.page.getByTestId('prejoin-mic').click()
  await expect(ben.page.getByTestId('prejoin-mic').getAttribute('aria-pressed')).resolves.toBe('true')
  const liveCameras = () => ben.page.evaluate(() => document.querySelectorAll('video[data-testid=preview]').length)
  expect(await liveCameras()).toBe(0)
  // The speaker test plays its chime to the end.
  await ben.page.getByTestId('speaker-test').click()
  await ben.page.getByRole('button', { name: 'Test speaker' }).waitFor({ timeout: 10_000 })
  await ben.page.getByRole('button', { name: 'Join now', exact: true }).click()
  await ben.page.locator(joinedSelector).waitFor({ timeout: 20_000 })
  // Ann sees Ben with camera and microphone off; Ben turns them on in the call and Ann sees and hears him.
  await ann.page.locator(`${tileSelector(benAccount.username)}[data-camera=off][data-mic=off]`).waitFor({ timeout: 10_000 })
  await ben.page.getByTestId('toggle-camera').click()
  await ben.page.getByTestId('toggle-mic').click()
  await everyoneSeesEveryone([ann, { ...ben, name: benAccount.username }], 'mesh')
  // Noise suppression and echo cancellation off: the browser's processing changes on the microphone being sent.
  const processing = () =>
    ben.page.evaluate(() => {
      const pcs = [...(window as unknown as { __testPeerConnections: Set<RTCPeerConnection> }).__testPeerConnections]
      const track = pcs.flatMap((pc) => pc.getSenders()).find((s) => s.track?.kind === 'audio')?.track
      const settings = track?.getSettings() ?? {}
      return { noiseSuppression: settings.noiseSuppression, echoCancellation: settings.echoCancellation }
    })
  expect(await processing()).toEqual({ noiseSuppression: true, echoCancellation: true })
  await ben.page.getByRole('button', { name: 'Devices', exact: true }).click()
  await ben.page.getByTestId('noise-suppression').uncheck()
  await ben.page.getByTestId('echo-cancellation').uncheck()
  await ben.page.waitForFunction(
    () => {
      const pcs = [...(window as unknown as { __testPeerConnections: Set<RTCPeerConnection> }).__testPeerConnections]
      const settings = pcs.flatMap((pc) => pc.getSenders()).find((s) => s.track?.kind === 'audio')?.track?.getSettings()
      return settings?.noiseSuppression === false && settings.echoCancellation === false
    },
    undefined,
    { timeout: 5000, polling: 100 },
  )
  // The choices made before joining are remembered for the next call: the pre-join screen opens with them.
  await ben.page.getByTestId('leave').click()
  await ben.page.goto(`${server.url}/rooms/${roomName()}`)
  await ben.page.getByTestId('preview-off').waitFor()
  await expect(ben.page.getByTestId('prejoin-mic').getAttribute('aria-pressed')).resolves.toBe('true')

  // A browser that refuses the camera and microphone: the page says so and how to allow them; joining works.
  const cat = await openPageAs(browser, server.url, await person('cat'), `/rooms/${room}`, [REFUSE_MEDIA])
  contexts.push(cat.context)
  const blocked = cat.page.getByTestId('media-blocked')
  await expect(blocked.textContent()).resolves.toContain('Your browser blocked the camera and the microphone for this site')
  await expect(blocked.textContent()).resolves.toContain('choose Allow')
  await cat.page.getByRole('button', { name: 'Join now', exact: true }).click()
  await cat.page.locator(joinedSelector).waitFor({ timeout: 20_000 })
  const catName = (await cat.page.locator('[data-member=self]').getAttribute('data-name'))!
  await ann.page.locator(`${tileSelector(catName)}[data-camera=off][data-mic=off]`).waitFor({ timeout: 10_000 })
  expect([...ann.errors, ...ben.errors, ...cat.errors]).toEqual([])
}, 120_000)

test('layouts, hands, reactions and volume on three pages: the speaker takes the stage, a pin holds, the queue has one order', async () => {
  const room = roomName()
  const a = await inCall('ann', room)
  const b = await inCall('ben', room)
  const c = await inCall('cat', room)
  const pages = [a, b, c]
  await everyoneSeesEveryone(pages, 'mesh')
  const [idA, idB] = [await memberId(c.page, a.name), await memberId(c.page, b.name)]

  // Speaker view on Cat's page: only Ann's microphone is on, so Ann takes the stage; then only Ben's.
  await b.page.getByTestId('toggle-mic').click()
  await c.page.getByTestId('toggle-mic').click()
  await c.page.keyboard.press('g')
  await expect(c.page.getByTestId('call-grid').getAttribute('data-layout')).resolves.toBe('speaker')
  await stageIs(c.page, idA)
  await a.page.getByTestId('toggle-mic').click()
  await b.page.getByTestId('toggle-mic').click()
  await stageIs(c.page, idB)
  // Cat pins Ann: the stage stays hers while Ben speaks.
  await c.page.getByRole('button', { name: `Options for ${a.name}`, exact: true }).click()
  await c.page.getByRole('dialog', { name: `Options for ${a.name}` }).getByRole('button', { name: 'Pin to the stage' }).click()
  await stageIs(c.page, idA)
  await c.page.waitForTimeout(2000)
  expect(await stageOf(c.page)).toBe(`${idA}:camera`)
  await c.page.locator(`${tileSelector(a.name)}[data-stage=yes]`).waitFor()
  // Tiles keep their picture's shape: the whole frame is shown, never cropped.
  expect(await c.page.locator(`${tileSelector(a.name)} video`).first().evaluate((v) => getComputedStyle(v).objectFit)).toBe('contain')
  // Back to the grid with the pin off: nobody on a stage.
  await c.page.getByRole('button', { name: `Options for ${a.name}`, exact: true }).click()
  await c.page.getByRole('dialog', { name: `Options for ${a.name}` }).getByRole('button', { name: 'Unpin' }).click()
  await c.page.getByTestId('toggle-layout').click()
  await c.page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid=call-grid]')?.dataset.stage === '', undefined, { timeout: 5000 })

  // Hands: Ben, then Cat, then Ann raise theirs; every page lists them in that order and numbers the tiles.
  await b.page.getByTestId('toggle-hand').click()
  await a.page.locator('[data-testid=hands] li').first().waitFor()
  await c.page.keyboard.press('h')
  await a.page.locator('[data-testid=hands] li').nth(1).waitFor()
  await a.page.getByTestId('toggle-hand').click()
  for (const p of pages) {
    await p.page.locator('[data-testid=hands] li').nth(2).waitFor({ timeout: 5000 })
    const names = await p.page.locator('[data-testid=hands] li > span').allTextContents()
    expect(names.map((n) => n.replace(' (you)', ''))).toEqual([b.name, c.name, a.name])
  }
  await a.page.locator(`${tileSelector(c.name)}[data-hand="2"]`).waitFor()
  // Ann hosts (she came first) and lowers Ben's hand; Cat is first now on every page.
  await a.page.getByRole('button', { name: `Lower ${b.name}’s hand` }).click()
  for (const p of pages) await p.page.waitForFunction((n) => document.querySelector('[data-testid=hands] li > span')?.textContent?.startsWith(n as string), c.name, { timeout: 5000 })
  expect(await b.page.getByRole('button', { name: `Lower ${c.name}’s hand` }).count()).toBe(0)

  // A reaction from Ben floats over his tile on the other pages.
  await b.page.getByTestId('toggle-reactions').click()
  await b.page.getByRole('button', { name: 'Celebrate', exact: true }).click()
  for (const p of [a, c]) await expect(p.page.locator(`${tileSelector(b.name)} [data-testid=reaction-float]`).first().textContent({ timeout: 5000 })).resolves.toBe('🎉')

  // Cat turns Ann down to 30 % on her own page: only that element changes; Ann and Ben hear nothing different.
  const volumes = (p: Page) => p.evaluate(() => [...document.querySelectorAll<HTMLAudioElement>('audio[data-testid=tile-audio]')].map((el) => el.volume))
  const before = await Promise.all([a, b].map((p) => volumes(p.page)))
  await c.page.getByRole('button', { name: `Options for ${a.name}`, exact: true }).click()
  await c.page.getByTestId('volume').fill('30')
  await c.page.getByRole('dialog', { name: `Options for ${a.name}` }).getByRole('button', { name: 'Close' }).click()
  expect(await c.page.locator(`${tileSelector(a.name)} audio`).evaluate((el: HTMLAudioElement) => el.volume)).toBeCloseTo(0.3, 5)
  expect(await c.page.locator(`${tileSelector(b.name)} audio`).evaluate((el: HTMLAudioElement) => el.volume)).toBe(1)
  expect(await Promise.all([a, b].map((p) => volumes(p.page)))).toEqual(before)
  expect(before.flat().every((v) => v === 1)).toBe(true)

  // A screen share takes the stage by itself, even in the grid; unpinning it puts it back among the tiles.
  await a.page.getByTestId('toggle-screen').click()
  await stageIs(c.page, idA, 'screen')
  await c.page.getByRole('button', { name: `Options for ${a.name} (screen)`, exact: true }).click()
  await c.page.getByRole('dialog', { name: `Options for ${a.name} (screen)` }).getByRole('button', { name: 'Unpin' }).click()
  await c.page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid=call-grid]')?.dataset.stage === '', undefined, { timeout: 5000 })
  expect(await c.page.locator('[data-testid=call-tile][data-kind=screen]').count()).toBe(1)
  expect(pages.flatMap((p) => p.errors)).toEqual([])
}, 180_000)

test('quality shows loss from the stats, the muted hint shows when speaking muted, and the shortcuts work', async () => {
  const room = roomName()
  const a = await inCall('ann', room)
  const b = await inCall('ben', room, [INJECT_LOSS, VOICE])
  await everyoneSeesEveryone([a, b], 'mesh')
  const annOnBen = b.page.locator(tileSelector(a.name))
  await b.page.locator(`${tileSelector(a.name)}[data-quality=good]`).waitFor({ timeout: 10_000 })
  await b.page.evaluate(() => ((window as unknown as { __testLoss: boolean }).__testLoss = true))
  await b.page.locator(`${tileSelector(a.name)}[data-quality=poor]`).waitFor({ timeout: 10_000 })
  await annOnBen.getByTestId('tile-quality').click()
  const details = b.page.getByRole('dialog', { name: `Connection of ${a.name}` })
  await expect(details.textContent()).resolves.toMatch(/Poor connection.*Packets lost: [3-9]\d\.\d %/)
  await details.getByRole('button', { name: 'Close' }).click()
  // Ann's own uplink shows on her tile too.
  await a.page.locator('[data-member=self][data-quality=good]').waitFor({ timeout: 10_000 }).catch(async (e) => {
    throw new Error(`${e.message}: ${await a.page.locator('[data-member=self]').first().getAttribute('data-quality')}`)
  })

  // Ben mutes with M and goes on talking: the page tells him he is muted.
  await b.page.keyboard.press('m')
  await a.page.locator(`${tileSelector(b.name)}[data-mic=off]`).waitFor({ timeout: 5000 })
  await b.page.getByTestId('muted-hint').waitFor({ timeout: 10_000 })
  await b.page.keyboard.press('m')
  await a.page.locator(`${tileSelector(b.name)}[data-mic=on]`).waitFor({ timeout: 5000 })
  await b.page.getByTestId('muted-hint').waitFor({ state: 'detached' })
  // V turns the camera off, H raises the hand; typed into the chat, the same letters do nothing.
  await b.page.keyboard.press('v')
  await a.page.locator(`${tileSelector(b.name)}[data-camera=off]`).waitFor({ timeout: 5000 })
  await b.page.keyboard.press('h')
  await a.page.locator(`${tileSelector(b.name)}[data-hand="1"]`).waitFor({ timeout: 5000 })
  await b.page.getByTestId('room-chat').getByLabel('Message').fill('')
  await b.page.getByTestId('room-chat').getByLabel('Message').pressSequentially('mvh')
  await b.page.waitForTimeout(500)
  await a.page.locator(`${tileSelector(b.name)}[data-camera=off][data-mic=on][data-hand="1"]`).waitFor()
  await b.page.getByTestId('room-chat').getByLabel('Message').blur()
  // ? lists the shortcuts; Shift+L leaves.
  await b.page.keyboard.press('?')
  const help = b.page.getByRole('dialog', { name: 'Keyboard shortcuts' })
  await expect(help.textContent()).resolves.toContain('Shift + LLeave the call')
  await help.getByRole('button', { name: 'Close' }).click()
  await b.page.keyboard.press('Shift+L')
  await b.page.waitForURL(/\/rooms$/)
  await a.page.locator(tileSelector(b.name)).waitFor({ state: 'detached', timeout: 5000 })
  expect([...a.errors, ...b.errors]).toEqual([])
}, 120_000)
