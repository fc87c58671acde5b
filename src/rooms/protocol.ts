// The one WebSocket protocol, shared by the server (which validates every client frame against these schemas at
// the edge) and the web client (which imports the types). Each frame is a JSON object with a `type` discriminant.
import { t, type Static } from 'elysia'

export const PROTOCOL_VERSION = 1

/** Frames a client may send. */
export const ClientMessage = t.Union([
  t.Object({ type: t.Literal('ping'), nonce: t.Optional(t.String({ maxLength: 64 })) }, { additionalProperties: false }),
])
export type ClientMessage = Static<typeof ClientMessage>

export interface HelloFrame {
  type: 'hello'
  protocol: number
  user: { id: number; username: string }
}
export interface PongFrame {
  type: 'pong'
  nonce?: string
  serverTime: number
}
export interface ErrorFrame {
  type: 'error'
  code: string
  message: string
}

/** Frames the server sends. */
export type ServerMessage = HelloFrame | PongFrame | ErrorFrame

/** WebSocket close codes the server uses, beyond the standard ones. */
export const CloseCode = {
  /** Sent when the server shuts down; clients reconnect after a pause. */
  serverShutdown: 1001,
  /** A client that keeps sending invalid frames is disconnected. */
  policyViolation: 1008,
} as const
