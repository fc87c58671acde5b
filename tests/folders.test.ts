// Folders and sharing with people, over HTTP against a real server (SQLite and local disk, or PostgreSQL and S3):
// the tree (create, breadcrumbs, rename, move without cycles even when two moves race, delete with what is inside),
// uploads into a folder, a folder as a zip byte-identical to what was uploaded, and read-only grants to another
// user — what they see, what they cannot do, and that a revoked grant ends access at once. Another user's folders
// are as unknown as ids that never existed.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { unzipSync } from 'fflate'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer, type TestServer } from './support/server'
import { registerAndLogin, requestJson } from './support/http'
import { TusClient, randomBytes, sha256 } from './support/tus'

type Account = Awaited<ReturnType<typeof registerAndLogin>>

let server: TestServer
let alice: Account
let bob: Account
let carol: Account

beforeAll(async () => {
  server = await startServer({ LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000' })
  alice = await registerAndLogin(server.url)
  bob = await registerAndLogin(server.url)
  carol = await registerAndLogin(server.url)
}, 30_000)
afterAll(async () => {
  await server?.dispose()
})

const as = (who: Account) => ({ authorization: `Bearer ${who.token}` })
const api = (path: string, init: { method?: string; body?: unknown } = {}, who = alice) => requestJson(`${server.url}/api/vault${path}`, { ...init, headers: as(who) })
const mkdir = async (name: string, parentId: string | null = null, who = alice) => {
  const made = await api('/folders', { method: 'POST', body: { name, parentId } }, who)
  if (made.status !== 201) throw new Error(`mkdir ${name}: ${made.status} ${JSON.stringify(made.body)}`)
  return made.body.folder.id as string
}
const list = (folderId?: string, who = alice) => api(`/files${folderId ? `?folder=${folderId}` : ''}`, {}, who)

describe('folders', () => {
  test('create, list by folder with breadcrumbs, rename, move files and folders, upload into a folder', async () => {
    const tus = new TusClient(server.url, alice.token)
    const photos = await mkdir('Photos')
    const trip = await mkdir('Trip 2026', photos)
    const top = await tus.upload('notes.txt', new TextEncoder().encode('notes'), 'text/plain')
    const inside = await tus.upload('beach.jpg', randomBytes(5000), 'image/jpeg', trip)

    const root = await list()
    expect(root.body.folder).toBeNull()
    expect(root.body.path).toEqual([])
    expect(root.body.folders.map((f: any) => f.name)).toContain('Photos')
    expect(root.body.files.map((f: any) => f.id)).toEqual([top])
    const deep = await list(trip)
    expect(deep.body.folder).toMatchObject({ id: trip, name: 'Trip 2026', parentId: photos })
    expect(deep.body.path).toEqual([
      { id: photos, name: 'Photos' },
      { id: trip, name: 'Trip 2026' },
    ])
    expect(deep.body.files.map((f: any) => ({ id: f.id, folderId: f.folderId }))).toEqual([{ id: inside, folderId: trip }])
    expect(deep.body.total).toBe(1)

    // Rename; a sibling's name is taken; bad names and bodies are refused with a reason.
    expect((await api(`/folders/${trip}`, { method: 'PATCH', body: { name: 'Trip' } })).body.folder.name).toBe('Trip')
    await mkdir('Other', photos)
    expect((await api(`/folders/${trip}`, { method: 'PATCH', body: { name: 'Other' } })).body.error.code).toBe('name_taken')
    expect((await api('/folders', { method: 'POST', body: { name: 'Photos' } })).body.error.code).toBe('name_taken')
    // The same name is fine in another folder.
    expect((await api('/folders', { method: 'POST', body: { name: 'Trip', parentId: null } })).status).toBe(201)
    for (const body of [{ name: '' }, { name: 'a/b' }, { name: '..' }, { name: 5 }, {}, { name: 'x', parentId: 'nope' }]) {
      const refused = await api('/folders', { method: 'POST', body })
      expect({ body, status: refused.status }).toEqual({ body, status: 400 })
      expect(refused.body.error.message.length).toBeGreaterThan(5)
    }
    expect((await api('/folders', { method: 'POST', body: { name: 'x', parentId: crypto.randomUUID() } })).body.error.code).toBe('folder_not_found')

    // Move the top file into the folder and back; a clash in the target folder is 409 and changes nothing.
    expect((await api(`/files/${top}`, { method: 'PATCH', body: { folderId: trip } })).body.file.folderId).toBe(trip)
    expect((await list(trip)).body.files).toHaveLength(2)
    const twin = await tus.upload('notes.txt', new TextEncoder().encode('other notes'), 'text/plain')
    expect((await api(`/files/${twin}`, { method: 'PATCH', body: { folderId: trip } })).body.error.code).toBe('name_taken')
    expect((await api(`/files/${twin}`)).body.file.folderId).toBeNull()
    expect((await api(`/files/${top}`, { method: 'PATCH', body: { folderId: null, name: 'notes (moved).txt' } })).body.file).toMatchObject({ folderId: null, name: 'notes (moved).txt' })
    expect((await api(`/files/${top}`, { method: 'PATCH', body: { folderId: 'nope' } })).body.error.code).toBe('folder_not_found')
    expect((await api(`/files/${top}`, { method: 'PATCH', body: { folderId: 5 } })).status).toBe(400)
    // An upload into a folder that is not there is refused before any byte.
    const nowhere = await tus.create('x.bin', 10, undefined, {}, crypto.randomUUID())
    expect(nowhere.status).toBe(404)
    expect(((await nowhere.json()) as any).error.code).toBe('folder_not_found')

    // Move a folder to the top level and back.
    expect((await api(`/folders/${trip}`, { method: 'PATCH', body: { parentId: null, name: 'Trip (old)' } })).body.folder.parentId).toBeNull()
    expect((await api(`/folders/${trip}`, { method: 'PATCH', body: { parentId: photos } })).body.folder.parentId).toBe(photos)
  })

  test('no cycles: a folder cannot go into itself or below itself, even when two moves race', async () => {
    const a = await mkdir('cycle A')
    const b = await mkdir('cycle B', a)
    expect((await api(`/folders/${a}`, { method: 'PATCH', body: { parentId: a } })).body.error.code).toBe('cycle')
    expect((await api(`/folders/${a}`, { method: 'PATCH', body: { parentId: b } })).body.error.code).toBe('cycle')
    for (let round = 0; round < 5; round++) {
      const x = await mkdir(`race x${round}`)
      const y = await mkdir(`race y${round}`)
      const [one, two] = await Promise.all([
        api(`/folders/${x}`, { method: 'PATCH', body: { parentId: y } }),
        api(`/folders/${y}`, { method: 'PATCH', body: { parentId: x } }),
      ])
      expect([one.status, two.status].sort()).toEqual([200, 400])
      expect([one, two].find((r) => r.status === 400)!.body.error.code).toBe('cycle')
    }
  })

  test('depth is bounded; delete refuses a non-empty folder unless asked, then takes everything inside', async () => {
    let parent: string | null = null
    const chain: string[] = []
    for (let depth = 1; depth <= 32; depth++) chain.push((parent = await mkdir(`level ${depth}`, parent)))
    const tooDeep = await api('/folders', { method: 'POST', body: { name: 'level 33', parentId: parent } })
    expect({ status: tooDeep.status, code: tooDeep.body.error.code }).toEqual({ status: 409, code: 'too_deep' })
    // Moving a two-level folder under level 31 would make 33 levels.
    const two = await mkdir('two levels')
    await mkdir('inner', two)
    expect((await api(`/folders/${two}`, { method: 'PATCH', body: { parentId: chain[30] } })).body.error.code).toBe('too_deep')

    const tus = new TusClient(server.url, alice.token)
    const usage = (await api('/usage')).body.usedBytes
    const file = await tus.upload('deep.bin', randomBytes(10_000), undefined, chain[20])
    await tus.upload('shallow.bin', randomBytes(10_000), undefined, chain[1])
    const refused = await api(`/folders/${chain[0]}`, { method: 'DELETE' })
    expect({ status: refused.status, code: refused.body.error.code }).toEqual({ status: 409, code: 'folder_not_empty' })
    expect((await api(`/folders/${chain[0]}?recursive=yes`, { method: 'DELETE' })).status).toBe(400)
    expect((await api(`/folders/${chain[0]}?recursive=true`, { method: 'DELETE' })).status).toBe(204)
    expect((await api(`/folders/${chain[31]}`)).body.error.code).toBe('folder_not_found')
    expect((await api(`/files/${file}`)).body.error.code).toBe('file_not_found')
    expect((await api('/usage')).body.usedBytes).toBe(usage)
    // An empty folder goes without asking.
    expect((await api(`/folders/${await mkdir('empty')}`, { method: 'DELETE' })).status).toBe(204)
  })

  test('a folder downloads as one zip: every file byte-identical, subfolders and empty folders kept', async () => {
    const tus = new TusClient(server.url, alice.token)
    const album = await mkdir('Album')
    const inner = await mkdir('Inner', album)
    await mkdir('Empty', album)
    const big = randomBytes(3_000_000)
    const small = new TextEncoder().encode('hello, zip')
    const clash = randomBytes(1000)
    await tus.upload('big.bin', big, undefined, album)
    await tus.upload('hello.txt', small, 'text/plain', inner)
    // A file named like the folder beside it.
    await tus.upload('Inner', clash, undefined, album)
    const zip = await fetch(`${server.url}/api/vault/folders/${album}/zip`, { headers: as(alice) })
    expect(zip.status).toBe(200)
    expect(zip.headers.get('content-type')).toBe('application/zip')
    expect(zip.headers.get('content-disposition')).toContain('Album.zip')
    const zipped = new Uint8Array(await zip.arrayBuffer())
    // Info-ZIP's unzip checks every entry's CRC-32 and the directory; fflate's reader gives the bytes back.
    const archive = join(mkdtempSync(join(tmpdir(), 'partyroom-zip-')), 'Album.zip')
    await Bun.write(archive, zipped)
    const check = Bun.spawnSync(['unzip', '-t', archive])
    expect({ code: check.exitCode, out: check.stdout.toString() }).toMatchObject({ code: 0, out: expect.stringContaining('No errors detected') })
    rmSync(archive, { force: true })
    const entries = unzipSync(zipped)
    expect(Object.keys(entries).sort()).toEqual(['Album/', 'Album/Empty/', 'Album/Inner (2)', 'Album/Inner/', 'Album/Inner/hello.txt', 'Album/big.bin'])
    expect(sha256(entries['Album/big.bin']!)).toBe(sha256(big))
    expect(new TextDecoder().decode(entries['Album/Inner/hello.txt'])).toBe('hello, zip')
    expect(sha256(entries['Album/Inner (2)']!)).toBe(sha256(clash))
    expect((await fetch(`${server.url}/api/vault/folders/${album}/zip`, { headers: as(bob) })).status).toBe(404)
    expect((await fetch(`${server.url}/api/vault/folders/${album}/zip`)).status).toBe(401)
  })

  test("another user's folders are as unknown as ids that never existed", async () => {
    const mine = await mkdir('private')
    const bobFile = await new TusClient(server.url, bob.token).upload('b.txt', new TextEncoder().encode('b'))
    expect((await list(mine, bob)).body.error.code).toBe('folder_not_found')
    expect((await api(`/folders/${mine}`, {}, bob)).status).toBe(404)
    expect((await api(`/folders/${mine}`, { method: 'PATCH', body: { name: 'mine now' } }, bob)).status).toBe(404)
    expect((await api(`/folders/${mine}?recursive=true`, { method: 'DELETE' }, bob)).status).toBe(404)
    expect((await api('/folders', { method: 'POST', body: { name: 'in yours', parentId: mine } }, bob)).body.error.code).toBe('folder_not_found')
    expect((await api(`/files/${bobFile}`, { method: 'PATCH', body: { folderId: mine } }, bob)).body.error.code).toBe('folder_not_found')
    expect((await new TusClient(server.url, bob.token).create('x', 1, undefined, {}, mine)).status).toBe(404)
    expect((await requestJson(`${server.url}/api/vault/folders`, { method: 'POST', body: { name: 'x' } })).status).toBe(401)
  })
})

describe('thumbnails', () => {
  const webp = (size: number) => {
    const bytes = randomBytes(size)
    bytes.set(new TextEncoder().encode('RIFF'), 0)
    bytes.set(new TextEncoder().encode('WEBP'), 8)
    return bytes
  }
  const put = (id: string, body: Uint8Array<ArrayBuffer>, who = alice) => fetch(`${server.url}/api/vault/files/${id}/thumbnail`, { method: 'PUT', headers: as(who), body })

  test("the owner stores a thumbnail; lists say so; it is served to the owner and to whom the file is shared with; bad ones are refused", async () => {
    const tus = new TusClient(server.url, alice.token)
    const album = await mkdir('Thumbs')
    const id = await tus.upload('photo.jpg', randomBytes(50_000), 'image/jpeg', album)
    expect((await list(album)).body.files[0].hasThumbnail).toBe(false)
    const picture = webp(5000)
    expect((await put(id, picture)).status).toBe(204)
    expect((await list(album)).body.files[0].hasThumbnail).toBe(true)
    const got = await fetch(`${server.url}/api/vault/files/${id}/thumbnail`, { headers: as(alice) })
    expect(got.headers.get('content-type')).toBe('image/webp')
    expect(got.headers.get('content-security-policy')).toContain('sandbox')
    expect(sha256(new Uint8Array(await got.arrayBuffer()))).toBe(sha256(picture))
    // Remade: replaced.
    const again = webp(3000)
    expect((await put(id, again)).status).toBe(204)
    expect(sha256(new Uint8Array(await (await fetch(`${server.url}/api/vault/files/${id}/thumbnail`, { headers: as(alice) })).arrayBuffer()))).toBe(sha256(again))

    // Refused: too large, not a picture, empty, someone else's file.
    const big = await put(id, webp(33 * 1024))
    expect({ status: big.status, code: ((await big.json()) as any).error.code }).toEqual({ status: 413, code: 'body_too_large' })
    const html = await put(id, new TextEncoder().encode('<svg onload="alert(1)"></svg>') as Uint8Array<ArrayBuffer>)
    expect(html.status).toBe(415)
    expect((await put(id, new Uint8Array(0))).status).toBe(400)
    expect((await put(id, webp(100), bob)).status).toBe(404)
    expect((await fetch(`${server.url}/api/vault/files/${id}/thumbnail`, { headers: as(bob) })).status).toBe(404)

    // Shared with Bob: he sees it in the shared listing and gets it; Carol does not.
    expect((await api('/grants', { method: 'POST', body: { username: bob.username, folderId: album } })).status).toBe(201)
    expect((await api(`/shared/folders/${album}`, {}, bob)).body.files[0].hasThumbnail).toBe(true)
    expect((await fetch(`${server.url}/api/vault/shared/files/${id}/thumbnail`, { headers: as(bob) })).status).toBe(200)
    expect((await fetch(`${server.url}/api/vault/shared/files/${id}/thumbnail`, { headers: as(carol) })).status).toBe(404)
    // The file deleted: its thumbnail goes with it.
    expect((await api(`/files/${id}`, { method: 'DELETE' })).status).toBe(204)
    expect((await server.query('select file_id from thumbnails where file_id = ?', id)).length).toBe(0)
    // And the folder with its grant.
    expect((await api(`/folders/${album}`, { method: 'DELETE' })).status).toBe(204)
    expect((await api('/shared', {}, bob)).body.shared).toEqual([])
  })
})

describe('sharing with people', () => {
  test('a shared folder: the recipient lists it, downloads what is inside at any depth, and changes nothing; revoking ends it at once', async () => {
    const tus = new TusClient(server.url, alice.token)
    const project = await mkdir('Project')
    const docs = await mkdir('Docs', project)
    const spec = randomBytes(200_000)
    const specId = await tus.upload('spec.pdf', spec, 'application/pdf', docs)
    const outside = await tus.upload('outside.txt', new TextEncoder().encode('not shared'), 'text/plain')

    const made = await api('/grants', { method: 'POST', body: { username: bob.username, folderId: project } })
    expect(made.status).toBe(201)
    expect(made.body.grant).toMatchObject({ recipient: { username: bob.username }, owner: { username: alice.username }, folder: { id: project, name: 'Project' }, file: null })
    const grantId = made.body.grant.id

    const shared = await api('/shared', {}, bob)
    expect(shared.body.shared).toHaveLength(1)
    expect(shared.body.shared[0]).toMatchObject({ owner: { username: alice.username }, folder: { id: project, name: 'Project' } })
    const top = await api(`/shared/folders/${project}`, {}, bob)
    expect(top.body.folders.map((f: any) => f.name)).toEqual(['Docs'])
    const inside = await api(`/shared/folders/${docs}`, {}, bob)
    // The path starts at what was shared: nothing above it is shown.
    expect(inside.body.path).toEqual([
      { id: project, name: 'Project' },
      { id: docs, name: 'Docs' },
    ])
    expect(inside.body.files.map((f: any) => f.id)).toEqual([specId])
    const got = await fetch(`${server.url}/api/vault/shared/files/${specId}/content`, { headers: as(bob) })
    expect(sha256(new Uint8Array(await got.arrayBuffer()))).toBe(sha256(spec))
    expect(got.headers.get('content-disposition')).toStartWith('attachment')
    const preview = await fetch(`${server.url}/api/vault/shared/files/${specId}/content?inline=1`, { headers: as(bob, ), })
    expect(preview.headers.get('content-disposition')).toStartWith('inline')
    await preview.arrayBuffer()
    const zip = unzipSync(new Uint8Array(await (await fetch(`${server.url}/api/vault/shared/folders/${project}/zip`, { headers: as(bob) })).arrayBuffer()))
    expect(sha256(zip['Project/Docs/spec.pdf']!)).toBe(sha256(spec))

    // Read-only: nothing of Alice's can be renamed, moved, deleted or reshared by Bob; the rest of her vault stays hers.
    expect((await api(`/files/${specId}`, { method: 'PATCH', body: { name: 'mine.pdf' } }, bob)).status).toBe(404)
    expect((await api(`/files/${specId}`, { method: 'DELETE' }, bob)).status).toBe(404)
    expect((await api(`/folders/${docs}`, { method: 'PATCH', body: { name: 'x' } }, bob)).status).toBe(404)
    expect((await api('/grants', { method: 'POST', body: { username: carol.username, folderId: project } }, bob)).status).toBe(404)
    expect((await api(`/files/${specId}/shares`, { method: 'POST', body: {} }, bob)).status).toBe(404)
    expect((await api(`/shared/files/${outside}`, {}, bob)).status).toBe(404)
    expect((await api(`/shared/folders/${project}`, {}, carol)).status).toBe(404)
    expect((await api(`/shared/files/${specId}`, {}, carol)).status).toBe(404)
    expect((await api('/shared', {}, carol)).body.shared).toEqual([])

    // Revoked: gone at once, for every route.
    expect((await api(`/grants/${grantId}`, { method: 'DELETE' })).status).toBe(204)
    expect((await api('/shared', {}, bob)).body.shared).toEqual([])
    expect((await api(`/shared/folders/${docs}`, {}, bob)).status).toBe(404)
    expect((await fetch(`${server.url}/api/vault/shared/files/${specId}/content`, { headers: as(bob) })).status).toBe(404)
    expect((await fetch(`${server.url}/api/vault/shared/folders/${project}/zip`, { headers: as(bob) })).status).toBe(404)
  })

  test('a shared file: the owner sees with whom, the recipient may drop it; bad requests are refused with a reason', async () => {
    const tus = new TusClient(server.url, alice.token)
    const bytes = randomBytes(1234)
    const id = await tus.upload('one file.bin', bytes)
    const made = await api('/grants', { method: 'POST', body: { username: carol.username.toUpperCase(), fileId: id } })
    expect(made.status).toBe(201)
    expect((await api('/grants')).body.grants.find((g: any) => g.id === made.body.grant.id)).toMatchObject({ recipient: { username: carol.username }, file: { id, name: 'one file.bin' } })
    expect((await api(`/shared/files/${id}`, {}, carol)).body.file).toMatchObject({ id, name: 'one file.bin', size: 1234 })
    const again = await api('/grants', { method: 'POST', body: { username: carol.username, fileId: id } })
    expect({ status: again.status, code: again.body.error.code }).toEqual({ status: 409, code: 'already_shared' })
    const refusals: Array<[unknown, number, string]> = [
      [{ username: alice.username, fileId: id }, 400, 'self_share'],
      [{ username: 'nobody_at_all_here', fileId: id }, 404, 'user_not_found'],
      [{ username: carol.username }, 400, 'invalid_request'],
      [{ username: carol.username, fileId: id, folderId: id }, 400, 'invalid_request'],
      [{ username: carol.username, fileId: crypto.randomUUID() }, 404, 'file_not_found'],
      [{ username: carol.username, folderId: 'x' }, 404, 'folder_not_found'],
      [{ username: 7, fileId: id }, 400, 'invalid_request'],
    ]
    for (const [body, status, code] of refusals) {
      const refused = await api('/grants', { method: 'POST', body })
      expect({ body, status: refused.status, code: refused.body.error.code }).toEqual({ body, status, code })
    }
    // The recipient drops it from their list; a third user cannot touch the grant.
    expect((await api(`/grants/${made.body.grant.id}`, { method: 'DELETE' }, bob)).status).toBe(404)
    expect((await api(`/grants/${made.body.grant.id}`, { method: 'DELETE' }, carol)).status).toBe(204)
    expect((await api(`/shared/files/${id}`, {}, carol)).status).toBe(404)
    // Deleting the file ends its grants.
    const regrant = await api('/grants', { method: 'POST', body: { username: carol.username, fileId: id } })
    expect(regrant.status).toBe(201)
    expect((await api(`/files/${id}`, { method: 'DELETE' })).status).toBe(204)
    expect((await api('/grants')).body.grants.some((g: any) => g.id === regrant.body.grant.id)).toBe(false)
  })
})
