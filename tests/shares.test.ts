// Share links over HTTP against a real server and real files: what the owner makes, lists and revokes; what
// anyone with the link gets (bytes identical, Range, noindex); every way a link ends (410 saying which) against a
// wrong token (404); download counts, with two racing for the last download and a resumed transfer not counted;
// passwords, throttled; isolation between users.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startServer, type TestServer } from './support/server'
import { registerAndLogin, requestJson } from './support/http'
import { TusClient, randomBytes, sha256 } from './support/tus'
import { TestSocket } from './support/ws'

type Account = Awaited<ReturnType<typeof registerAndLogin>>

let server: TestServer
let alice: Account
let bob: Account
let tus: TusClient
const bytes = randomBytes(700_000)
let fileId: string

beforeAll(async () => {
  server = await startServer({ LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000', SHARE_MAX_EXPIRY_DAYS: '10' })
  alice = await registerAndLogin(server.url)
  bob = await registerAndLogin(server.url)
  tus = new TusClient(server.url, alice.token)
  fileId = await tus.upload('holiday photos.zip', bytes, 'application/zip')
}, 30_000)
afterAll(async () => {
  await server?.dispose()
})

const as = (who: Account) => ({ authorization: `Bearer ${who.token}` })
const share = async (body: Record<string, unknown> = {}, id = fileId, who = alice) =>
  requestJson(`${server.url}/api/vault/files/${id}/shares`, { method: 'POST', body, headers: as(who) })
const tokenOf = (url: string) => new URL(url).pathname.split('/')[2]!
const content = (token: string, headers: Record<string, string> = {}) => fetch(`${server.url}/s/${token}/content`, { headers })
const info = (token: string, headers: Record<string, string> = {}) => requestJson(`${server.url}/s/${token}/info`, { headers })

async function expectEnded(token: string, code: string) {
  expect((await info(token)).body.error.code).toBe(code)
  const got = await content(token)
  expect({ status: got.status, code: ((await got.json()) as any).error.code }).toEqual({ status: 410, code })
  expect((await fetch(`${server.url}/s/${token}`)).status).toBe(410)
}

describe('share links', () => {
  test('a preview: shown in place only for a safe type on a link without a download limit, and never counted', async () => {
    const text = new TextEncoder().encode('plain words\n')
    const textId = await tus.upload('readme.txt', text, 'text/plain')
    const svgId = await tus.upload('logo.svg', new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'image/svg+xml')
    const openShare = (await share({}, textId)).body.share
    const limitedShare = (await share({ maxDownloads: 5 }, textId)).body.share
    const [open, limited] = [tokenOf(openShare.url), tokenOf(limitedShare.url)]
    const svg = tokenOf((await share({}, svgId)).body.share.url)
    expect((await info(open)).body.share.preview).toBe(true)
    expect((await info(limited)).body.share.preview).toBe(false)
    expect((await info(svg)).body.share.preview).toBe(false)
    for (let i = 0; i < 3; i++) {
      const shown = await fetch(`${server.url}/s/${open}/content?inline=1`)
      expect(shown.headers.get('content-disposition')).toStartWith('inline')
      expect(shown.headers.get('content-type')).toBe('text/plain; charset=utf-8')
      expect(shown.headers.get('content-security-policy')).toContain('sandbox')
      expect(await shown.text()).toBe('plain words\n')
    }
    const listed = async (id: string) => (await requestJson(`${server.url}/api/vault/shares`, { headers: as(alice) })).body.shares.find((s: any) => s.id === id)
    expect((await listed(openShare.id)).downloads).toBe(0)
    // A limited link's "preview" is a counted download, and an SVG is never sent for display.
    const asked = await fetch(`${server.url}/s/${limited}/content?inline=1`)
    expect(asked.headers.get('content-disposition')).toStartWith('attachment')
    await asked.arrayBuffer()
    expect((await listed(limitedShare.id)).downloads).toBe(1)
    const svgShown = await fetch(`${server.url}/s/${svg}/content?inline=1`)
    expect(svgShown.headers.get('content-disposition')).toStartWith('attachment')
    expect(svgShown.headers.get('content-type')).toBe('image/svg+xml')
    await svgShown.arrayBuffer()
    // The owner's own preview follows the same rule.
    const own = await fetch(`${server.url}/api/vault/files/${svgId}/content?inline=1`, { headers: as(alice) })
    expect(own.headers.get('content-disposition')).toStartWith('attachment')
    await own.arrayBuffer()
  })

  test('a link gives anyone the file, byte-identical, with Range; it carries only an unguessable token; nothing is indexed', async () => {
    const created = await share({ expiresInSeconds: 3600 })
    expect(created.status).toBe(201)
    const link = created.body.share
    expect(link).toMatchObject({ fileName: 'holiday photos.zip', maxDownloads: null, downloads: 0, hasPassword: false, state: 'live' })
    expect(link.url).toMatch(new RegExp(`^${server.url}/s/[A-Za-z0-9_-]{43}$`))
    expect(link.url).not.toContain(fileId)
    expect(Date.parse(link.expiresAt) - Date.now()).toBeGreaterThan(3590_000)
    const token = tokenOf(link.url)
    // The database keeps a hash of the token, never the token.
    expect(JSON.stringify(await server.query('select * from shares'))).not.toContain(token)

    const page = await fetch(link.url)
    expect(page.status).toBe(200)
    expect(page.headers.get('x-robots-tag')).toBe('noindex, nofollow')
    expect(page.headers.get('referrer-policy')).toBe('no-referrer')
    expect(await page.text()).toContain('<div id="root">')
    expect((await info(token)).body.share).toEqual({
      name: 'holiday photos.zip',
      size: bytes.byteLength,
      contentType: 'application/zip',
      expiresAt: link.expiresAt,
      downloadsLeft: null,
      hasPassword: false,
      preview: false,
      unlocked: true,
    })
    const whole = await content(token)
    expect(whole.status).toBe(200)
    expect(whole.headers.get('x-robots-tag')).toBe('noindex, nofollow')
    expect(whole.headers.get('content-disposition')).toContain('holiday photos.zip')
    expect(whole.headers.get('etag')).toBe(`"${sha256(bytes)}"`)
    expect(sha256(new Uint8Array(await whole.arrayBuffer()))).toBe(sha256(bytes))
    const part = await content(token, { range: 'bytes=1000-1999' })
    expect(part.status).toBe(206)
    expect(Buffer.from(await part.arrayBuffer()).equals(Buffer.from(bytes.subarray(1000, 2000)))).toBe(true)
    // One transfer from byte 0, one resumed: one download.
    const listed = (await requestJson(`${server.url}/api/vault/shares`, { headers: as(alice) })).body.shares
    expect(listed.find((s: any) => s.id === link.id)).toMatchObject({ downloads: 1, state: 'live' })
  }, 30_000)

  test('a wrong token is 404; revoked, expired and deleted-file links are 410 and say which', async () => {
    expect((await info('A'.repeat(43))).status).toBe(404)
    expect((await info('not-a-token')).body.error.code).toBe('share_not_found')
    expect((await fetch(`${server.url}/s/${'B'.repeat(43)}`)).status).toBe(404)

    const revoked = tokenOf((await share()).body.share.url)
    const revokedId = (await requestJson(`${server.url}/api/vault/shares`, { headers: as(alice) })).body.shares[0].id
    expect((await fetch(`${server.url}/api/vault/shares/${revokedId}`, { method: 'DELETE', headers: as(alice) })).status).toBe(204)
    await expectEnded(revoked, 'share_revoked')

    const expiring = (await share({ expiresInSeconds: 60 })).body.share
    await server.query('update shares set expires_at = ? where id = ?', server.dialect === 'sqlite' ? Date.now() - 1000 : new Date(Date.now() - 1000), expiring.id)
    await expectEnded(tokenOf(expiring.url), 'share_expired')

    const doomed = await tus.upload('doomed.txt', randomBytes(1000), 'text/plain')
    const orphan = tokenOf((await share({}, doomed)).body.share.url)
    expect((await fetch(`${server.url}/api/vault/files/${doomed}`, { method: 'DELETE', headers: as(alice) })).status).toBe(204)
    await expectEnded(orphan, 'share_deleted')
  }, 30_000)

  test('a download limit: two racing for the last download, exactly one gets the bytes; a resumed transfer is not counted', async () => {
    for (let round = 0; round < 3; round++) {
      const token = tokenOf((await share({ maxDownloads: 1 })).body.share.url)
      const [a, b] = await Promise.all([content(token), content(token)])
      const statuses = [a.status, b.status].sort()
      expect(statuses).toEqual([200, 410])
      const winner = a.status === 200 ? a : b
      expect(sha256(new Uint8Array(await winner.arrayBuffer()))).toBe(sha256(bytes))
      const loser = a.status === 200 ? b : a
      expect(((await loser.json()) as any).error.code).toBe('share_used_up')
      // The browser that got it may resume it (its grant cookie); anyone else, or a fresh start, may not.
      const grant = winner.headers.get('set-cookie')!.split(';')[0]!
      const resumed = await content(token, { range: 'bytes=500000-', cookie: grant })
      expect(resumed.status).toBe(206)
      expect(Buffer.from(await resumed.arrayBuffer()).equals(Buffer.from(bytes.subarray(500_000)))).toBe(true)
      expect((await content(token, { range: 'bytes=500000-' })).status).toBe(410)
      expect((await content(token, { cookie: grant })).status).toBe(410)
    }
    const two = (await share({ maxDownloads: 2 })).body.share
    const token = tokenOf(two.url)
    expect((await content(token)).status).toBe(200)
    expect((await content(token, { range: 'bytes=100-' })).status).toBe(206)
    expect((await info(token)).body.share.downloadsLeft).toBe(1)
    expect((await content(token, { range: 'bytes=0-99' })).status).toBe(206)
    await expectEnded(token, 'share_used_up')
  }, 30_000)

  test('a password: asked for, checked with bcrypt, throttled; the right one unlocks this browser only', async () => {
    const token = tokenOf((await share({ password: 'open sesame' })).body.share.url)
    expect((await info(token)).body.share).toMatchObject({ hasPassword: true, unlocked: false })
    const locked = await content(token)
    expect({ status: locked.status, code: ((await locked.json()) as any).error.code }).toEqual({ status: 401, code: 'password_required' })
    const unlock = (password: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/s/${token}/unlock`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ password }) })
    expect((await unlock('wrong')).status).toBe(401)
    const right = await unlock('open sesame')
    expect(right.status).toBe(204)
    const unlocked = right.headers.get('set-cookie')!
    expect(unlocked).toContain(`Path=/s/${token}`)
    expect(unlocked).toContain('HttpOnly')
    const cookie = unlocked.split(';')[0]!
    expect((await info(token, { cookie })).body.share.unlocked).toBe(true)
    const got = await content(token, { cookie })
    expect(sha256(new Uint8Array(await got.arrayBuffer()))).toBe(sha256(bytes))
    // A forged or another link's cookie does not unlock it.
    expect((await content(token, { cookie: cookie.replace(/\.[^.]+$/, '.forged') })).status).toBe(401)

    // Guessing is slowed: 10 wrong passwords a minute per link, then 429 even for the right one.
    const guessed = tokenOf((await share({ password: 'correct one' })).body.share.url)
    const guess = (password: string) =>
      fetch(`${server.url}/s/${guessed}/unlock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password }) })
    const statuses: number[] = []
    for (let i = 0; i < 11; i++) statuses.push((await guess(`guess ${i}`)).status)
    expect(statuses).toEqual([...Array(10).fill(401), 429])
    expect((await guess('correct one')).status).toBe(429)
  }, 30_000)

  test("another user's files and links are not theirs to share, list or revoke; bad input gets 4xx with a reason", async () => {
    expect((await share({}, fileId, bob)).body.error.code).toBe('file_not_found')
    const mine = (await share()).body.share
    expect((await requestJson(`${server.url}/api/vault/shares`, { headers: as(bob) })).body.shares).toEqual([])
    expect((await fetch(`${server.url}/api/vault/shares/${mine.id}`, { method: 'DELETE', headers: as(bob) })).status).toBe(404)
    expect((await info(tokenOf(mine.url))).status).toBe(200)
    expect((await requestJson(`${server.url}/api/vault/files/${fileId}/shares`, { method: 'POST', body: {} })).status).toBe(401)

    for (const [body, code] of [
      [{ maxDownloads: 0 }, 'invalid_request'],
      [{ expiresInSeconds: 30 }, 'invalid_request'],
      [{ expiresInSeconds: 11 * 86_400 }, 'invalid_request'],
      [{ password: 'abc' }, 'invalid_request'],
      [{ maxDownloads: 'many' }, 'invalid_request'],
    ] as const) {
      const response = await share(body)
      expect({ body, status: response.status, code: response.body.error?.code }).toEqual({ body, status: 400, code })
    }
    // Without an expiry a link lives 7 days (within the server's 10-day ceiling here).
    const plain = (await share()).body.share
    expect(Math.round((Date.parse(plain.expiresAt) - Date.now()) / 86_400_000)).toBe(7)
  }, 30_000)
})

