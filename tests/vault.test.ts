import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, writeFileSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer, type TestServer } from './support/server'
import { registerAndLogin, requestJson } from './support/http'
import { TusClient, randomBytes, sha256 } from './support/tus'

let server: TestServer
let alice: Awaited<ReturnType<typeof registerAndLogin>>
let bob: Awaited<ReturnType<typeof registerAndLogin>>
let tus: TusClient

beforeAll(async () => {
  server = await startServer({ VAULT_MAX_FILE_BYTES: String(2 * 1024 ** 3), VAULT_QUOTA_BYTES: String(8 * 1024 ** 3) })
  alice = await registerAndLogin(server.url)
  bob = await registerAndLogin(server.url)
  tus = new TusClient(server.url, alice.token)
})
afterAll(async () => {
  await server?.dispose()
})

const as = (account: { token: string }) => ({ authorization: `Bearer ${account.token}` })
/** The Content-Length a download carries: exact from disk, and from S3 up to 1 MiB; none for a larger body from S3,
 * which is streamed through and Bun.serve sends a streamed body chunked whatever the header says (oven-sh/bun#10507). */
const lengthHeader = (target: TestServer, bytes: number) => (target.cluster && bytes > 1024 * 1024 ? null : String(bytes))
const content = (id: string) => `${server.url}/api/vault/files/${id}/content`

function vaultFiles(target: TestServer, dir: 'tmp' | 'blobs'): string[] {
  const root = join(target.dataDir, 'vault', dir)
  if (dir === 'tmp') return readdirSync(root)
  return readdirSync(root).flatMap((shard) => readdirSync(join(root, shard)))
}

/** Everything the server's blob store holds: files and unfinished uploads, on disk or in its bucket. */
async function stored(target: TestServer): Promise<string[]> {
  if (target.cluster) return [...(await target.cluster.bucketKeys()), ...(await target.cluster.multipartUploads()).map((k) => `multipart:${k}`)]
  return [...vaultFiles(target, 'tmp').map((f) => `tmp/${f}`), ...vaultFiles(target, 'blobs').map((f) => `blobs/${f}`)]
}

