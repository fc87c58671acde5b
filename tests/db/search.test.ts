// Full-text search stays exact whatever happens to a message around its (bulk, deferred) indexing on SQLite, or
// PostgreSQL's GIN index: edited, removed or deleted before or after it was indexed, it is found by what it says now
// and never by what it said.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { tempDatabase } from '../support/rooms'

let env: Awaited<ReturnType<typeof tempDatabase>>
let author: number
beforeAll(async () => {
  env = await tempDatabase()
  author = (await env.users.create('searcher', 'x')).id
})
afterAll(async () => env?.dispose())

let n = 0
const store = async (text: string, room = 'global') =>
  (await env.messages.insertMany([{ room, authorId: author, text, createdAt: new Date(), clientId: `c${++n}` }]))[0]!.id
const found = async (query: string, rooms = ['global']) => (await env.messages.search(rooms, query.split(' '), 50)).map((m) => m.id)

test('edits, removals and deletions before and after indexing', async () => {
  const early = await store('walrus before indexing')
  const edited = await store('walrus to be edited')
  const removed = await store('walrus to be removed')
  // Edited and removed before any indexing.
  expect(await env.messages.edit('global', edited, author, 'narwhal now', [], new Date(), new Date(0))).toBe(true)
  expect(await env.messages.remove('global', removed, author, new Date())).toBeTruthy()
  expect(await found('walrus')).toEqual([early])
  expect(await found('narwhal')).toEqual([edited])
  // Indexed by now (the searches above did it); changed again afterwards.
  expect(await env.messages.edit('global', early, author, 'beluga instead', [], new Date(), new Date(0))).toBe(true)
  expect(await found('walrus')).toEqual([])
  expect(await found('beluga')).toEqual([early])
  expect(await env.messages.remove('global', edited, author, new Date())).toBeTruthy()
  expect(await found('narwhal')).toEqual([])
  // Deleted (retention), indexed or not.
  const fresh = await store('beluga again')
  await env.messages.deleteRoom('global')
  expect(await found('beluga')).toEqual([])
  expect(fresh).toBeGreaterThan(early)
  // Rooms are told apart exactly, even when FTS5 tokenizes two names alike.
  const a = await store('orca here', 'my-room')
  await store('orca there', 'my_room')
  expect(await found('orca', ['my-room'])).toEqual([a])
  // FTS5 checks its index against the messages it was built from: nothing stale, nothing missing.
  if (env.database.sqlite) {
    env.database.sqlite.run("insert into messages_fts(messages_fts, rank) values ('integrity-check', 1)")
  }
})
