// Start time and idle memory of the compiled binary against the same server run from source in the same run:
// from spawn to the first 200 from /api/health, then the server process's RSS after 3 s idle (the mediasoup
// workers are separate processes and reported apart). Each start uses a fresh data directory.
//
//   bun run build && bun bench/binary-start.ts        # 7 starts each, medians
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const ROOT = join(import.meta.dir, '..')
const RUNS = process.argv.includes('--quick') ? 3 : 7

const rssKiB = (pid: number) => {
  const out = Bun.spawnSync(['ps', '-o', 'rss=', '-p', String(pid)]).stdout.toString().trim()
  return Number(out) || 0
}
const childrenRssKiB = (pid: number) =>
  Bun.spawnSync(['pgrep', '-P', String(pid)])
    .stdout.toString()
    .split(/\s+/)
    .filter(Boolean)
    .reduce((sum, child) => sum + rssKiB(Number(child)), 0)

async function once(command: string[], port: number) {
  const dir = mkdtempSync(join(tmpdir(), 'partyroom-start-'))
  const started = performance.now()
  const child = Bun.spawn(command, {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dir, LOG_LEVEL: 'warn', SFU_PORT: '0' },
    stdout: 'ignore',
    stderr: 'ignore',
  })
  let ready = NaN
  const deadline = started + 20_000
  while (performance.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/api/health`).then((r) => r.status === 200, () => false)
    if (ok) {
      ready = performance.now() - started
      break
    }
    await Bun.sleep(2)
  }
  await Bun.sleep(3000)
  const rss = rssKiB(child.pid) / 1024
  const workers = childrenRssKiB(child.pid) / 1024
  child.kill('SIGTERM')
  await child.exited
  rmSync(dir, { recursive: true, force: true })
  return { ready, rss, workers }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const targets = [
  { name: 'binary (dist/partyroom)', command: [join(ROOT, 'dist/partyroom')] },
  { name: 'from source (bun src/server/main.ts)', command: ['bun', join(ROOT, 'src/server/main.ts')] },
]
const results: Record<string, { ready: number; rss: number; workers: number }> = {}
let port = 18600
for (const target of targets) {
  const runs = []
  for (let i = 0; i < RUNS; i++) runs.push(await once(target.command, port++))
  results[target.name] = { ready: median(runs.map((r) => r.ready)), rss: median(runs.map((r) => r.rss)), workers: median(runs.map((r) => r.workers)) }
  console.error(target.name, JSON.stringify(runs.map((r) => Math.round(r.ready))))
}

console.log(`\nStart to first /api/health 200, and idle RSS after 3 s (${RUNS} starts each, medians; default SFU_WORKERS = ${navigator.hardwareConcurrency})\n`)
console.log('| target | start → healthy | server RSS | mediasoup workers RSS |')
console.log('| --- | --- | --- | --- |')
for (const [name, r] of Object.entries(results)) console.log(`| ${name} | ${Math.round(r.ready)} ms | ${r.rss.toFixed(1)} MiB | ${r.workers.toFixed(1)} MiB |`)
const [binary, source] = Object.values(results) as [typeof results[string], typeof results[string]]
console.log(`\nBinary / source: start ${(binary.ready / source.ready).toFixed(2)}, RSS ${(binary.rss / source.rss).toFixed(2)}`)
