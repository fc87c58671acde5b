import { Elysia } from 'elysia'
import pkg from '../../package.json'

const startedAt = Date.now()

/** A cluster node's view of itself: its id, its rooms and whether the engines answer. */
export interface NodeHealth {
  /** ok; degraded: Redis or the database is away (the node serves its own clients); draining: stopping, and
   * answered with 503 so the load balancer sends nobody new. */
  status: 'ok' | 'degraded' | 'draining'
  node: string
  rooms: number
  redis: boolean
  database: boolean
}

export type HealthProbe = () => Promise<NodeHealth>

export const healthRoute = (probe?: HealthProbe) =>
  new Elysia({ name: 'health' }).get('/api/health', async ({ set }) => {
    const base = { version: pkg.version, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) }
    if (!probe) return { status: 'ok' as const, ...base }
    const node = await probe()
    if (node.status === 'draining') set.status = 503
    return { ...node, ...base }
  })
