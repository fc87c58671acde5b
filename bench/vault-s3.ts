// Vault on S3: upload and download of one large file through PartyRoom (tus into an S3 multipart upload, hashed on
// the way; a streamed download), against Bun's own S3 client moving the same file to and from the same S3 server
// in the same run. Also the peak RSS growth of each (PartyRoom's server, the benchmark process for Bun's client) while
// moving it, sampled every 20 ms.
//
//   bash scripts/services/all.sh start && set -a && source /tmp/partyroom-services/env && set +a
//   bun bench/vault-s3.ts [MiB=1024] [runs=3]
//
// Each direction runs `runs` times per side, alternating, and the best run counts. Bounded: one file, fixed runs.
import { S3Client } from 'bun'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { clusterResources, startServer } from '../tests/support/server'
import { registerAndLogin } from '../tests/support/http'
import { drain, measure, uploadToVault, writeRandomFile } from './transfer-shared'

const MIB = Number(process.argv[2] ?? 1024)
const RUNS = Number(process.argv[3] ?? 3)
const SIZE = MIB * 1024 * 1024
const work = mkdtempSync(join(tmpdir(), 'partyroom-bench-'))
const source = join(work, 'source.bin')

await writeRandomFile(source, SIZE)

const shared = await clusterResources()
const server = await startServer({ ...shared.env, SFU_WORKERS: '0', VAULT_MAX_FILE_BYTES: String(SIZE * 2), VAULT_QUOTA_BYTES: String(SIZE * 100), LOG_LEVEL: 'info' })
const account = await registerAndLogin(server.url)
const auth = { authorization: `Bearer ${account.token}` }
const s3 = new S3Client({
  endpoint: shared.env.S3_ENDPOINT,
  bucket: shared.env.S3_BUCKET,
  region: shared.env.S3_REGION,
  accessKeyId: shared.env.S3_ACCESS_KEY_ID,
  secretAccessKey: shared.env.S3_SECRET_ACCESS_KEY,
})
const direct = s3.file('baseline/bench.bin')

const best = { baseUp: Infinity, ourUp: Infinity, baseDown: Infinity, ourDown: Infinity, upGrowth: 0, downGrowth: 0, baseUpGrowth: 0, baseDownGrowth: 0, upCpu: 0, downCpu: 0 }
try {
  let fileId = ''
  for (let run = 0; run < RUNS; run++) {
    if (fileId) await fetch(`${server.url}/api/vault/files/${fileId}`, { method: 'DELETE', headers: auth })
    await direct.delete().catch(() => {})
    const bu = await measure(process.pid, () => direct.write(Bun.file(source), { partSize: 8 * 1024 * 1024 }).then(() => {}))
    const ou = await measure(server.pid, async () => {
      fileId = await uploadToVault(server.url, auth, source, SIZE)
    })
    const bd = await measure(process.pid, async () => void (await drain(new Response(direct.stream()), SIZE)))
    const od = await measure(server.pid, async () => void (await drain(await fetch(`${server.url}/api/vault/files/${fileId}/content`, { headers: auth }), SIZE)))
    best.baseUp = Math.min(best.baseUp, bu.seconds)
    best.baseDown = Math.min(best.baseDown, bd.seconds)
    if (ou.seconds < best.ourUp) best.upCpu = ou.cpu
    if (od.seconds < best.ourDown) best.downCpu = od.cpu
    best.ourUp = Math.min(best.ourUp, ou.seconds)
    best.ourDown = Math.min(best.ourDown, od.seconds)
    console.error(`run ${run}: peak RSS growth, upload ${(ou.growth / 1048576).toFixed(1)} MiB (Bun's client ${(bu.growth / 1048576).toFixed(1)}), download ${(od.growth / 1048576).toFixed(1)} MiB (Bun's client ${(bd.growth / 1048576).toFixed(1)})`)
    best.baseUpGrowth = Math.max(best.baseUpGrowth, bu.growth)
    best.baseDownGrowth = Math.max(best.baseDownGrowth, bd.growth)
    best.upGrowth = Math.max(best.upGrowth, ou.growth)
    best.downGrowth = Math.max(best.downGrowth, od.growth)
  }
  const meta = await (await fetch(`${server.url}/api/vault/files/${fileId}`, { headers: auth })).json()
  const hasher = new Bun.CryptoHasher('sha256')
  for await (const chunk of Bun.file(source).stream()) hasher.update(chunk)
  const mibps = (seconds: number) => (MIB / seconds).toFixed(0)
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)
  console.log(`file: ${MIB} MiB, best of ${RUNS} runs each; sha256 recorded by PartyRoom matches the file: ${meta.file.sha256 === hasher.digest('hex')}`)
  console.log('| direction | Bun S3 client, MiB/s | PartyRoom, MiB/s | ratio | PartyRoom peak RSS growth | Bun S3 client peak RSS growth | PartyRoom CPU |')
  console.log('| --- | --- | --- | --- | --- | --- | --- |')
  console.log(`| upload | ${mibps(best.baseUp)} | ${mibps(best.ourUp)} | ${(best.baseUp / best.ourUp).toFixed(2)} | ${mib(best.upGrowth)} MiB | ${mib(best.baseUpGrowth)} MiB | ${best.upCpu.toFixed(2)} cores |`)
  console.log(`| download | ${mibps(best.baseDown)} | ${mibps(best.ourDown)} | ${(best.baseDown / best.ourDown).toFixed(2)} | ${mib(best.downGrowth)} MiB | ${mib(best.baseDownGrowth)} MiB | ${best.downCpu.toFixed(2)} cores |`)
} finally {
  await direct.delete().catch(() => {})
  await server.dispose()
  await shared.dispose()
  rmSync(work, { recursive: true, force: true })
}
