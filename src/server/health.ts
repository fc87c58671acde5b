import { Elysia } from 'elysia'
import pkg from '../../package.json'

const startedAt = Date.now()

export const healthRoute = new Elysia({ name: 'health' }).get('/api/health', () => ({
  status: 'ok' as const,
  version: pkg.version,
  uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
}))