describe('round trips', () => {
  test('a small file comes back byte-identical with the right headers', async () => {
    const bytes = randomBytes(300_000)
    const id = await tus.upload('résumé 📄 "final".pdf', bytes, 'application/pdf')
    const response = await fetch(content(id), { headers: as(alice) })
    expect(response.status).toBe(200)
    const body = new Uint8Array(await response.arrayBuffer())
    expect(sha256(body)).toBe(sha256(bytes))
    expect(response.headers.get('content-type')).toBe('application/pdf')
    expect(response.headers.get('content-length')).toBe(lengthHeader(server, 300000))
    expect(response.headers.get('etag')).toBe(`"${sha256(bytes)}"`)
    expect(response.headers.get('accept-ranges')).toBe('bytes')
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="r?sum? ?? \\"final\\".pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%F0%9F%93%84%20%22final%22.pdf`,
    )
    const meta = await requestJson(`${server.url}/api/vault/files/${id}`, { headers: as(alice) })
    expect(meta.body.file).toMatchObject({ id, name: 'résumé 📄 "final".pdf', size: 300_000, contentType: 'application/pdf', sha256: sha256(bytes) })
  })

  test('an empty file is a file', async () => {
    const id = await tus.upload('empty.txt', new Uint8Array(0), 'text/plain')
    const response = await fetch(content(id), { headers: as(alice) })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-length')).toBe('0')
    expect((await response.arrayBuffer()).byteLength).toBe(0)
    const meta = await requestJson(`${server.url}/api/vault/files/${id}`, { headers: as(alice) })
    expect(meta.body.file.sha256).toBe(sha256(new Uint8Array(0)))
  })

  test('a 1 GiB file, far over Bun’s default body limit, streams up and down intact', async () => {
    const dir = join(tmpdir(), `partyroom-big-${process.pid}`)
    mkdirSync(dir, { recursive: true })
    const source = join(dir, 'big.bin')
    try {
      const size = 1024 ** 3
      const writer = Bun.file(source).writer()
      const block = randomBytes(8 * 1024 * 1024)
      const expected = new Bun.CryptoHasher('sha256')
      for (let written = 0, n = 0; written < size; written += block.byteLength, n++) {
        block[0] = n & 0xff // every block differs
        writer.write(block)
        expected.update(block)
        await writer.flush()
      }
      await writer.end()
      const digest = expected.digest('hex')

      const id = await tus.upload('big.bin', Bun.file(source))
      const meta = await requestJson(`${server.url}/api/vault/files/${id}`, { headers: as(alice) })
      expect(meta.body.file.size).toBe(size)
      expect(meta.body.file.sha256).toBe(digest)

      const response = await fetch(content(id), { headers: as(alice) })
      expect(response.headers.get('content-length')).toBe(lengthHeader(server, size))
      const hasher = new Bun.CryptoHasher('sha256')
      let received = 0
      for await (const chunk of response.body!) {
        hasher.update(chunk)
        received += chunk.byteLength
      }
      expect(received).toBe(size)
      expect(hasher.digest('hex')).toBe(digest)
      await fetch(`${server.url}/api/vault/files/${id}`, { method: 'DELETE', headers: as(alice) })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 180_000)
})

describe('resumable uploads', () => {
  test('an upload cut mid-body resumes from the offset the server reports', async () => {
    const bytes = randomBytes(6 * 1024 * 1024)
    const created = await tus.create('resumed.bin', bytes.byteLength)
    expect(created.status).toBe(201)
    const location = created.headers.get('location')!
    expect(created.headers.get('upload-offset')).toBe('0')

    // Send 3 MiB, then the connection dies (the body never ends; the client gives up on it).
    const cut = new AbortController()
    const partial = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.subarray(0, 3 * 1024 * 1024))
        setTimeout(() => cut.abort(), 500)
      },
    })
    await tus.patch(location, 0, partial, {}, cut.signal).catch(() => undefined)

    // Ask how much arrived: the server records it once it has seen the connection die.
    let offset = 0
    for (let i = 0; i < 100 && offset === 0; i++) {
      const head = await tus.head(location)
      expect(head.status).toBe(200)
      expect(head.headers.get('upload-length')).toBe(String(bytes.byteLength))
      expect(head.headers.get('cache-control')).toBe('no-store')
      offset = Number(head.headers.get('upload-offset'))
      if (offset === 0) await Bun.sleep(100)
    }
    expect(offset).toBeGreaterThan(0)
    expect(offset).toBeLessThanOrEqual(3 * 1024 * 1024)

    // A chunk at the wrong offset is refused; the right one completes the file.
    const wrong = await tus.patch(location, offset + 1, bytes.subarray(offset + 1))
    expect(wrong.status).toBe(409)
    expect((await wrong.json()).error.code).toBe('offset_mismatch')
    let done: Response | undefined
    for (let i = 0; i < 20; i++) {
      done = await tus.patch(location, offset, bytes.subarray(offset))
      if (done.status !== 423) break
      await Bun.sleep(100)
    }
    expect(done!.status).toBe(204)
    expect(done!.headers.get('upload-offset')).toBe(String(bytes.byteLength))
    const id = done!.headers.get('vault-file-id')!
    const body = new Uint8Array(await (await fetch(content(id), { headers: as(alice) })).arrayBuffer())
    expect(sha256(body)).toBe(sha256(bytes))
  })

  test('an upload sent in several chunks, and one sent with its creation, both complete', async () => {
    const bytes = randomBytes(1_000_000)
    const created = await tus.create('chunks.bin', bytes.byteLength)
    const location = created.headers.get('location')!
    for (let offset = 0; offset < bytes.byteLength; offset += 300_000) {
      const response = await tus.patch(location, offset, bytes.subarray(offset, offset + 300_000))
      expect(response.status).toBe(204)
      expect(Number(response.headers.get('upload-offset'))).toBe(Math.min(bytes.byteLength, offset + 300_000))
    }
    expect((await tus.head(location)).headers.get('vault-file-id')).toBeTruthy()

    const small = randomBytes(5000)
    const withUpload = await fetch(`${server.url}/api/vault/uploads`, {
      method: 'POST',
      headers: {
        ...as(alice),
        'tus-resumable': '1.0.0',
        'upload-length': '5000',
        'upload-metadata': `filename ${btoa('inline.bin')}`,
        'content-type': 'application/offset+octet-stream',
      },
      body: small,
    })
    expect(withUpload.status).toBe(201)
    expect(withUpload.headers.get('upload-offset')).toBe('5000')
    const id = withUpload.headers.get('vault-file-id')!
    expect(sha256(new Uint8Array(await (await fetch(content(id), { headers: as(alice) })).arrayBuffer()))).toBe(sha256(small))
  })

  test('a cancelled upload leaves nothing behind', async () => {
    const before = await stored(server)
    const created = await tus.create('cancel.bin', 1000)
    const location = created.headers.get('location')!
    await tus.patch(location, 0, randomBytes(500))
    expect((await stored(server)).length).toBeGreaterThan(before.length)
    expect((await tus.terminate(location)).status).toBe(204)
    expect(await stored(server)).toEqual(before)
    expect((await tus.head(location)).status).toBe(404)
  })

  test('protocol mistakes get clear errors', async () => {
    const created = await tus.create('strict.bin', 100)
    const location = created.headers.get('location')!
    const cases: Array<[Promise<Response>, number, string?]> = [
      [fetch(`${server.url}/api/vault/uploads`, { method: 'POST', headers: { ...as(alice), 'upload-length': '5' } }), 412, 'unsupported_tus_version'],
      [fetch(`${server.url}/api/vault/uploads`, { method: 'POST', headers: { ...as(alice), 'tus-resumable': '1.0.0', 'upload-metadata': `filename ${btoa('x')}` } }), 400, 'length_required'],
      [tus.create('x', -1 as number), 400, 'invalid_header'],
      [fetch(`${server.url}/api/vault/uploads`, { method: 'POST', headers: { ...as(alice), 'tus-resumable': '1.0.0', 'upload-defer-length': '1', 'upload-metadata': `filename ${btoa('x')}` } }), 400, 'length_required'],
      [fetch(`${server.url}/api/vault/uploads`, { method: 'POST', headers: { ...as(alice), 'tus-resumable': '1.0.0', 'upload-length': '5' } }), 400, 'invalid_name'],
      [fetch(`${server.url}/api/vault/uploads`, { method: 'POST', headers: { ...as(alice), 'tus-resumable': '1.0.0', 'upload-length': '5', 'upload-metadata': 'filename ***' } }), 400, 'invalid_metadata'],
      [tus.patch(location, 0, randomBytes(10), { 'content-type': 'application/octet-stream' }), 415],
      [fetch(server.url + location, { method: 'PATCH', headers: { ...as(alice), 'content-type': 'application/offset+octet-stream' }, body: 'x' }), 400, 'offset_required'],
      [tus.patch(location, 0, randomBytes(10), { 'upload-offset': 'abc' }), 400, 'invalid_header'],
      [tus.patch(location, 0, randomBytes(101)), 413, 'beyond_length'],
      [tus.patch(location, 50, randomBytes(10)), 409, 'offset_mismatch'],
      [tus.patch('/api/vault/uploads/00000000-0000-0000-0000-000000000000', 0, randomBytes(10)), 404, 'upload_not_found'],
    ]
    for (const [pending, status, code] of cases) {
      const response = await pending
      expect(response.status).toBe(status)
      const body = await response.json()
      expect(body.error.message.length).toBeGreaterThan(5)
      if (code) expect(body.error.code).toBe(code)
    }
    // A body that runs past the declared length is refused without storing a byte beyond it.
    expect((await tus.head(location)).headers.get('upload-offset')).toBe('0')
    const options = await fetch(`${server.url}/api/vault/uploads`, { method: 'OPTIONS' })
    expect(options.headers.get('tus-version')).toBe('1.0.0')
    expect(options.headers.get('tus-extension')).toContain('creation')
  })
})

