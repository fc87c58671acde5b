// Vault upload and download throughput for one large file on loopback, against a baseline in the same run: a bare
// Bun.serve that only streams the same file to disk (PUT) and back (GET) — no auth, no hashing, no metadata.
// Also the server's peak RSS growth while moving the file (sampled every 20 ms).
//
//   bun bench/vault-transfer.ts [MiB=1024] [runs=3]
//
// Each direction runs `runs` times per server, alternating, each after a `sync`, and the best run counts (the
// machine's noise only ever slows a run down). Bounded: one file, a fixed number of runs.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer } from '../tests/support/server'
import { registerAndLogin } from '../tests/support/http'
import { drain, measure, uploadToVault, writeRandomFile } from './transfer-shared'

const MIB = Number(process.argv[2] ?? 1024)
const RUNS = Number(process.argv[3] ?? 3)
const SIZE = MIB * 1024 * 1024
const work = mkdtempSync(join(tmpdir(), 'partyroom-bench-'))
const source = join(work, 'source.bin')


await writeRandomFile(source, SIZE)

const baselineChild = Bun.spawn(['bun', join(import.meta.dir, 'baseline-file-server.ts'), work], { stdout: 'pipe' })
const { value } = await baselineChild.stdout.getReader().read()
const baselinePort = JSON.parse(new TextDecoder().decode(value!).split('\n')[0]!).port as number
const baseline = `http://127.0.0.1:${baselinePort}`

const server = await startServer({ VAULT_MAX_FILE_BYTES: String(SIZE * 2), VAULT_QUOTA_BYTES: String(SIZE * 100), LOG_LEVEL: 'info' })
const account = await registerAndLogin(server.url)
const auth = { authorization: `Bearer ${account.token}` }

const ourUpload = () => uploadToVault(server.url, auth, source, SIZE)

const results = {
  baseline: { up: Infinity, down: Infinity, upGrowth: 0, downGrowth: 0, upCpu: 0, downCpu: 0 },
  ours: { up: Infinity, down: Infinity, upGrowth: 0, downGrowth: 0, upCpu: 0, downCpu: 0 },
}
try {
  let fileId = ''
  for (let run = 0; run < RUNS; run++) {
    // The previous run's files go first, outside the measurement, on both sides.
    await fetch(`${baseline}/file`, { method: 'DELETE' })
    if (fileId) await fetch(`${server.url}/api/vault/files/${fileId}`, { method: 'DELETE', headers: auth })
    const bu = await measure(baselineChild.pid, async () => {
      const r = await fetch(`${baseline}/file`, { method: 'PUT', body: Bun.file(source) })
      if (r.status !== 204) throw new Error(`baseline upload answered ${r.status}`)
    })
    const ou = await measure(server.pid, async () => {
      fileId = await ourUpload()
    })
    const bd = await measure(baselineChild.pid, async () => void (await drain(await fetch(`${baseline}/file`), SIZE)))
    const od = await measure(server.pid, async () => void (await drain(await fetch(`${server.url}/api/vault/files/${fileId}/content`, { headers: auth }), SIZE)))
    // CPU is reported for the best (fastest) run of each.
    if (bu.seconds < results.baseline.up) results.baseline.upCpu = bu.cpu
    if (ou.seconds < results.ours.up) results.ours.upCpu = ou.cpu
    if (bd.seconds < results.baseline.down) results.baseline.downCpu = bd.cpu
    if (od.seconds < results.ours.down) results.ours.downCpu = od.cpu
    results.baseline.up = Math.min(results.baseline.up, bu.seconds)
    results.ours.up = Math.min(results.ours.up, ou.seconds)
    results.baseline.down = Math.min(results.baseline.down, bd.seconds)
    results.ours.down = Math.min(results.ours.down, od.seconds)
    results.baseline.upGrowth = Math.max(results.baseline.upGrowth, bu.growth)
    results.ours.upGrowth = Math.max(results.ours.upGrowth, ou.growth)
    results.baseline.downGrowth = Math.max(results.baseline.downGrowth, bd.growth)
    results.ours.downGrowth = Math.max(results.ours.downGrowth, od.growth)
  }
  // The stored file is the source, byte for byte (the server's own hash against ours).
  const meta = await (await fetch(`${server.url}/api/vault/files/${fileId}`, { headers: auth })).json()
  const hasher = new Bun.CryptoHasher('sha256')
  for await (const chunk of Bun.file(source).stream()) hasher.update(chunk)
  const intact = meta.file.sha256 === hasher.digest('hex')

  const mibps = (seconds: number) => (MIB / seconds).toFixed(0)
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)
  console.log(`file: ${MIB} MiB, best of ${RUNS} runs each; sha256 of the stored file matches: ${intact}`)
  console.log('| direction | baseline MiB/s | PartyRoom MiB/s | ratio | baseline peak RSS growth | PartyRoom peak RSS growth | server CPU baseline / PartyRoom |')
  console.log('| --- | --- | --- | --- | --- | --- | --- |')
  const cores = (x: number) => x.toFixed(2)
  for (const [label, b, o, bg, og, bc, oc] of [
    ['upload', results.baseline.up, results.ours.up, results.baseline.upGrowth, results.ours.upGrowth, results.baseline.upCpu, results.ours.upCpu],
    ['download', results.baseline.down, results.ours.down, results.baseline.downGrowth, results.ours.downGrowth, results.baseline.downCpu, results.ours.downCpu],
  ] as const) {
    console.log(`| ${label} | ${mibps(b)} | ${mibps(o)} | ${(b / o).toFixed(2)} | ${mib(bg)} MiB | ${mib(og)} MiB | ${cores(bc)} / ${cores(oc)} cores |`)
  }
} finally {
  baselineChild.kill()
  await server.dispose()
  rmSync(work, { recursive: true, force: true })
}
