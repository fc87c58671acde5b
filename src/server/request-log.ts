// One JSON log line per HTTP request (method, path, status, duration), counted by status class for the metrics.
// Health checks and static assets log at debug level so they do not drown the rest.
import { Elysia } from 'elysia'
import type { Logger } from './log'
import type { Counters } from './metrics'

export const requestLog = (log: Logger, counters: Counters) =>
  new Elysia({ name: 'request-log' })
    .derive({ as: 'global' }, ({ request, path }) => ({
      requestLine: { method: request.method, path, started: performance.now() },
    }))
    .onAfterResponse({ as: 'global' }, (context) => {
      const { requestLine, set } = context as typeof context & { requestLine?: { method: string; path: string; started: number } }
      const response = (context as { response?: unknown }).response
      const status = response instanceof Response ? response.status : typeof set.status === 'number' ? set.status : 200
      counters.request(status)
      if (!requestLine || requestLine.path === '/ws') return
      const quiet = requestLine.path === '/api/health' || requestLine.path.startsWith('/assets/')
      log[quiet ? 'debug' : 'info'](
        { event: 'http.request', method: requestLine.method, path: requestLine.path, status, ms: Math.round((performance.now() - requestLine.started) * 10) / 10 },
        'request',
      )
    })
