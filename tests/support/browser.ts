// Debian's Chromium driven by Playwright, with the flags this project's machines need (see README).
import { chromium, type Browser } from 'playwright-core'
import { existsSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** The fake camera's picture. Chromium's built-in fake camera sends 640x480; five pages that each encode three
 * simulcast layers of it (and decode four others) overload two cores, and Chromium then lowers resolutions and
 * paints late, which is load, not what a test checks. A 320x240 clip at 10 frames a second costs an eighth of that. */
export const FAKE_CAMERA = { width: 320, height: 240, fps: 10 }

/** A 2-second YUV4MPEG2 clip (I420) with a bar sweeping across a gradient, so every frame differs and the encoder
 * has motion to code. Written once per machine into the temp directory. */
function fakeCameraClip(): string {
  const { width, height, fps } = FAKE_CAMERA
  const path = join(tmpdir(), `partyroom-fake-camera-${width}x${height}-${fps}.y4m`)
  if (existsSync(path)) return path
  const frames = fps * 2
  const luma = width * height
  const chroma = (width / 2) * (height / 2)
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`)
  const frameHeader = Buffer.from('FRAME\n')
  const out = Buffer.alloc(header.length + frames * (frameHeader.length + luma + 2 * chroma))
  let at = header.copy(out, 0)
  for (let f = 0; f < frames; f++) {
    at += frameHeader.copy(out, at)
    const bar = Math.floor((f / frames) * width)
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) out[at + y * width + x] = Math.abs(x - bar) < 12 ? 235 : 16 + ((x + y + f * 4) % 200)
    }
    at += luma
    out.fill(128 + ((f * 3) % 60), at, at + chroma)
    at += chroma
    out.fill(128 - ((f * 2) % 60), at, at + chroma)
    at += chroma
  }
  const partial = `${path}.${process.pid}`
  writeFileSync(partial, out)
  renameSync(partial, path)
  return path
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: run "npm test", which installs it`)
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${fakeCameraClip()}`,
      '--allow-loopback-in-peer-connection',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      // Chromium sends fewer simulcast layers for small pictures (one at 320x240); the fake camera is small to
      // save CPU, so this keeps the three layers a real 640x480 or larger camera gets.
      '--force-fieldtrials=WebRTC-LegacySimulcastLayerLimit/Disabled/',
    ],
  })
}

/** Keeps every ICE pair on 127.0.0.1: each page ignores remote candidates for any other address, so media between
 * pages never uses the machine's other interfaces. Also keeps the page's peer connections where tests can read
 * their stats. */
export const LOOPBACK_ONLY_ICE = `(() => {
  // Tests read what a page sends (outbound-rtp per simulcast layer) from its peer connections.
  const connections = (window.__testPeerConnections = new Set())
  const setLocal = RTCPeerConnection.prototype.setLocalDescription
  RTCPeerConnection.prototype.setLocalDescription = function (...args) {
    connections.add(this)
    return setLocal.apply(this, args)
  }
  const add = RTCPeerConnection.prototype.addIceCandidate
  RTCPeerConnection.prototype.addIceCandidate = function (candidate, ...rest) {
    const line = candidate && (candidate.candidate ?? '')
    if (line && !/ 127\\.0\\.0\\.1 /.test(line)) return Promise.resolve()
    return add.call(this, candidate, ...rest)
  }
})()`

/** A page in its own browser context (its own cookies), logged in with the session cookie of a test account. */
/** Makes every peer connection of a page relay-only (iceTransportPolicy "relay"), as a browser behind a firewall
 * that lets only a TURN server through: no host or server-reflexive path is tried. */
export const RELAY_ONLY_ICE = `(() => {
  const Native = window.RTCPeerConnection
  window.RTCPeerConnection = class extends Native {
    constructor(config = {}, ...rest) {
      super({ ...config, iceTransportPolicy: 'relay' }, ...rest)
    }
    setConfiguration(config = {}) {
      return super.setConfiguration({ ...config, iceTransportPolicy: 'relay' })
    }
  }
})()`

/** The candidate types (host, srflx, prflx, relay) of the local end of every connected peer connection's selected
 * pair: what path the page's media takes. */
export async function selectedPaths(page: import('playwright-core').Page): Promise<string[]> {
  return page.evaluate(async () => {
    const types: string[] = []
    for (const pc of (window as unknown as { __testPeerConnections: Set<RTCPeerConnection> }).__testPeerConnections) {
      if (pc.connectionState !== 'connected') continue
      const stats = await pc.getStats()
      stats.forEach((s) => {
        if (s.type !== 'transport' || !s.selectedCandidatePairId) return
        const pair = stats.get(s.selectedCandidatePairId)
        const local = pair && stats.get(pair.localCandidateId)
        if (local) types.push(local.candidateType)
      })
    }
    return types
  })
}

export async function openPageAs(browser: Browser, baseUrl: string, account: { cookie: string }, path: string, initScripts: string[] = [], permissions: string[] = []) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } })
  if (permissions.length > 0) await context.grantPermissions(permissions, { origin: baseUrl })
  const [pair] = account.cookie.split(';')
  const [name, value] = pair!.split('=')
  await context.addCookies([{ name: name!, value: value!, url: baseUrl }])
  await context.addInitScript(LOOPBACK_ONLY_ICE)
  for (const script of initScripts) await context.addInitScript(script)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await page.goto(baseUrl + path)
  return { page, context, errors }
}

/** The camera layers a page is sending now, by simulcast rid: "WxH" of each layer that has encoded frames. */
export async function sentLayers(page: import('playwright-core').Page): Promise<Record<string, string>> {
  return page.evaluate(async () => {
    const layers: Record<string, string> = {}
    for (const pc of (window as unknown as { __testPeerConnections: Set<RTCPeerConnection> }).__testPeerConnections) {
      if (pc.connectionState === 'closed') continue
      ;(await pc.getStats()).forEach((s) => {
        if (s.type === 'outbound-rtp' && s.kind === 'video' && s.rid && s.frameWidth) layers[s.rid] = `${s.frameWidth}x${s.frameHeight}`
      })
    }
    return layers
  })
}

/** Opens a room's page and joins its call from the pre-join screen, as a person would (press "Join now"). */
export async function openCall(browser: Browser, baseUrl: string, account: { cookie: string }, room: string, initScripts: string[] = []) {
  const opened = await openPageAs(browser, baseUrl, account, `/rooms/${room}`, initScripts)
  await opened.page.getByRole('button', { name: 'Join now', exact: true }).click({ timeout: 20_000 })
  return opened
}
