// A topic's fan-out across the cluster: every node hands the frame to its own subscribed sockets with Bun's native
// pub/sub. The frame is serialised once, published here at once, and sent once over the bus for the other nodes.
import type { Broadcaster } from '../rooms/connection'
import type { ServerMessage } from '../rooms/protocol'
import type { Bus } from './bus'

export class ClusterBroadcaster implements Broadcaster {
  constructor(
    private readonly local: (topic: string, data: string) => void,
    private readonly bus: Bus,
  ) {
    bus.onMessage((message) => {
      if (message.t === 'pub') this.local(message.topic as string, message.data as string)
    })
  }

  publish(topic: string, frame: ServerMessage): void {
    const data = JSON.stringify(frame)
    this.local(topic, data)
    this.bus.broadcast({ t: 'pub', topic, data })
  }
}