describe('downloads', () => {
  let id: string
  const bytes = randomBytes(10_000)
  beforeAll(async () => {
    id = await tus.upload('ranges.bin', bytes)
  })
  const get = (headers: Record<string, string>) => fetch(content(id), { headers: { ...as(alice), ...headers } })

  test('single ranges answer 206 with the right bytes', async () => {
    for (const [range, start, end] of [
      ['bytes=0-9', 0, 9],
      ['bytes=100-', 100, 9999],
      ['bytes=-10', 9990, 9999],
      ['bytes=9000-20000', 9000, 9999],
    ] as const) {
      const response = await get({ range })
      expect(response.status).toBe(206)
      expect(response.headers.get('content-range')).toBe(`bytes ${start}-${end}/10000`)
      expect(response.headers.get('content-length')).toBe(lengthHeader(server, end - start + 1))
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes.subarray(start, end + 1))
    }
  })

  test('an unsatisfiable range is 416; a stale If-Range, several ranges or a malformed range get the whole file', async () => {
    const unsatisfiable = await get({ range: 'bytes=20000-' })
    expect(unsatisfiable.status).toBe(416)
    expect(unsatisfiable.headers.get('content-range')).toBe('bytes */10000')
    const wholeFile: Array<Record<string, string>> = [{ range: 'bytes=0-9', 'if-range': '"stale"' }, { range: 'bytes=0-1,5-6' }, { range: 'lines=1-2' }]
    for (const headers of wholeFile) {
      const response = await get(headers)
      expect(response.status).toBe(200)
      expect((await response.arrayBuffer()).byteLength).toBe(10_000)
    }
    const fresh = await get({ range: 'bytes=0-9', 'if-range': `"${sha256(bytes)}"` })
    expect(fresh.status).toBe(206)
  })

  test('a matching If-None-Match is 304', async () => {
    const response = await get({ 'if-none-match': `"${sha256(bytes)}"` })
    expect(response.status).toBe(304)
  })
})

