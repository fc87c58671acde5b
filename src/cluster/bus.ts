// The bus: how the nodes of a cluster speak to each other. A node sends to one node (a room command relayed to the
// room's owner, a frame relayed back to the node holding the socket) or to every other node (a topic's fan-out, a
// session ended). Delivery is at most once, in order between two nodes; what a node misses while its link is down
// is lost, and `onResumed` says so, so it can make its clients catch up from the database.
//
// Two implementations with the same contract (tests/cluster/seams.test.ts): MemoryHub, nodes in one process (tests
// of the relay logic), and RedisBus (src/cluster/redis-bus.ts), nodes in several processes.

/** What travels between nodes: plain JSON, with a type. */
export type BusMessage = { t: string; [key: string]: unknown }

export interface Bus {
  readonly nodeId: string
  /** Whether messages can flow right now. */
  readonly connected: boolean
  /** To every node but this one. */
  broadcast(message: BusMessage): void
  /** To one node (this one included: handled as if it came from elsewhere). */
  send(nodeId: string, message: BusMessage): void
  /** What other nodes send to this node or to all; `from` is the sender's node id. */
  onMessage(handler: (message: BusMessage, from: string) => void): void
  /** The link came back after a loss: messages sent meanwhile never arrive. */
  onResumed(handler: () => void): void
  close(): Promise<void>
}

/** Nodes in one process, connected through memory: the same ordering and loss behaviour as the Redis bus, with a
 * switch to cut a node off. */
export class MemoryHub {
  private readonly nodes = new Map<string, MemoryBus>()

  node(nodeId: string): MemoryBus {
    const bus = new MemoryBus(nodeId, this)
    this.nodes.set(nodeId, bus)
    return bus
  }

  /** @internal */
  deliver(from: string, to: string | undefined, message: BusMessage): void {
    const sender = this.nodes.get(from)
    if (!sender?.connected) throw new Error('the bus is not connected')
    // A copy through JSON, as over the wire: nothing is shared between nodes by reference.
    const text = JSON.stringify(message)
    for (const [id, bus] of this.nodes) {
      if ((to === undefined && id === from) || (to !== undefined && id !== to)) continue
      queueMicrotask(() => bus.receive(JSON.parse(text), from))
    }
  }

  forget(nodeId: string): void {
    this.nodes.delete(nodeId)
  }
}

export class MemoryBus implements Bus {
  private handlers: Array<(message: BusMessage, from: string) => void> = []
  private resumed: Array<() => void> = []
  connected = true

  constructor(
    readonly nodeId: string,
    private readonly hub: MemoryHub,
  ) {}

  broadcast(message: BusMessage): void {
    this.hub.deliver(this.nodeId, undefined, message)
  }

  send(nodeId: string, message: BusMessage): void {
    this.hub.deliver(this.nodeId, nodeId, message)
  }

  onMessage(handler: (message: BusMessage, from: string) => void): void {
    this.handlers.push(handler)
  }

  onResumed(handler: () => void): void {
    this.resumed.push(handler)
  }

  /** @internal */
  receive(message: BusMessage, from: string): void {
    if (!this.connected) return
    for (const handler of this.handlers) handler(message, from)
  }

  /** Cuts this node off (what it would have received is lost) or connects it again. */
  setConnected(connected: boolean): void {
    const was = this.connected
    this.connected = connected
    if (connected && !was) for (const handler of this.resumed) handler()
  }

  async close(): Promise<void> {
    this.connected = false
    this.hub.forget(this.nodeId)
  }
}