describe('chat attachments', () => {
  async function joined(who: Account, room: string) {
    const socket = await TestSocket.open(server.url, { authorization: `Bearer ${who.token}` })
    await socket.next((f) => f.type === 'hello')
    socket.send({ type: 'chat.join', room })
    await socket.next((f) => f.type === 'chat.joined')
    return socket
  }

  /** A message as it goes live: alone (chat.message) or in a batch (chat.messages). */
  async function live(socket: TestSocket, clientId: string) {
    const frame = await socket.next((f) => (f.type === 'chat.message' && f.clientId === clientId) || (f.type === 'chat.messages' && f.messages.some((m: any) => m.clientId === clientId)))
    return frame.type === 'chat.message' ? { ...frame.message, clientId } : frame.messages.find((m: any) => m.clientId === clientId)
  }

  test('a vault file attached to a message: every member sees it and opens it; revoked or deleted, it shows as gone; nobody attaches what is not theirs', async () => {
    const room = 'global'
    const picture = randomBytes(40_000)
    const pictureId = await tus.upload('whiteboard.png', picture, 'image/png')
    const made = await share({ chat: true }, pictureId)
    expect(made.status).toBe(201)
    expect(Date.parse(made.body.share.expiresAt) - Date.now()).toBeGreaterThan(9 * 86_400_000)
    expect((await share({ chat: true, maxDownloads: 2 }, pictureId)).body.error.code).toBe('invalid_request')
    const shareId = made.body.share.id
    const a = await joined(alice, room)
    const b = await joined(bob, room)
    try {
      a.send({ type: 'chat.send', room, clientId: 'with-file', text: '', attachment: { shareId } })
      const message = await live(b, 'with-file')
      expect(message.attachment).toEqual({ shareId, name: 'whiteboard.png', size: picture.byteLength, contentType: 'image/png', live: true })
      // A member opens it (and previews it); without a login, nothing.
      const opened = await fetch(`${server.url}/api/chat/attachments/${shareId}/content?inline=1`, { headers: as(bob) })
      expect(opened.headers.get('content-disposition')).toStartWith('inline')
      expect(sha256(new Uint8Array(await opened.arrayBuffer()))).toBe(sha256(picture))
      expect((await fetch(`${server.url}/api/chat/attachments/${shareId}/content`)).status).toBe(401)
      // A share never attached to a message is not reachable this way.
      const unattached = (await share({ chat: true }, pictureId)).body.share.id
      expect((await fetch(`${server.url}/api/chat/attachments/${unattached}/content`, { headers: as(bob) })).status).toBe(404)

      // Bob cannot attach Alice's share, nor one that does not exist: refused, not stored.
      b.send({ type: 'chat.send', room, clientId: 'stolen', text: 'look', attachment: { shareId } })
      expect((await b.next((f) => f.type === 'error' && f.ref === 'stolen')).code).toBe('invalid_attachment')
      b.send({ type: 'chat.send', room, clientId: 'made-up', text: 'look', attachment: { shareId: crypto.randomUUID() } })
      expect((await b.next((f) => f.type === 'error' && f.ref === 'made-up')).code).toBe('invalid_attachment')
      b.send({ type: 'chat.send', room, clientId: 'bad', text: 'x', attachment: { shareId: '' } })
      expect((await b.next((f) => f.type === 'error')).code).toBe('invalid_message')

      // Revoked: history shows it gone, and it no longer opens.
      expect((await fetch(`${server.url}/api/vault/shares/${shareId}`, { method: 'DELETE', headers: as(alice) })).status).toBe(204)
      b.send({ type: 'chat.history', room })
      const history = await b.next((f) => f.type === 'chat.history')
      expect(history.messages.find((m: any) => m.id === message.id).attachment).toMatchObject({ shareId, name: 'whiteboard.png', live: false })
      expect(history.messages.some((m: any) => m.text === 'look')).toBe(false)
      const gone = await fetch(`${server.url}/api/chat/attachments/${shareId}/content`, { headers: as(bob) })
      expect({ status: gone.status, code: ((await gone.json()) as any).error.code }).toEqual({ status: 410, code: 'attachment_removed' })

      // The file deleted: the same.
      const docId = await tus.upload('agenda.txt', new TextEncoder().encode('agenda'), 'text/plain')
      const docShare = (await share({ chat: true }, docId)).body.share.id
      a.send({ type: 'chat.send', room, clientId: 'with-doc', text: 'the agenda', attachment: { shareId: docShare } })
      await live(b, 'with-doc')
      expect((await fetch(`${server.url}/api/vault/files/${docId}`, { method: 'DELETE', headers: as(alice) })).status).toBe(204)
      const deleted = await fetch(`${server.url}/api/chat/attachments/${docShare}/content`, { headers: as(bob) })
      expect({ status: deleted.status, code: ((await deleted.json()) as any).error.code }).toEqual({ status: 410, code: 'attachment_deleted' })
      b.send({ type: 'chat.history', room })
      const later = await b.next((f) => f.type === 'chat.history')
      expect(later.messages.find((m: any) => m.text === 'the agenda').attachment).toMatchObject({ name: 'agenda.txt', live: false })
    } finally {
      a.close()
      b.close()
    }
  })
})