describe('the file list and file operations', () => {
  test('lists with sorting and paging, renames, refuses bad and duplicate names, deletes', async () => {
    const carol = await registerAndLogin(server.url)
    const mine = new TusClient(server.url, carol.token)
    const sizes = [5, 1, 4, 2, 3]
    for (const [i, size] of sizes.entries()) await mine.upload(`file-${i}.txt`, randomBytes(size * 100))
    const list = (query: string) => requestJson(`${server.url}/api/vault/files?${query}`, { headers: as(carol) })
    const bySize = await list('sort=size&order=asc&limit=2&offset=2')
    expect(bySize.body.total).toBe(5)
    expect(bySize.body.files.map((f: any) => f.size)).toEqual([300, 400])
    const byName = await list('sort=name')
    expect(byName.body.files.map((f: any) => f.name)).toEqual(['file-0.txt', 'file-1.txt', 'file-2.txt', 'file-3.txt', 'file-4.txt'])
    const newest = await list('')
    expect(newest.body.files[0].name).toBe('file-4.txt')
    for (const bad of ['sort=owner', 'order=sideways', 'limit=0', 'limit=1000', 'offset=-1', 'limit=abc']) {
      const response = await list(bad)
      expect(response.status).toBe(400)
      expect(response.body.error.message.length).toBeGreaterThan(5)
    }

    // Same name again: stored under the next free name, as a file manager does.
    await mine.upload('file-0.txt', randomBytes(10))
    const again = await list('sort=name')
    expect(again.body.files.map((f: any) => f.name)).toContain('file-0 (2).txt')

    const target = byName.body.files[0].id
    const rename = (name: unknown) =>
      requestJson(`${server.url}/api/vault/files/${target}`, { method: 'PATCH', headers: as(carol), body: { name } })
    expect((await rename('renamed ✓.txt')).body.file.name).toBe('renamed ✓.txt')
    expect((await rename('file-1.txt')).status).toBe(409)
    for (const bad of ['', '   ', '.', '..', '../escape.txt', '/etc/passwd', 'a\\b', 'nul\u0000byte', 'bell\u0007', 'x'.repeat(1000), 42]) {
      const response = await rename(bad)
      expect(response.status).toBe(400)
    }

    const usage = await requestJson(`${server.url}/api/vault/usage`, { headers: as(carol) })
    expect(usage.body).toEqual({ files: 6, usedBytes: 1500 + 10, quotaBytes: 8 * 1024 ** 3, maxFileBytes: 2 * 1024 ** 3 })

    const blobsBefore = (await stored(server)).length
    expect((await fetch(`${server.url}/api/vault/files/${target}`, { method: 'DELETE', headers: as(carol) })).status).toBe(204)
    expect((await stored(server)).length).toBe(blobsBefore - 1)
    expect((await fetch(`${server.url}/api/vault/files/${target}/content`, { headers: as(carol) })).status).toBe(404)
    expect((await fetch(`${server.url}/api/vault/files/${target}`, { method: 'DELETE', headers: as(carol) })).status).toBe(404)
  })

  test('bad file names are refused at upload', async () => {
    const before = await stored(server)
    for (const name of ['../../etc/passwd', '/abs/path', 'C:\\windows', 'nul\u0000', 'tab\tname', '..', 'x'.repeat(256)]) {
      const response = await tus.create(name, 10)
      expect(response.status).toBe(400)
      expect((await response.json()).error.code).toBe('invalid_name')
    }
    if (!server.cluster) expect(readdirSync(join(server.dataDir, 'vault')).sort()).toEqual(['blobs', 'tmp'])
    expect(await stored(server)).toEqual(before)
  })
})

