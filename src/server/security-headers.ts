// Headers every response carries: the client loads only its own scripts, talks only to its own origin, cannot be
// framed, never leaks URLs, and only our own pages may ask for the camera, the microphone or the screen.
import { Elysia } from 'elysia'

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    // 'self' covers ws:// and wss:// to our own host (CSP Level 3): no socket to anywhere else.
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'permissions-policy': 'camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=(), usb=()',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
}

/** HSTS when we serve TLS ourselves: browsers then never try plain HTTP on this host for a year. */
const HSTS = 'max-age=31536000'

export const securityHeaders = (options: { tls: boolean }) => {
  const headers = options.tls ? { ...SECURITY_HEADERS, 'strict-transport-security': HSTS } : SECURITY_HEADERS
  return new Elysia({ name: 'security-headers' }).onRequest(({ set }) => {
    Object.assign(set.headers, headers)
  })
}
