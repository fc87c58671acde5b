// Downloads through a share link against the owner's own download of the same file, same server, same run: what
// the link adds (its lookup by token hash, the state checks, the counted download) on top of the owner's route.
//
//   bun bench/share-download.ts [MiB=512] [runs=5]
//
// Each run downloads the whole file once through each route, alternating, after a `sync`; the best run of each
// counts (noise only ever slows a run down). Bounded: one file, a fixed number of runs.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer } from '../tests/support/server'
import { registerAndLogin } from '../tests/support/http'
import { uploadToVault, writeRandomFile } from './transfer-shared'

const MIB = Number(process.argv[2] ?? 512)
const RUNS = Number(process.argv[3] ?? 5)
const SIZE = MIB * 1024 * 1024
const work = mkdtempSync(join(tmpdir(), 'partyroom-bench-'))
const source = join(work, 'source.bin')
await writeRandomFile(source, SIZE)

const server = await startServer({ VAULT_MAX_FILE_BYTES: String(SIZE * 2), VAULT_QUOTA_BYTES: String(SIZE * 10) })
try {
  const account = await registerAndLogin(server.url)
  const auth = { authorization: `Bearer ${account.token}` }
  const fileId = await uploadToVault(server.url, auth, source, SIZE)
  const link = await fetch(`${server.url}/api/vault/files/${fileId}/shares`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' })
  const url = ((await link.json()) as { share: { url: string } }).share.url

  const time = async (target: string, headers: Record<string, string>) => {
    Bun.spawnSync(['sync'])
    const start = performance.now()
    const response = await fetch(target, { headers })
    if (response.status !== 200) throw new Error(`${target} answered ${response.status}`)
    let bytes = 0
    for await (const chunk of response.body!) bytes += chunk.byteLength
    if (bytes !== SIZE) throw new Error(`got ${bytes} of ${SIZE} bytes`)
    return (performance.now() - start) / 1000
  }
  let owner = Infinity
  let shared = Infinity
  for (let run = 0; run < RUNS; run++) {
    owner = Math.min(owner, await time(`${server.url}/api/vault/files/${fileId}/content`, auth))
    shared = Math.min(shared, await time(`${url}/content`, {}))
  }
  const mibps = (seconds: number) => (MIB / seconds).toFixed(0)
  console.log(`file: ${MIB} MiB, best of ${RUNS} runs each`)
  console.log('| route | MiB/s |')
  console.log('| --- | --- |')
  console.log(`| owner's download (/api/vault/files/:id/content) | ${mibps(owner)} |`)
  console.log(`| share link (/s/<token>/content) | ${mibps(shared)} |`)
  console.log(`ratio share / owner: ${(owner / shared).toFixed(2)} (goal: at least 0.9)`)
} finally {
  await server.dispose()
  rmSync(work, { recursive: true, force: true })
}
