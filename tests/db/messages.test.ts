// Catch-up by id never skips a message, with several writers on separate connections (on PostgreSQL: two pools, as
// two nodes would have) and a reader moving its cursor to the highest id it has seen, as a reconnecting client does.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase, type Database } from '../../src/db/database'
import { MessageStore } from '../../src/db/messages'
import { UserStore } from '../../src/db/users'
import { backend, freshPostgres } from '../support/backend'

let dir: string
let pg: Awaited<ReturnType<typeof freshPostgres>> | undefined
const open: Database[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'partyroom-db-'))
  pg = backend === 'cluster' ? await freshPostgres() : undefined
})
afterAll(async () => {
  for (const database of open) await database.close()
  await pg?.drop()
  rmSync(dir, { recursive: true, force: true })
})

async function connect(): Promise<Database> {
  const database = await openDatabase({ url: pg?.url, file: join(dir, 'shared.sqlite'), poolSize: 8 })
  open.push(database)
  return database
}

test(`concurrent writers on two connections: a reader catching up "after" its cursor misses nothing (${backend})`, async () => {
  const [a, b, reader] = [await connect(), await connect(), await connect()]
  const author = await new UserStore(a).create('writer', 'x')
  const writers = [new MessageStore(a), new MessageStore(b)]
  const readerStore = new MessageStore(reader)
  const room = 'global'
  const BATCHES = 300
  let written = 0
  let writing = true

  // Sixteen writers at once, each storing small batches into the same room through one of the two connections,
  // so transactions overlap and commit in every order the engine allows.
  const write = async (w: number) => {
    for (let i = w; i < BATCHES; i += 16) {
      const store = writers[i % 2]!
      const size = 1 + (i % 3)
      await store.insertMany(
        Array.from({ length: size }, (_, k) => ({ room, authorId: author.id, text: `b${i}m${k}`, createdAt: new Date(), clientId: `b${i}-${k}` })),
      )
      written += size
    }
  }
  const seen = new Set<number>()
  let cursor = 0
  const read = async () => {
    const deadline = Date.now() + 60_000
    while ((writing || cursor < Number.MAX_SAFE_INTEGER) && Date.now() < deadline) {
      const page = await readerStore.after(room, cursor, 50)
      for (const m of page) seen.add(m.id)
      if (page.length > 0) cursor = page.at(-1)!.id
      else if (!writing) break
    }
  }
  const reading = read()
  await Promise.all(Array.from({ length: 16 }, (_, w) => write(w)))
  writing = false
  await reading

  const all = await readerStore.after(room, 0, 10_000)
  expect(all.length).toBe(written)
  const missed = all.filter((m) => !seen.has(m.id)).map((m) => m.id)
  expect(missed).toEqual([])
}, 90_000)
