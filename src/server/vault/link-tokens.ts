// What share links (/s/<token>) and file drops (/d/<token>) have in common: a token of 256 random bits in the URL,
// of which only the SHA-256 is stored; pages search engines are told to leave alone; and cookies scoped to one
// link's path, which is how a browser is remembered by that link and no other.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** The link's token: 256 random bits, base64url. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/

/** Search engines are told to keep away from every link URL. */
export const NOINDEX = { 'x-robots-tag': 'noindex, nofollow' }

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex')

/** A new link's token (shown once, inside its URL) and the hash that is stored. */
export function newToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url')
  return { token, hash: hashToken(token) }
}

/** The stored hash a URL's token names, or undefined for a string that cannot be a token (not looked up). */
export function lookupHash(token: string): string | undefined {
  return TOKEN.test(token) ? hashToken(token) : undefined
}

export function readCookie(header: string | null, name: string): string | undefined {
  return header
    ?.split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${name}=`))
    ?.slice(name.length + 1)
}

/** A Set-Cookie value for one link's pages only, out of scripts' reach, never sent from other sites. */
export function linkCookie(name: string, value: string, path: string, seconds: number, secure: boolean): string {
  return `${name}=${value}; Path=${path}; Max-Age=${seconds}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`
}

/** Whether a proof a cookie carries is the one expected, compared in constant time. */
export function sameProof(expected: string, given: string): boolean {
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}
