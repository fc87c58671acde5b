// `bun run check:reliability`: the reliability and security suite in one table. It runs the full load
// (bench/load.ts: 2,000 clients, 200 rooms + global chat, 5 minutes; pass --seconds/--clients to change it), then
// the fault, fuzz and security tests (tests/reliability, plus the feature tests that cover the rest of the
// checklist), and prints what held, what was survived, how many bad inputs were tried, and what was lost.
//
//   bun run check:reliability                      # full run (about 8 minutes)
//   bun run check:reliability --seconds 30 --clients 500
//   FUZZ_SECONDS=60 bun run check:reliability      # longer fuzzing
import { join } from 'node:path'
import { optionsFromArgs, runLoad } from '../bench/load'

const root = join(import.meta.dir, '..')
const options = optionsFromArgs()
console.error(`» load: ${options.clients} clients, ${options.rooms} rooms, ${options.seconds} s`)
const load = await runLoad(options)

console.error('» faults, fuzzing and security tests')
const suites = [
  'tests/reliability/faults.test.ts',
  'tests/reliability/fuzz.test.ts',
  'tests/reliability/security.test.ts',
  'tests/auth.test.ts',
  'tests/vault.test.ts',
  'tests/sfu.test.ts',
  'tests/rooms/sfu-worker.test.ts',
  'tests/browser/sfu.test.ts',
]
const run = Bun.spawnSync(['bun', 'test', '--timeout', '120000', ...suites], { cwd: root, stdout: 'pipe', stderr: 'pipe', env: process.env })
const output = run.stdout.toString() + run.stderr.toString()
const passed = (output.match(/^\(pass\)/gm) ?? []).length
const failed = (output.match(/^\(fail\)/gm) ?? []).length
const line = (pattern: RegExp) => output.match(pattern)?.[1]
const wsFrames = Number(line(/websocket fuzz: (\d+) frames/) ?? 0)
const httpRequests = Number(line(/http fuzz: (\d+) requests/) ?? 0)
const faultTests = [
  ['kill -9 during chat and uploads', /\((pass|fail)\) kill -9 during chat/],
  ['full disk under the vault', /\((pass|fail|skip)\) a full disk under the vault/],
  ['client that never reads', /\((pass|fail)\) a client that never reads/],
  ['mediasoup worker killed mid-call', /\((pass|fail)\) on a room pinned to the SFU, a killed mediasoup worker/],
  ['worker killed, replaced (pool)', /\((pass|fail)\) routers go to the least loaded worker/],
] as const
const faults = faultTests.map(([name, pattern]) => [name, pattern.exec(output)?.[1] ?? 'not run'] as const)
const lost = load.deliveriesMissing + load.ackedMissingFromDb

const rows = [
  ['load held', `${load.clients} clients, ${load.rooms} rooms + global, ${load.seconds} s: ${load.acked} messages, ${load.deliveriesExpected} deliveries, p50 ${load.p50} ms, p99 ${load.p99} ms, server CPU ≤ ${Math.max(...load.cpu).toFixed(2)} cores, RSS ${load.rssMiB[0]?.toFixed(0)} → ${load.rssMiB.at(-1)?.toFixed(0)} MiB (second half ${(load.rssGrowthSecondHalf * 100).toFixed(1)}%)`],
  ['faults survived', faults.map(([name, outcome]) => `${name}: ${outcome}`).join('; ')],
  ['bad inputs tried', `${wsFrames} fuzzed WebSocket frames, ${httpRequests} fuzzed HTTP requests, plus the checklist tests (${passed} passed, ${failed} failed)`],
  ['messages or files lost', `${lost} (undelivered ${load.deliveriesMissing}, acknowledged but not stored ${load.ackedMissingFromDb})`],
]
console.log(`\nLoad, server CPU in cores every 5 s: ${load.cpu.map((c) => c.toFixed(2)).join(' ')}`)
console.log(`Load, server RSS in MiB every 5 s: ${load.rssMiB.map((m) => m.toFixed(0)).join(' ')}`)
console.log('\n| check | result |\n| --- | --- |')
for (const [check, result] of rows) console.log(`| ${check} | ${result} |`)
const ok = lost === 0 && failed === 0 && load.clientErrors === 0 && faults.every(([, o]) => o === 'pass' || o === 'skip')
console.log(ok ? '\nreliability: OK' : '\nreliability: FAILED')
if (!ok) console.error(output.split('\n').filter((l) => l.startsWith('(fail)') || l.includes('error:')).join('\n'))
process.exit(ok ? 0 : 1)
