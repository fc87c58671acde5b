// Bun's native pub/sub as the rooms' Broadcaster: a frame is serialised once and fanned out in native code.
import type { Server } from 'bun'
import type { Broadcaster } from '../../rooms/connection'
import type { ServerMessage } from '../../rooms/protocol'

export class BunBroadcaster implements Broadcaster {
  private server: Server<unknown> | undefined

  /** The server exists only once the app listens; rooms are created before that. */
  attach(server: Server<unknown>): void {
    this.server = server
  }

  publish(topic: string, frame: ServerMessage): void {
    this.server?.publish(topic, JSON.stringify(frame))
  }

  /** A frame already serialised (one that came from another node). */
  publishText(topic: string, data: string): void {
    this.server?.publish(topic, data)
  }
}
