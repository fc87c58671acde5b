// File drops over HTTP against a real server (SQLite and local disk, or PostgreSQL and S3): the owner makes a drop
// for a folder; anyone with the link uploads into it with tus, byte-identical, resumable; each uploader can touch
// only their own uploads and sees nothing of the folder; the link's size limit holds when uploads race for its last
// bytes, a cancelled upload gives its room back, and the owner's quota still applies; closed, expired and wrong
// links answer 410 or 404 and say which.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startServer, type TestServer } from './support/server'
import { registerAndLogin, requestJson } from './support/http'
import { randomBytes, sha256 } from './support/tus'

type Account = Awaited<ReturnType<typeof registerAndLogin>>

let server: TestServer
let alice: Account

const QUOTA = 5_000_000

beforeAll(async () => {
  server = await startServer({ LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000', SHARE_MAX_EXPIRY_DAYS: '10', VAULT_QUOTA_BYTES: String(QUOTA) })
  alice = await registerAndLogin(server.url)
}, 30_000)
afterAll(async () => {
  await server?.dispose()
})

const as = (who: Account) => ({ authorization: `Bearer ${who.token}` })
const api = (path: string, init: { method?: string; body?: unknown } = {}, who = alice) => requestJson(`${server.url}/api/vault${path}`, { ...init, headers: as(who) })
const tokenOf = (url: string) => new URL(url).pathname.split('/')[2]!

async function folder(name: string): Promise<string> {
  return (await api('/folders', { method: 'POST', body: { name } })).body.folder.id
}
async function drop(folderId: string, body: Record<string, unknown> = {}) {
  const made = await api(`/folders/${folderId}/drops`, { method: 'POST', body })
  if (made.status !== 201) throw new Error(`drop: ${made.status} ${JSON.stringify(made.body)}`)
  return made.body.drop as { id: string; url: string; maxBytes: number; bytesUsed: number; state: string }
}

/** Someone with a drop's link, in their own browser: the page's cookie, then tus. */
class Uploader {
  cookie = ''
  constructor(readonly token: string) {}
  async open() {
    const info = await fetch(`${server.url}/d/${this.token}/info`, { headers: this.cookie ? { cookie: this.cookie } : {} })
    const set = info.headers.get('set-cookie')
    if (set) this.cookie = set.split(';')[0]!
    return { status: info.status, body: (await info.json()) as any }
  }
  private headers(extra: Record<string, string> = {}) {
    return { 'tus-resumable': '1.0.0', ...(this.cookie ? { cookie: this.cookie } : {}), ...extra }
  }
  create(name: string, length: number) {
    return fetch(`${server.url}/d/${this.token}/uploads`, {
      method: 'POST',
      headers: this.headers({ 'upload-length': String(length), 'upload-metadata': `filename ${Buffer.from(name).toString('base64')}` }),
    })
  }
  patch(location: string, offset: number, body: Uint8Array<ArrayBuffer>) {
    return fetch(server.url + location, { method: 'PATCH', headers: this.headers({ 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' }), body })
  }
  head(location: string) {
    return fetch(server.url + location, { method: 'HEAD', headers: this.headers() })
  }
  cancel(location: string) {
    return fetch(server.url + location, { method: 'DELETE', headers: this.headers() })
  }
  async upload(name: string, bytes: Uint8Array<ArrayBuffer>) {
    const created = await this.create(name, bytes.byteLength)
    if (created.status !== 201) return created
    return this.patch(created.headers.get('location')!, 0, bytes)
  }
}

describe('file drops', () => {
  test('anyone with the link uploads into the folder, resumably and byte-identical, and sees nothing else', async () => {
    const inbox = await folder('Inbox')
    const made = await drop(inbox, { expiresInSeconds: 3600, maxBytes: 2_000_000 })
    expect(made).toMatchObject({ maxBytes: 2_000_000, bytesUsed: 0, state: 'live' })
    expect(made.url).toMatch(new RegExp(`^${server.url}/d/[A-Za-z0-9_-]{43}$`))
    const token = tokenOf(made.url)
    expect(JSON.stringify(await server.query('select * from drops'))).not.toContain(token)
    const page = await fetch(made.url)
    expect(page.status).toBe(200)
    expect(page.headers.get('x-robots-tag')).toBe('noindex, nofollow')

    const sender = new Uploader(token)
    // The tus endpoint needs the page's cookie first.
    expect((await sender.create('x.bin', 10)).status).toBe(403)
    const info = await sender.open()
    expect(info.body.drop).toMatchObject({ folderName: 'Inbox', owner: alice.username, bytesLeft: 2_000_000 })
    expect(sender.cookie).toMatch(/^partyroom_drop_/)

    // Half, a broken connection's worth of nothing, then the rest: tus resumes from the offset the server reports.
    const bytes = randomBytes(700_000)
    const created = await sender.create('scan of the contract.pdf', bytes.byteLength)
    expect(created.status).toBe(201)
    const location = created.headers.get('location')!
    expect(location).toStartWith(`/d/${token}/uploads/`)
    expect((await sender.patch(location, 0, bytes.slice(0, 300_000))).status).toBe(204)
    expect((await sender.head(location)).headers.get('upload-offset')).toBe('300000')
    const done = await sender.patch(location, 300_000, bytes.slice(300_000))
    expect(done.status).toBe(204)
    expect(done.headers.get('vault-file-id')).toBeNull()

    // It is the owner's file now, in the folder.
    const listed = (await api(`/files?folder=${inbox}`)).body.files
    expect(listed.map((f: any) => f.name)).toEqual(['scan of the contract.pdf'])
    const got = await fetch(`${server.url}/api/vault/files/${listed[0].id}/content`, { headers: as(alice) })
    expect(sha256(new Uint8Array(await got.arrayBuffer()))).toBe(sha256(bytes))
    expect((await api('/drops')).body.drops.find((d: any) => d.id === made.id)).toMatchObject({ bytesUsed: 700_000, folderName: 'Inbox' })

    // Another person with the same link cannot touch the first one's upload; nobody lists anything.
    const other = new Uploader(token)
    await other.open()
    const mine = await sender.create('second.bin', 1000)
    const second = mine.headers.get('location')!
    for (const attempt of [other.head(second), other.patch(second, 0, randomBytes(1000)), other.cancel(second)]) expect((await attempt).status).toBe(404)
    const forged = new Uploader(token)
    forged.cookie = other.cookie.replace(/\.[^.]+$/, '.forged')
    expect((await forged.create('y.bin', 10)).status).toBe(403)
    expect((await fetch(`${server.url}/api/vault/files`, { headers: { cookie: sender.cookie } })).status).toBe(401)
    expect((await sender.patch(second, 0, randomBytes(1000))).status).toBe(204)
  })

  test('the size limit holds when uploads race for the last bytes; a cancel gives room back; the quota applies', async () => {
    const box = await folder('Race')
    for (let round = 0; round < 3; round++) {
      const made = await drop(box, { maxBytes: 1000 })
      const a = new Uploader(tokenOf(made.url))
      const b = new Uploader(tokenOf(made.url))
      await a.open()
      await b.open()
      const [one, two] = await Promise.all([a.create(`a${round}.bin`, 600), b.create(`b${round}.bin`, 600)])
      expect([one.status, two.status].sort()).toEqual([201, 413])
      const refused = [one, two].find((r) => r.status === 413)!
      expect(((await refused.json()) as any).error.code).toBe('drop_full')
      // The winner cancels: its room is free again.
      const [winner, location] = one.status === 201 ? [a, one.headers.get('location')!] : [b, two.headers.get('location')!]
      expect((await winner.cancel(location)).status).toBe(204)
      expect((await (a === winner ? b : a).create(`c${round}.bin`, 900)).status).toBe(201)
    }
    // The owner's quota: a drop cannot fill the vault past it.
    const big = await drop(box, { maxBytes: QUOTA })
    const filler = new Uploader(tokenOf(big.url))
    await filler.open()
    const over = await filler.create('too big.bin', QUOTA)
    expect({ status: over.status, code: ((await over.json()) as any).error.code }).toEqual({ status: 413, code: 'quota_exceeded' })
    // ...and a failed creation gave its reservation back.
    expect((await api('/drops')).body.drops.find((d: any) => d.id === big.id).bytesUsed).toBe(0)
  })

  test('closed, expired and wrong links answer 410 or 404 and say which; an upload under way stops when its drop is closed', async () => {
    const box = await folder('Ending')
    expect((await fetch(`${server.url}/d/${'A'.repeat(43)}/info`)).status).toBe(404)
    expect((await fetch(`${server.url}/d/${'A'.repeat(43)}`)).status).toBe(404)
    expect((await fetch(`${server.url}/d/short/info`)).status).toBe(404)

    const made = await drop(box)
    const sender = new Uploader(tokenOf(made.url))
    await sender.open()
    const created = await sender.create('half.bin', 2000)
    const location = created.headers.get('location')!
    expect((await sender.patch(location, 0, randomBytes(1000))).status).toBe(204)
    expect((await api(`/drops/${made.id}`, { method: 'DELETE' })).status).toBe(204)
    const info = await sender.open()
    expect({ status: info.status, code: info.body.error.code }).toEqual({ status: 410, code: 'drop_closed' })
    expect((await fetch(made.url)).status).toBe(410)
    expect((await sender.patch(location, 1000, randomBytes(1000))).status).toBe(410)
    expect((await sender.create('late.bin', 10)).status).toBe(410)

    const expiring = await drop(box, { expiresInSeconds: 60 })
    await server.query('update drops set expires_at = ? where id = ?', server.dialect === 'sqlite' ? Date.now() - 1000 : new Date(Date.now() - 1000), expiring.id)
    const late = new Uploader(tokenOf(expiring.url))
    expect((await late.open()).body.error.code).toBe('drop_expired')
    expect((await api('/drops')).body.drops.find((d: any) => d.id === expiring.id).state).toBe('expired')
  })

  test("only the folder's owner makes, lists and closes its drops; bad input gets 4xx with a reason", async () => {
    const bob = await registerAndLogin(server.url)
    const box = await folder('Mine')
    expect((await api(`/folders/${box}/drops`, { method: 'POST', body: {} }, bob)).status).toBe(404)
    const made = await drop(box)
    expect((await api(`/drops/${made.id}`, { method: 'DELETE' }, bob)).status).toBe(404)
    expect((await api('/drops', {}, bob)).body.drops).toEqual([])
    expect((await requestJson(`${server.url}/api/vault/drops`)).status).toBe(401)
    for (const body of [{ expiresInSeconds: 30 }, { expiresInSeconds: 11 * 86_400 }, { maxBytes: 0 }, { maxBytes: QUOTA + 1 }, { maxBytes: 'lots' }, { expiresInSeconds: 1.5 }]) {
      const refused = await api(`/folders/${box}/drops`, { method: 'POST', body })
      expect({ body, status: refused.status, code: refused.body.error.code }).toEqual({ body, status: 400, code: 'invalid_request' })
    }
    // Deleting the folder ends its drops.
    const sender = new Uploader(tokenOf(made.url))
    expect((await sender.open()).status).toBe(200)
    expect((await api(`/folders/${box}?recursive=true`, { method: 'DELETE' })).status).toBe(204)
    expect((await sender.open()).status).toBe(404)
  })
})
