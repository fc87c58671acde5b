// The address a request came from, for rate limiting and logs. Behind a reverse proxy (TRUST_PROXY) it is the
// right-most X-Forwarded-For entry, the one our own proxy appended and the client cannot forge.
import type { Server } from 'bun'

export function clientAddress(request: Request, server: Server<unknown> | null, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers.get('x-forwarded-for')
    const last = forwarded?.split(',').pop()?.trim()
    if (last) return last
  }
  return server?.requestIP(request)?.address ?? 'unknown'
}

export function isHttps(request: Request, trustProxy: boolean): boolean {
  if (trustProxy && request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim() === 'https') return true
  return new URL(request.url).protocol === 'https:'
}

/** The origin the client reached us at ("https://host:port"), for links we hand out and same-origin checks. */
export function originOf(request: Request, trustProxy: boolean): string {
  return `${isHttps(request, trustProxy) ? 'https' : 'http'}://${request.headers.get('host') ?? new URL(request.url).host}`
}
