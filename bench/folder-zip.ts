// A folder downloaded as one zip against downloading its largest file on its own, same server, same run: the zip's
// speed, and the server's peak RSS growth while streaming it (the goal: under 64 MiB with a 1 GiB file inside,
// whatever the folder's size — the zip is written as the bytes are read, never gathered).
//
//   bun bench/folder-zip.ts [MiB=1024] [runs=3]
//
// The folder holds one file of MiB and 200 small ones in a subfolder. Each run downloads the big file alone, then
// the folder as a zip, after a `sync`; the best run of each counts for speed, the largest growth for memory.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer } from '../tests/support/server'
import { registerAndLogin } from '../tests/support/http'
import { TusClient } from '../tests/support/tus'
import { drain, measure, uploadToVault, writeRandomFile } from './transfer-shared'

const MIB = Number(process.argv[2] ?? 1024)
const RUNS = Number(process.argv[3] ?? 3)
const SIZE = MIB * 1024 * 1024
const SMALL = 200
const work = mkdtempSync(join(tmpdir(), 'partyroom-bench-'))
const source = join(work, 'source.bin')
await writeRandomFile(source, SIZE)

const server = await startServer({ VAULT_MAX_FILE_BYTES: String(SIZE * 2), VAULT_QUOTA_BYTES: String(SIZE * 10) })
try {
  const account = await registerAndLogin(server.url)
  const auth = { authorization: `Bearer ${account.token}`, 'content-type': 'application/json' }
  const folder = (await (await fetch(`${server.url}/api/vault/folders`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'bench' }) })).json()) as { folder: { id: string } }
  const inner = (await (await fetch(`${server.url}/api/vault/folders`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'small', parentId: folder.folder.id }) })).json()) as { folder: { id: string } }
  const fileId = await uploadToVault(server.url, { authorization: auth.authorization }, source, SIZE)
  const moved = await fetch(`${server.url}/api/vault/files/${fileId}`, { method: 'PATCH', headers: auth, body: JSON.stringify({ folderId: folder.folder.id }) })
  if (moved.status !== 200) throw new Error(`move answered ${moved.status}`)
  const tus = new TusClient(server.url, account.token)
  for (let i = 0; i < SMALL; i++) await tus.upload(`note ${i}.txt`, new TextEncoder().encode(`note ${i}\n`.repeat(100)), 'text/plain', inner.folder.id)

  let file = { seconds: Infinity, growth: 0 }
  let zip = { seconds: Infinity, growth: 0 }
  let zipBytes = 0
  for (let run = 0; run < RUNS; run++) {
    const f = await measure(server.pid, async () => void (await drain(await fetch(`${server.url}/api/vault/files/${fileId}/content`, { headers: auth }), SIZE)))
    const z = await measure(server.pid, async () => void (zipBytes = await drain(await fetch(`${server.url}/api/vault/folders/${folder.folder.id}/zip`, { headers: auth }))))
    if (zipBytes < SIZE) throw new Error(`the zip has ${zipBytes} bytes, less than the file in it`)
    file = { seconds: Math.min(file.seconds, f.seconds), growth: Math.max(file.growth, f.growth) }
    zip = { seconds: Math.min(zip.seconds, z.seconds), growth: Math.max(zip.growth, z.growth) }
  }
  const mibps = (seconds: number) => (MIB / seconds).toFixed(0)
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)
  console.log(`folder: one ${MIB} MiB file and ${SMALL} small ones in a subfolder (zip ${mib(zipBytes)} MiB); best of ${RUNS} runs for speed, largest RSS growth`)
  console.log('| download | MiB/s (of the big file) | server peak RSS growth |')
  console.log('| --- | --- | --- |')
  console.log(`| the big file alone (/api/vault/files/:id/content) | ${mibps(file.seconds)} | ${mib(file.growth)} MiB |`)
  console.log(`| the folder as a zip (/api/vault/folders/:id/zip) | ${mibps(zip.seconds)} | ${mib(zip.growth)} MiB |`)
  console.log(`zip / file speed: ${(file.seconds / zip.seconds).toFixed(2)}; zip RSS growth ${zip.growth < 64 * 1024 * 1024 ? 'under' : 'OVER'} 64 MiB`)
} finally {
  await server.dispose()
  rmSync(work, { recursive: true, force: true })
}
