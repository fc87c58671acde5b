// Joining a cluster: the Redis connections a node keeps (one for commands, two for the bus), the room directory
// and the shared budgets over them. Connecting fails at start with Redis's own reason (the caller exits 2); once
// running, a lost Redis makes the node degraded, not dead, and it re-joins by itself when Redis is back.
import { RedisBus } from './redis-bus'
import { RedisDirectory } from './redis-directory'
import { ClusterQuotas } from './quotas'
import { RedisLink } from './redis'
import type { QuotaLimits } from '../rooms/quotas'

export interface ClusterEngines {
  nodeId: string
  commands: RedisLink
  bus: RedisBus
  directory: RedisDirectory
  quotas: ClusterQuotas
  /** Whether Redis answers (commands and bus). */
  redisUp(): boolean
  close(): Promise<void>
}

export async function joinCluster(redisUrl: string, nodeId: string, prefix: string, limits: QuotaLimits): Promise<ClusterEngines> {
  const commands = new RedisLink(redisUrl)
  await commands.connect()
  let bus: RedisBus
  try {
    bus = await RedisBus.connect(redisUrl, nodeId, prefix)
  } catch (error) {
    commands.close()
    throw error
  }
  return {
    nodeId,
    commands,
    bus,
    directory: new RedisDirectory(commands, prefix),
    quotas: new ClusterQuotas(commands, nodeId, prefix, limits),
    redisUp: () => commands.up && bus.connected,
    async close() {
      await bus.close()
      commands.close()
    },
  }
}
