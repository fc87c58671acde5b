// How a room sees a client: one WebSocket of one user. The edge implements it over Bun's socket; rooms never touch
// the socket itself, which keeps them testable and transport-agnostic.
import type { ServerMessage, UserRef } from './protocol'

export interface Connection {
  readonly id: string
  readonly user: UserRef
  send(frame: ServerMessage): void
  subscribe(topic: string): void
  unsubscribe(topic: string): void
}

/** Fan-out to every connection subscribed to a topic. In-process it is Bun's native pub/sub; a Redis-backed one
 * would let several PartyRoom processes share rooms. */
export interface Broadcaster {
  publish(topic: string, frame: ServerMessage): void
}
