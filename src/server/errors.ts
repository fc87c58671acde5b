// Every failure leaves the server as { error: { code, message } } with a fitting status, never a stack trace.
import { Elysia, ValidationError } from 'elysia'
import { isUnavailable } from '../db/errors'
import type { Logger } from './log'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

export function errorBody(code: string, message: string) {
  return { error: { code, message } }
}

function json(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(errorBody(code, message)), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  })
}

/** A readable one-line reason from a schema failure: the field and what was wrong with it. */
function describeValidation(error: ValidationError): string {
  const first = error.all[0] as
    | { path?: string; summary?: string; message?: string; value?: unknown; schema?: { error?: unknown } }
    | undefined
  if (!first) return 'request does not match the expected shape'
  const field = first.path ? first.path.replace(/^\//, '').replace(/\//g, '.') : ''
  if (field && first.value === undefined) return `${field} is required`
  const custom = typeof first.schema?.error === 'string' ? first.schema.error : undefined
  const reason = custom ?? first.summary ?? first.message ?? 'is invalid'
  if (!field) return reason
  return custom ? reason : `${field}: ${reason}`
}

export const errorHandling = (log: Logger) =>
  new Elysia({ name: 'errors' }).onError({ as: 'global' }, ({ code, error, request }) => {
    // Our own body parser's refusals (413, 415, malformed JSON) arrive wrapped in Elysia's ParseError.
    const own = error instanceof ApiError ? error : (error as { cause?: unknown }).cause
    if (own instanceof ApiError) return json(own.status, own.code, own.message, own.headers)
    // Domain errors (the vault's refusals) mark themselves as meant for the client.
    const domain = error as { expose?: unknown; status?: unknown; code?: unknown; message?: unknown }
    if (domain.expose === true && typeof domain.status === 'number' && typeof domain.code === 'string') {
      return json(domain.status, domain.code, String(domain.message))
    }
    switch (code) {
      case 'VALIDATION':
        return json(400, 'invalid_request', describeValidation(error as ValidationError))
      case 'PARSE':
        return json(400, 'malformed_body', 'the request body could not be parsed')
      case 'NOT_FOUND':
        return json(404, 'not_found', `no route for ${request.method} ${new URL(request.url).pathname}`)
      case 'INVALID_COOKIE_SIGNATURE':
        return json(401, 'unauthenticated', 'invalid session cookie')
    }
    const status = (error as { status?: unknown }).status
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return json(status, 'bad_request', (error as Error).message || 'bad request')
    }
    // The database or the object store is away (restarting, unreachable): a moment's outage, not a bug. The same
    // request works once it is back; nothing is half-written (each store's writes are transactions).
    if (isUnavailable(error)) {
      log.warn({ event: 'engine.unavailable', err: error, method: request.method, url: new URL(request.url).pathname }, 'storage unavailable')
      return json(503, 'unavailable', 'the service is briefly unavailable; try again in a moment', { 'retry-after': '5' })
    }
    log.error({ err: error, method: request.method, url: new URL(request.url).pathname }, 'unhandled error')
    return json(500, 'internal', 'internal server error')
  })