describe('isolation and authentication', () => {
  test('another user’s file or upload is as unknown as one that never existed', async () => {
    const id = await tus.upload('private.txt', new TextEncoder().encode('alice only'))
    const created = await tus.create('private-upload.bin', 100)
    const upload = created.headers.get('location')!
    const mallory = new TusClient(server.url, bob.token)
    const attempts = [
      fetch(`${server.url}/api/vault/files/${id}`, { headers: as(bob) }),
      fetch(content(id), { headers: as(bob) }),
      fetch(`${server.url}/api/vault/files/${id}`, { method: 'PATCH', headers: { ...as(bob), 'content-type': 'application/json' }, body: '{"name":"mine.txt"}' }),
      fetch(`${server.url}/api/vault/files/${id}`, { method: 'DELETE', headers: as(bob) }),
      mallory.patch(upload, 0, randomBytes(10)),
      mallory.terminate(upload),
    ]
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(404)
    }
    expect((await mallory.head(upload)).status).toBe(404)
    const bobsList = await requestJson(`${server.url}/api/vault/files`, { headers: as(bob) })
    expect(bobsList.body.files.map((f: any) => f.id)).not.toContain(id)
    // Alice's file is untouched.
    expect(await (await fetch(content(id), { headers: as(alice) })).text()).toBe('alice only')
  })

  test('every vault route needs a login', async () => {
    const routes: Array<[string, string]> = [
      ['GET', '/api/vault/files'],
      ['GET', '/api/vault/usage'],
      ['GET', '/api/vault/files/00000000-0000-0000-0000-000000000000'],
      ['GET', '/api/vault/files/00000000-0000-0000-0000-000000000000/content'],
      ['DELETE', '/api/vault/files/00000000-0000-0000-0000-000000000000'],
      ['POST', '/api/vault/uploads'],
      ['PATCH', '/api/vault/uploads/00000000-0000-0000-0000-000000000000'],
    ]
    for (const [method, path] of routes) {
      const response = await fetch(server.url + path, { method, headers: { 'tus-resumable': '1.0.0' } })
      expect(response.status).toBe(401)
    }
  })

  test('ids that try to walk the file system find nothing', async () => {
    for (const path of ['..%2F..%2F..%2Fetc%2Fpasswd', '..', '%2e%2e', 'x/../../package.json']) {
      const response = await fetch(`${server.url}/api/vault/files/${path}/content`, { headers: as(alice) })
      expect(response.status).toBe(404)
      expect(await response.text()).not.toContain('root:x:0:0')
    }
  })
})

