import { afterEach, beforeEach, expect, test } from 'bun:test'
import { ChatRetention } from '../../src/rooms/retention'
import { tempDatabase } from '../support/rooms'

let env: Awaited<ReturnType<typeof tempDatabase>>
beforeEach(async () => {
  env = await tempDatabase()
})
afterEach(() => env.dispose())

const DAY = 86_400_000

test('removes by age against an injected clock, in bounded batches, reactions included', async () => {
  const author = await env.users.create('author', 'x')
  const start = Date.UTC(2026, 0, 1)
  const batch = Array.from({ length: 1200 }, (_, i) => ({
    room: 'global',
    authorId: author.id,
    text: `m${i}`,
    // One message every hour, starting 50 days before "now".
    createdAt: new Date(start + i * 3_600_000),
    clientId: `c${i}`,
  }))
  const ids = (await env.messages.insertMany(batch)).map((r) => r.id)
  await env.messages.setReaction(ids[0]!, author.id, '🎉', true, new Date(start))
  let now = start + 50 * DAY
  const batches: number[] = []
  const deleteOlderThan = env.messages.deleteOlderThan.bind(env.messages)
  env.messages.deleteOlderThan = async (cutoff, limit) => {
    const n = await deleteOlderThan(cutoff, limit)
    batches.push(n)
    return n
  }
  const retention = new ChatRetention(env.messages, { maxAgeMs: 30 * DAY, maxMessagesPerRoom: 0, batchSize: 100 }, () => now)
  const removed = await retention.run()
  // Messages older than day 20 (hours 0..479) go.
  expect(removed).toBe(480)
  expect(Math.max(...batches)).toBeLessThanOrEqual(100)
  expect(await env.messages.count('global')).toBe(720)
  expect((await env.messages.reactionsFor([ids[0]!])).size).toBe(0)
  // Time passes: another ten days expire.
  now += 10 * DAY
  expect(await retention.run()).toBe(240)
  expect((await env.messages.before('global', undefined, 1))[0]!.text).toBe('m1199')
})

test('caps each room at its newest N messages and leaves other rooms alone', async () => {
  const author = await env.users.create('author', 'x')
  const now = Date.now()
  const make = (room: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ room, authorId: author.id, text: `${room}${i}`, createdAt: new Date(now), clientId: `${room}-${i}` }))
  await env.messages.insertMany([...make('global', 300), ...make('lobby', 40)])
  const retention = new ChatRetention(env.messages, { maxAgeMs: 0, maxMessagesPerRoom: 100, batchSize: 64 }, () => now)
  expect(await retention.run()).toBe(200)
  expect(await env.messages.count('global')).toBe(100)
  expect(await env.messages.count('lobby')).toBe(40)
  expect((await env.messages.before('global', undefined, 100))[0]!.text).toBe('global200')
})

test('overlapping runs share one pass', async () => {
  const retention = new ChatRetention(env.messages, { maxAgeMs: DAY, maxMessagesPerRoom: 10, batchSize: 10 })
  const [a, b] = [retention.run(), retention.run()]
  expect(a).toBe(b)
  await a
})
