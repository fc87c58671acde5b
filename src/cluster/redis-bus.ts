// The bus over Redis pub/sub: one channel per node and one for all. A node publishes on one connection and
// listens on another (a subscribed Redis connection takes no other commands); Redis keeps the order of what one
// connection publishes, so two messages from one node arrive in the order they were sent. What a node sends in one
// turn of its event loop goes out together: consecutive messages for the same channel in one publish (a burst of
// relayed chat sends costs one Redis message, not one each), in the order they were sent.
import type { Bus, BusMessage } from './bus'
import { RedisLink } from './redis'


export class RedisBus implements Bus {
  private readonly handlers: Array<(message: BusMessage, from: string) => void> = []
  private readonly resumed: Array<() => void> = []

  private readonly all: string
  private readonly own: string
  /** Messages of this turn of the event loop, in order, with their channel. */
  private outgoing: Array<[string, BusMessage]> = []

  private constructor(
    readonly nodeId: string,
    private readonly prefix: string,
    private readonly pub: RedisLink,
    private readonly sub: RedisLink,
  ) {
    this.all = `${prefix}:all`
    this.own = this.channelOf(nodeId)
  }

  private channelOf(nodeId: string) {
    return `${this.prefix}:node:${nodeId}`
  }

  static async connect(url: string, nodeId: string, prefix: string): Promise<RedisBus> {
    const pub = new RedisLink(url)
    const sub = new RedisLink(url)
    await Promise.all([pub.connect(), sub.connect()])
    const bus = new RedisBus(nodeId, prefix, pub, sub)
    await bus.subscribe()
    // A new connection has no subscriptions: subscribe again, then say that what came meanwhile was missed.
    sub.whenUp(async () => {
      await bus.subscribe()
      for (const handler of bus.resumed) handler()
    })
    // What this node published while its own link was down never left it either.
    pub.whenUp(() => {
      for (const handler of bus.resumed) handler()
    })
    return bus
  }

  private async subscribe() {
    const listener = (text: string) => this.receive(text)
    // The old listener would stay beside the new one and double every message: drop it first.
    try {
      await this.sub.client.unsubscribe()
    } catch {
      // Not subscribed (a new connection): nothing to drop.
    }
    await this.sub.client.subscribe([this.all, this.own], listener)
  }

  get connected(): boolean {
    return this.pub.up && this.sub.up
  }

  private receive(text: string) {
    const bar = text.indexOf('|')
    const from = text.slice(0, bar)
    if (from === this.nodeId) return
    let messages: BusMessage[]
    try {
      messages = JSON.parse(text.slice(bar + 1))
    } catch {
      return
    }
    if (!Array.isArray(messages)) return
    for (const message of messages) for (const handler of this.handlers) handler(message, from)
  }

  private publish(channel: string, message: BusMessage) {
    if (!this.pub.up) return
    if (this.outgoing.length === 0) queueMicrotask(() => this.flush())
    this.outgoing.push([channel, message])
  }

  private flush() {
    const outgoing = this.outgoing
    this.outgoing = []
    for (let start = 0; start < outgoing.length; ) {
      const channel = outgoing[start]![0]
      let end = start + 1
      while (end < outgoing.length && outgoing[end]![0] === channel && end - start < 1000) end++
      const body = JSON.stringify(outgoing.slice(start, end).map(([, message]) => message))
      // At most once: a publish that fails is lost like one that reaches a node that is away.
      this.pub.client.publish(channel, `${this.nodeId}|${body}`).catch(() => {})
      start = end
    }
  }

  broadcast(message: BusMessage): void {
    this.publish(this.all, message)
  }

  send(nodeId: string, message: BusMessage): void {
    if (nodeId === this.nodeId) {
      const copy = JSON.parse(JSON.stringify(message))
      queueMicrotask(() => {
        for (const handler of this.handlers) handler(copy, this.nodeId)
      })
      return
    }
    this.publish(this.channelOf(nodeId), message)
  }

  onMessage(handler: (message: BusMessage, from: string) => void): void {
    this.handlers.push(handler)
  }

  onResumed(handler: () => void): void {
    this.resumed.push(handler)
  }

  async close(): Promise<void> {
    this.pub.close()
    this.sub.close()
  }
}