describe('limits and crashes', () => {
  test('the per-file limit and the quota answer 413 before any byte is sent, counting uploads in progress', async () => {
    const small = await startServer({ VAULT_QUOTA_BYTES: '1000000', VAULT_MAX_FILE_BYTES: '700000' })
    try {
      const user = await registerAndLogin(small.url)
      const client = new TusClient(small.url, user.token)
      const tooBig = await client.create('big.bin', 800_000)
      expect(tooBig.status).toBe(413)
      expect((await tooBig.json()).error.code).toBe('file_too_large')
      await client.upload('first.bin', randomBytes(600_000))
      const reserved = await client.create('second.bin', 300_000)
      expect(reserved.status).toBe(201)
      const over = await client.create('third.bin', 200_000)
      expect(over.status).toBe(413)
      expect((await over.json()).error.code).toBe('quota_exceeded')
      // Cancelling the reservation frees the room again.
      await client.terminate(reserved.headers.get('location')!)
      // Uploads created at the same moment cannot share the same free space (400,000 bytes are left).
      const racing = await Promise.all([client.create('race-a.bin', 300_000), client.create('race-b.bin', 300_000)])
      expect(racing.map((r) => r.status).sort()).toEqual([201, 413])
      await client.terminate(racing.find((r) => r.status === 201)!.headers.get('location')!)
      expect((await client.create('third.bin', 200_000)).status).toBe(201)
      const usage = await requestJson(`${small.url}/api/vault/usage`, { headers: as(user) })
      expect(usage.body.usedBytes).toBe(600_000)
    } finally {
      await small.dispose()
    }
  })

  test('kill -9 mid-upload: after a restart nothing partial is visible, the upload resumes to a whole file, orphans are gone', async () => {
    const own = await startServer()
    try {
      const user = await registerAndLogin(own.url)
      const client = new TusClient(own.url, user.token)
      const kept = await client.upload('kept.bin', randomBytes(1000))
      const data = randomBytes(12_000_000)
      const created = await client.create('interrupted.bin', data.byteLength)
      const location = created.headers.get('location')!
      // 3 MB stored by a finished request; then a request that is cut by the crash after 4 MB more arrived.
      expect((await client.patch(location, 0, data.subarray(0, 3_000_000))).status).toBe(204)
      let sent = 0
      const slow = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (sent >= 4_000_000) return Bun.sleep(50) // then the body stalls until the server dies
          controller.enqueue(data.subarray(3_000_000 + sent, 3_000_000 + sent + 500_000))
          sent += 500_000
        },
      })
      const cut = client.patch(location, 3_000_000, slow).catch(() => undefined)
      while (sent < 4_000_000) await Bun.sleep(20)
      await Bun.sleep(300)
      // A blob with no row, as a crash between storing and recording would leave (local disk).
      const orphan = 'ab'.repeat(16)
      if (!own.cluster) {
        mkdirSync(join(own.dataDir, 'vault', 'blobs', 'ab'), { recursive: true })
        writeFileSync(join(own.dataDir, 'vault', 'blobs', 'ab', orphan), 'orphan')
      }
      await own.crash()
      await cut

      const again = await own.restart()
      try {
        if (!own.cluster) expect(existsSync(join(again.dataDir, 'vault', 'blobs', 'ab', orphan))).toBe(false)
        // Nothing partial is a file.
        const list = await requestJson(`${again.url}/api/vault/files`, { headers: as(user) })
        expect(list.body.files.map((f: any) => f.name)).toEqual(['kept.bin'])
        expect((await fetch(`${again.url}/api/vault/files/${kept}/content`, { headers: as(user) })).status).toBe(200)
        // The upload is where its last stored byte left it: at least the finished request, at most what arrived.
        const resumed = new TusClient(again.url, user.token)
        const head = await resumed.head(location)
        expect(head.status).toBe(200)
        const offset = Number(head.headers.get('upload-offset'))
        expect(offset).toBeGreaterThanOrEqual(3_000_000)
        expect(offset).toBeLessThanOrEqual(7_000_000)
        const rest = await resumed.patch(location, offset, data.subarray(offset))
        expect(rest.status).toBe(204)
        const fileId = rest.headers.get('vault-file-id')!
        const body = new Uint8Array(await (await fetch(`${again.url}/api/vault/files/${fileId}/content`, { headers: as(user) })).arrayBuffer())
        expect(body.byteLength).toBe(data.byteLength)
        expect(sha256(body)).toBe(sha256(data))
        const info = await requestJson(`${again.url}/api/vault/files/${fileId}`, { headers: as(user) })
        expect(info.body.file.sha256).toBe(sha256(data))
      } finally {
        await again.dispose()
      }
    } finally {
      await own.dispose()
    }
  })
})
