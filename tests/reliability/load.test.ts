// The load run of bench/load.ts in its short form (200 clients in 20 rooms plus the global chat, 15 s): every
// acknowledged message reaches every member of its room and is in the database, and memory does not climb.
// `bun run check:reliability` runs the full 2,000 clients for 5 minutes.
import { expect, test } from 'bun:test'
import { runLoad } from '../../bench/load'
import { backend, freshPostgres } from '../support/backend'

test('200 clients in 20 rooms and the global chat: nothing acknowledged is lost or undelivered', async () => {
  const pg = backend === 'cluster' ? await freshPostgres() : undefined
  const r = await runLoad({ clients: 200, rooms: 20, seconds: 15, processes: 2, interval: 5, globalShare: 0.05, databaseUrl: pg?.url }).finally(() => pg?.drop())
  expect(r.acked).toBeGreaterThan(200)
  expect(r.sent).toBe(r.acked)
  expect(r.deliveriesMissing).toBe(0)
  expect(r.ackedMissingFromDb).toBe(0)
  expect(r.clientErrors).toBe(0)
  expect(r.rssGrowthSecondHalf).toBeLessThan(0.2)
  console.log(`load: ${r.acked} messages, ${r.deliveriesExpected} deliveries, p50 ${r.p50} ms, p99 ${r.p99} ms, RSS ${r.rssMiB.map((m) => m.toFixed(0)).join(' ')} MiB`)
}, 90_000)
