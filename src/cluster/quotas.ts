// The per-user budgets of a cluster, kept in Redis so that they hold however a person's sockets are spread over
// the nodes: one chat message budget (a token bucket), the rooms they are in, and their open sockets. Each is one
// Lua script, so two nodes counting at once cannot both take the last place. While Redis is away the node counts
// in its own memory, as one node would (it keeps serving its own clients), and goes back to Redis when it returns.
import { UserQuotas, type QuotaLimits, type Quotas, type Verdict } from '../rooms/quotas'
import type { RedisLink } from './redis'

// KEYS: bucket. ARGV: capacity, per second, now (ms). Returns 0 when taken, else ms until the next token.
const TAKE = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) / 1000 * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate * 1000) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return wait`

// KEYS: the user's rooms (room -> node). ARGV: room, node, max, alive prefix. Places held through dead nodes
// no longer count.
const ENTER = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1 end
local all = redis.call('HGETALL', KEYS[1])
local live = 0
for i = 1, #all, 2 do
  if redis.call('EXISTS', ARGV[4] .. all[i + 1]) == 1 then live = live + 1 else redis.call('HDEL', KEYS[1], all[i]) end
end
if live >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`

// KEYS: the user's sockets (node -> count). ARGV: alive prefix. The count over live nodes.
const SOCKETS = `
local all = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #all, 2 do
  if redis.call('EXISTS', ARGV[1] .. all[i]) == 1 then total = total + tonumber(all[i + 1]) else redis.call('HDEL', KEYS[1], all[i]) end
end
return total`


export class ClusterQuotas implements Quotas {
  /** Used while Redis is away. */
  private readonly local: UserQuotas

  constructor(
    private readonly link: RedisLink,
    private readonly node: string,
    private readonly prefix: string,
    private readonly limits: QuotaLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.local = new UserQuotas(limits, now)
  }

  get maxRoomsPerUser(): number {
    return this.limits.maxRoomsPerUser
  }

  /** Redis's answer, or this node's own while Redis is away (or fails to answer). */
  private async shared<T>(ask: (redis: RedisLink['client']) => Promise<T>, alone: () => T): Promise<T> {
    if (!this.link.up) return alone()
    try {
      return await ask(this.link.client)
    } catch {
      return alone()
    }
  }

  takeMessage(userId: number): Promise<Verdict> {
    const { messageBurst, messagesPerSecond } = this.limits
    return this.shared(
      async (redis) => {
        const wait = Number(await redis.send('EVAL', [TAKE, '1', `${this.prefix}:msg:${userId}`, String(messageBurst), String(messagesPerSecond), String(this.now())]))
        return wait === 0 ? { ok: true } : { ok: false, retryAfterMs: wait }
      },
      () => this.local.takeMessage(userId),
    )
  }

  enter(userId: number, room: string): Promise<boolean> {
    return this.shared(
      async (redis) => (await redis.send('EVAL', [ENTER, '1', `${this.prefix}:rooms:${userId}`, room, this.node, String(this.limits.maxRoomsPerUser), `${this.prefix}:alive:`])) === 1,
      () => this.local.enter(userId, room),
    )
  }

  exit(userId: number, room: string): void {
    this.local.exit(userId, room)
    if (this.link.up) this.link.client.send('HDEL', [`${this.prefix}:rooms:${userId}`, room]).catch(() => {})
  }

  /** The user's open sockets on every live node. */
  socketsOf(userId: number, localCount: number): Promise<number> {
    return this.shared(
      async (redis) => Number(await redis.send('EVAL', [SOCKETS, '1', `${this.prefix}:sockets:${userId}`, `${this.prefix}:alive:`])),
      () => localCount,
    )
  }

  /** Puts this node's socket counts back (after Redis restarted empty). */
  async recountSockets(perUser: Map<number, number>): Promise<void> {
    for (const [userId, count] of perUser) await this.link.client.send('HSET', [`${this.prefix}:sockets:${userId}`, this.node, String(count)]).catch(() => {})
  }

  /** A socket of the user opened (+1) or closed (-1) on this node. */
  socketCounted(userId: number, delta: 1 | -1): void {
    if (this.link.up) this.link.client.send('HINCRBY', [`${this.prefix}:sockets:${userId}`, this.node, String(delta)]).catch(() => {})
  }
}
