// The room directory in Redis. Heartbeats are keys with a time to live; a lease is one key holding "node|epoch",
// changed only by Lua scripts, so that checking the holder's heartbeat and taking the room over is one atomic step.
// Leases expire on their own a minute after their last renewal, so rooms nobody opens again leave nothing behind.
import type { Lease, RoomDirectory } from './directory'
import type { RedisLink } from './redis'

const LEASE_TTL_MS = 60_000

// KEYS: lease, epoch. ARGV: node, create ('1'), alive prefix, ttl.
const CLAIM = `
local current = redis.call('GET', KEYS[1])
if current then
  local holder = string.match(current, '^(.*)|')
  if holder and redis.call('EXISTS', ARGV[3] .. holder) == 1 then return current end
end
if ARGV[2] ~= '1' then return false end
local epoch = redis.call('INCR', KEYS[2])
local value = ARGV[1] .. '|' .. epoch
redis.call('SET', KEYS[1], value, 'PX', ARGV[4])
return value`

// KEYS: leases. ARGV: their values, then the ttl. Returns the 1-based indexes of the leases no longer held.
const RENEW = `
local lost = {}
local ttl = ARGV[#ARGV]
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i] then redis.call('PEXPIRE', key, ttl) else table.insert(lost, i) end
end
return lost`

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`

// KEYS: lease, epoch. ARGV: value, epoch, alive prefix, ttl. Puts a lease back when nobody live holds the room.
const REASSERT = `
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[4]) return 1 end
if current then
  local holder = string.match(current, '^(.*)|')
  if holder and redis.call('EXISTS', ARGV[3] .. holder) == 1 then return 0 end
end
local epoch = tonumber(redis.call('GET', KEYS[2]) or '0')
if epoch > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
return 1`

const parse = (room: string, value: string): Lease => {
  const bar = value.lastIndexOf('|')
  return { room, node: value.slice(0, bar), epoch: Number(value.slice(bar + 1)) }
}
const valueOf = (lease: Lease) => `${lease.node}|${lease.epoch}`

export class RedisDirectory implements RoomDirectory {
  private readonly ALIVE: string
  private readonly LEASE: string
  private readonly EPOCH: string

  constructor(
    private readonly link: RedisLink,
    prefix: string,
  ) {
    this.ALIVE = `${prefix}:alive:`
    this.LEASE = `${prefix}:lease:`
    this.EPOCH = `${prefix}:epoch:`
  }

  private get redis() {
    return this.link.client
  }

  async heartbeat(node: string, ttlMs: number): Promise<void> {
    await this.redis.send('SET', [this.ALIVE + node, String(Date.now()), 'PX', String(ttlMs)])
  }

  async forget(node: string): Promise<void> {
    await this.redis.send('DEL', [this.ALIVE + node])
  }

  async alive(nodes: string[]): Promise<Set<string>> {
    if (nodes.length === 0) return new Set()
    const values = (await this.redis.send('MGET', nodes.map((node) => this.ALIVE + node))) as Array<string | null>
    return new Set(nodes.filter((_, i) => values[i] !== null))
  }

  async claim(room: string, node: string, create: boolean): Promise<Lease | undefined> {
    const value = (await this.redis.send('EVAL', [CLAIM, '2', this.LEASE + room, this.EPOCH + room, node, create ? '1' : '0', this.ALIVE, String(LEASE_TTL_MS)])) as string | null
    return value ? parse(room, value) : undefined
  }

  async lost(leases: Lease[]): Promise<Lease[]> {
    if (leases.length === 0) return []
    const indexes = (await this.redis.send('EVAL', [RENEW, String(leases.length), ...leases.map((l) => this.LEASE + l.room), ...leases.map(valueOf), String(LEASE_TTL_MS)])) as number[]
    return indexes.map((i) => leases[i - 1]!)
  }

  async release(lease: Lease): Promise<void> {
    await this.redis.send('EVAL', [RELEASE, '1', this.LEASE + lease.room, valueOf(lease)])
  }

  async reassert(lease: Lease): Promise<boolean> {
    const held = await this.redis.send('EVAL', [REASSERT, '2', this.LEASE + lease.room, this.EPOCH + lease.room, valueOf(lease), String(lease.epoch), this.ALIVE, String(LEASE_TTL_MS)])
    return held === 1
  }
}
