// /ws: the one authenticated WebSocket per client. The edge parses and validates each frame and answers a bad one
// with an error frame; valid frames are handed to the rooms (later issues route chat and signalling from here).
import { Elysia } from 'elysia'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { ClientMessage, CloseCode, PROTOCOL_VERSION, type ServerMessage } from '../../rooms/protocol'
import { authentication, type SessionDeps } from '../auth/session'
import type { Logger } from '../log'

const checkClientMessage = TypeCompiler.Compile(ClientMessage)
type Variant = { properties: { type: { const: string } } }
// TypeBox collapses a one-member union to the member itself.
const variants: Variant[] = (ClientMessage as { anyOf?: Variant[] }).anyOf ?? [ClientMessage as unknown as Variant]
const KNOWN_TYPES = new Set(variants.map((variant) => variant.properties.type.const))

/** Invalid frames tolerated per connection before it is closed, so a broken or hostile client cannot spin us. */
const MAX_BAD_FRAMES = 50

type Outcome = { ok: true; message: ClientMessage } | { ok: false; code: string; message: string }

/** Elysia hands text frames over already JSON-parsed when they look like JSON; anything else arrives raw. */
export function decodeFrame(raw: unknown): Outcome {
  let value = raw
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw)
    } catch {
      return { ok: false, code: 'malformed_frame', message: 'frames must be JSON objects' }
    }
  } else if (raw instanceof Uint8Array || raw instanceof ArrayBuffer) {
    return { ok: false, code: 'unsupported_frame', message: 'binary frames are not part of the protocol' }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'malformed_frame', message: 'frames must be JSON objects' }
  }
  if (checkClientMessage.Check(value)) return { ok: true, message: value }
  const type = (value as { type?: unknown }).type
  if (typeof type !== 'string') return { ok: false, code: 'invalid_message', message: 'frame has no "type"' }
  if (!KNOWN_TYPES.has(type)) return { ok: false, code: 'unknown_type', message: `unknown frame type "${type.slice(0, 40)}"` }
  const first = checkClientMessage.Errors(value).First()
  return {
    ok: false,
    code: 'invalid_message',
    message: `invalid "${type.slice(0, 40)}" frame${first ? `: ${first.path || '/'} ${first.message}` : ''}`,
  }
}

export const socketRoute = (deps: SessionDeps & { log: Logger }) =>
  new Elysia().use(authentication(deps)).ws('/ws', {
    auth: true,
    open(ws) {
      const { user } = ws.data
      const hello: ServerMessage = { type: 'hello', protocol: PROTOCOL_VERSION, user: { id: user.id, username: user.username } }
      ws.send(JSON.stringify(hello))
      deps.log.debug({ event: 'ws.open', userId: user.id }, 'socket opened')
    },
    message(ws, raw) {
      const data = ws.data as unknown as { badFrames?: number }
      const send = (frame: ServerMessage) => ws.send(JSON.stringify(frame))
      const decoded = decodeFrame(raw)
      if (!decoded.ok) {
        send({ type: 'error', code: decoded.code, message: decoded.message })
        data.badFrames = (data.badFrames ?? 0) + 1
        if (data.badFrames > MAX_BAD_FRAMES) ws.close(CloseCode.policyViolation, 'too many invalid frames')
        return
      }
      const message = decoded.message
      switch (message.type) {
        case 'ping':
          send({ type: 'pong', nonce: message.nonce, serverTime: Date.now() })
          return
      }
    },
    close(ws) {
      deps.log.debug({ event: 'ws.close', userId: ws.data.user.id }, 'socket closed')
    },
  })
