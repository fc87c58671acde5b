// What the PartyRoom edge costs per request: throughput of GET /api/health and of an authenticated
// GET /api/auth/me (JWT verify + session lookup in SQLite) against a bare Bun.serve, in the same run,
// with the same client. Bounded: a fixed number of requests per case, and a time cap.
//   bun bench/http-edge.ts [requests=20000] [concurrency=32]
import { join } from 'node:path'
import { startServer } from '../tests/support/server'
import { registerAndLogin } from '../tests/support/http'

const REQUESTS = Number(process.argv[2] ?? 20_000)
const CONCURRENCY = Number(process.argv[3] ?? 32)
const TIME_CAP_MS = 60_000

async function spawnBaseline() {
  const child = Bun.spawn(['bun', join(import.meta.dir, 'baseline-server.ts')], { stdout: 'pipe' })
  const reader = child.stdout.getReader()
  const { value } = await reader.read()
  const port = JSON.parse(new TextDecoder().decode(value!).split('\n')[0]!).port as number
  return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => child.kill() }
}

async function run(url: string, headers: Record<string, string> = {}) {
  let sent = 0
  const started = performance.now()
  const latencies: number[] = []
  const worker = async () => {
    while (sent < REQUESTS && performance.now() - started < TIME_CAP_MS) {
      sent++
      const t0 = performance.now()
      const response = await fetch(url, { headers })
      await response.arrayBuffer()
      if (response.status !== 200) throw new Error(`${url} answered ${response.status}`)
      latencies.push(performance.now() - t0)
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const seconds = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  return {
    requests: latencies.length,
    perSecond: Math.round(latencies.length / seconds),
    p50: latencies[Math.floor(latencies.length * 0.5)]!.toFixed(2),
    p99: latencies[Math.floor(latencies.length * 0.99)]!.toFixed(2),
  }
}

function rssMiB(pid: number): number {
  const status = require('node:fs').readFileSync(`/proc/${pid}/status`, 'utf8') as string
  return Math.round(Number(status.match(/VmRSS:\s+(\d+)/)![1]) / 1024)
}

const baseline = await spawnBaseline()
const server = await startServer({ LOG_LEVEL: 'info', LOGIN_LIMIT_PER_ADDRESS: '1000000' })
try {
  const account = await registerAndLogin(server.url)
  // Warm both up so the JIT and SQLite caches are hot before measuring.
  await run(baseline.url)
  await run(`${server.url}/api/health`)
  const bare = await run(baseline.url)
  const health = await run(`${server.url}/api/health`)
  const me = await run(`${server.url}/api/auth/me`, { authorization: `Bearer ${account.token}` })
  console.log(`requests per case: ${REQUESTS}, concurrency: ${CONCURRENCY}`)
  console.table({
    'bare Bun.serve (baseline)': { ...bare, ratio: '1.00' },
    'GET /api/health': { ...health, ratio: (health.perSecond / bare.perSecond).toFixed(2) },
    'GET /api/auth/me (bearer)': { ...me, ratio: (me.perSecond / bare.perSecond).toFixed(2) },
  })
  console.log(`server RSS after the run: ${rssMiB(server.pid)} MiB`)
} finally {
  baseline.stop()
  await server.dispose()
}
