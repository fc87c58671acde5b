// The ICE servers a call member is given: STUN URLs as configured, and TURN with time-limited credentials in the
// shape coturn checks with `use-auth-secret` (the "TURN REST API"): username = "<expiry unix seconds>:<user id>",
// credential = base64(HMAC-SHA1(secret, username)). coturn recomputes the HMAC, so nothing is shared per user.
import { createHmac } from 'node:crypto'
import type { IceServer } from './protocol'

export interface IceConfig {
  stunUrls: string[]
  turnUrls: string[]
  /** coturn's static-auth-secret; required when turnUrls is set. */
  turnSecret: string | undefined
  turnCredentialTtlSeconds: number
}

export function turnCredentials(secret: string, userId: number, ttlSeconds: number, nowMs = Date.now()) {
  const username = `${Math.floor(nowMs / 1000) + ttlSeconds}:${userId}`
  const credential = createHmac('sha1', secret).update(username).digest('base64')
  return { username, credential }
}

export function iceServersFor(config: IceConfig, userId: number, nowMs = Date.now()): IceServer[] {
  const servers: IceServer[] = []
  if (config.stunUrls.length > 0) servers.push({ urls: config.stunUrls })
  if (config.turnUrls.length > 0 && config.turnSecret) {
    servers.push({ urls: config.turnUrls, ...turnCredentials(config.turnSecret, userId, config.turnCredentialTtlSeconds, nowMs) })
  }
  return servers
}

/**
 * When a call member should ask for fresh servers: at half the TURN credentials' lifetime, so a page has them (and
 * moves its relayed paths onto them) long before the old ones expire and the relay refuses to refresh its
 * allocations. Undefined when nothing expires (no TURN).
 */
export function iceRefreshInSeconds(config: IceConfig): number | undefined {
  if (config.turnUrls.length === 0 || !config.turnSecret) return undefined
  return Math.floor(config.turnCredentialTtlSeconds / 2)
}
