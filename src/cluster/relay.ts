// Rooms across the nodes of a cluster. Every room (the global chat, each video room, each conversation) has one
// owner node at a time, through a lease in the room directory; its actor runs there and nowhere else. A command
// from a socket on another node is relayed to the owner over the bus, and what the room sends back to that socket
// (frames, topic subscriptions) is relayed to the socket's node; topic fan-out reaches every node (ClusterBroadcaster).
// Nothing needs sticky load balancing: any node serves any socket.
//
// When an owner dies, its heartbeat lapses: the nodes holding sockets in its rooms close those sockets with 1012,
// the clients reconnect through the load balancer and join again, and the first join claims the room for a live
// node (the clients' own reconnect logic re-forms the call and catches the chat up from the database). When a
// socket's node dies, the owner sees its heartbeat lapse and takes that node's people out (presence grace, call
// reconnect grace), as for a dropped connection.
import type { Bus, BusMessage } from './bus'
import type { Lease, RoomDirectory } from './directory'
import type { Connection } from '../rooms/connection'
import { LocalRouter, type ConnCommand, type Lookup, type Missing, type RoomRegistry, type RoomRouter } from '../rooms/registry'
import { CloseCode, GLOBAL_ROOM, type ServerMessage, type UserRef } from '../rooms/protocol'

/** How often a node renews its heartbeat and leases and looks for dead nodes; a node whose heartbeat is older
 * than ALIVE_TTL_MS is dead. A live node's event loop would have to stall for 2.5 s to be taken for dead. */
export const TICK_MS = 500
export const ALIVE_TTL_MS = 3000
/** Commands waiting for a room's owner to be found, per room; beyond it they are refused. */
const MAX_WAITING = 1000
/** How many times a command follows a room that moved before it is refused. */
const MAX_HOPS = 3

interface LocalSocket {
  conn: Connection
  close(code: number, reason: string): void
  /** Rooms this socket joined (chat or call). */
  rooms: Set<string>
}

/** A socket on another node, as the rooms here see it. */
class RemoteConnection implements Connection {
  readonly rooms = new Set<string>()

  constructor(
    readonly id: string,
    readonly user: UserRef,
    readonly node: string,
    private readonly bus: Bus,
  ) {}

  send(frame: ServerMessage): void {
    this.bus.send(this.node, { t: 'frame', conn: this.id, frame })
  }

  subscribe(topic: string): void {
    this.bus.send(this.node, { t: 'sub', conn: this.id, topic })
  }

  unsubscribe(topic: string): void {
    this.bus.send(this.node, { t: 'unsub', conn: this.id, topic })
  }
}

type Relayed = { t: 'cmd'; room: string; lookup: Lookup; conn: { id: string; user: UserRef }; cmd: Record<string, unknown>; hops: number }

export interface ClusterRoomsHooks {
  onError(error: unknown, context: string): void
  /** A room's owner changed here: claimed, lost or given up. */
  onOwnership?(room: string, event: 'claimed' | 'lost' | 'released', epoch: number): void
}

export class ClusterRooms implements RoomRouter {
  /** Leases this node holds: its rooms. */
  private readonly owned = new Map<string, Lease>()
  /** Other nodes' rooms that sockets here use. */
  private readonly owners = new Map<string, Lease>()
  /** Commands for rooms whose owner is being found, in arrival order. */
  private readonly waiting = new Map<string, Array<{ lookup: Lookup; command: ConnCommand; hops: number }>>()
  private readonly sockets = new Map<string, LocalSocket>()
  private readonly remotes = new Map<string, RemoteConnection>()
  private timer: ReturnType<typeof setInterval> | undefined
  private ticks = 0
  private lastBeat = 0
  /** Redis did not answer the last heartbeat: this node is on its own and serves the rooms it owns as they are. */
  private alone = false
  private ticking: Promise<void> | undefined
  /** Draining: no new rooms are claimed here. */
  draining = false
  /** The rooms this node owns, reached as one node reaches its rooms. */
  private readonly local: LocalRouter

  constructor(
    private readonly bus: Bus,
    private readonly directory: RoomDirectory,
    private readonly registry: RoomRegistry,
    private readonly missing: Missing,
    private readonly hooks: ClusterRoomsHooks,
  ) {
    this.local = new LocalRouter(registry, missing)
    bus.onMessage((message, from) => this.received(message, from))
    bus.onResumed(() => void this.resumed())
    registry.whenClosed((name) => void this.roomClosed(name))
  }

  /** A room here closed (nobody left): its lease goes, and the next join anywhere claims it afresh. */
  private async roomClosed(name: string) {
    const lease = this.owned.get(name)
    if (!lease) return
    this.owned.delete(name)
    this.hooks.onOwnership?.(name, 'released', lease.epoch)
    await this.directory.release(lease).catch((error) => this.hooks.onError(error, `releasing room ${name}`))
  }

  get nodeId(): string {
    return this.bus.nodeId
  }

  get maxCallMembers(): number | undefined {
    return this.registry.maxCallMembers
  }

  /** Whether the last heartbeat went through lately (Redis answers). */
  get beating(): boolean {
    return Date.now() - this.lastBeat < 4 * TICK_MS
  }

  /** The rooms this node owns now. */
  ownedRooms(): string[] {
    return [...this.owned.keys()]
  }

  async start(): Promise<void> {
    await this.beat()
    this.timer = setInterval(() => void this.tick(), TICK_MS)
    this.timer.unref()
  }

  // ---- the edge: sockets of this node ----

  opened(conn: Connection, close: (code: number, reason: string) => void): void {
    this.sockets.set(conn.id, { conn, close, rooms: new Set() })
  }

  closed(conn: Connection): void {
    this.sockets.delete(conn.id)
  }

  deliver(name: string, lookup: Lookup, command: ConnCommand, hops = 0): void {
    // A socket is in the rooms it joined (a frame for any other room is refused by the room, and not remembered).
    if (command.kind === 'join' || command.kind === 'call.join') this.sockets.get(command.conn.id)?.rooms.add(name)
    const queue = this.waiting.get(name)
    if (queue) {
      if (queue.length >= MAX_WAITING) return this.unavailable(name, command)
      queue.push({ lookup, command, hops })
      return
    }
    // An owner that may have been paused past its heartbeat checks its leases before acting again (unless Redis is
    // away: then nobody can take its rooms, and it serves them as they are).
    if (this.owned.has(name) && (this.alone || Date.now() - this.lastBeat < ALIVE_TTL_MS)) return this.here(name, lookup, command)
    const owner = this.owners.get(name)
    if (owner) return this.relay(owner, name, lookup, command, hops)
    if (command.kind === 'disconnected' && !this.owned.has(name)) return
    this.waiting.set(name, [{ lookup, command, hops }])
    void this.resolve(name, lookup)
  }

  /** Finds (or claims) the room's owner, then hands it what waited. */
  private async resolve(name: string, lookup: Lookup) {
    let lease: Lease | undefined
    let failed = false
    try {
      if (Date.now() - this.lastBeat >= ALIVE_TTL_MS) await this.tick()
      lease = this.owned.get(name) ?? (await this.directory.claim(name, this.nodeId, !this.draining && (lookup !== 'find' || name === GLOBAL_ROOM)))
    } catch (error) {
      // Redis is away: the rooms this node owns go on; another node's room, or one nobody owns yet, cannot be found
      // until it is back (taking it here could make a second owner, with two histories to reconcile).
      failed = true
      lease = this.owned.get(name)
      this.hooks.onError(error, `finding the owner of room ${name}`)
    }
    const queued = this.waiting.get(name) ?? []
    this.waiting.delete(name)
    if (lease?.node === this.nodeId) {
      if (!this.owned.has(name)) {
        this.owned.set(name, lease)
        this.owners.delete(name)
        this.hooks.onOwnership?.(name, 'claimed', lease.epoch)
      }
    } else if (lease) this.owners.set(name, lease)
    for (const { lookup, command, hops } of queued) {
      if (!lease) {
        if (this.draining || failed) this.unavailable(name, command)
        else this.missing(name, lookup, command)
      } else this.deliver(name, lookup, command, hops)
    }
  }

  private relay(owner: Lease, name: string, lookup: Lookup, command: ConnCommand, hops: number) {
    const { conn, ...cmd } = command
    const message: Relayed = { t: 'cmd', room: name, lookup, conn: { id: conn.id, user: conn.user }, cmd, hops }
    // A command relayed here for a room that moved on goes back to the socket's node, which asks the new owner
    // itself (frames must flow between the owner and the socket's node, not through this one).
    if (conn instanceof RemoteConnection) {
      if (cmd.kind !== 'disconnected') this.bus.send(conn.node, { t: 'moved', relayed: message })
      return
    }
    this.bus.send(owner.node, message)
  }

  private unavailable(name: string, command: ConnCommand) {
    if (command.kind === 'disconnected') return
    command.conn.send({ type: 'error', code: 'unavailable', message: 'this room is moving between servers; try again in a moment', room: name })
  }

  /** The room is this node's: its actor takes the command. */
  private here(name: string, lookup: Lookup, command: ConnCommand) {
    this.local.deliver(name, lookup, command)
  }

  // ---- messages from other nodes ----

  private received(message: BusMessage, from: string) {
    switch (message.t) {
      case 'cmd':
        return this.fromEdge(message as unknown as Relayed, from)
      case 'frame': {
        const socket = this.sockets.get(message.conn as string)
        return socket?.conn.send(message.frame as ServerMessage)
      }
      case 'sub':
        return this.sockets.get(message.conn as string)?.conn.subscribe(message.topic as string)
      case 'unsub':
        return this.sockets.get(message.conn as string)?.conn.unsubscribe(message.topic as string)
      case 'moved': {
        // The node this command went to does not own the room (any more): find the owner again.
        const relayed = message.relayed as Relayed
        const socket = this.sockets.get(relayed.conn.id)
        const known = this.owners.get(relayed.room)
        if (known?.node === from) this.owners.delete(relayed.room)
        if (!socket) return
        const command = { ...relayed.cmd, conn: socket.conn } as unknown as ConnCommand
        if (relayed.hops >= MAX_HOPS) return this.unavailable(relayed.room, command)
        return this.deliver(relayed.room, relayed.lookup, command, relayed.hops + 1)
      }
      case 'close':
        // A room of this socket moved: the client reconnects and joins it where it is now.
        return this.moveSocket(message.conn as string)
    }
  }

  /** A command relayed from a socket on node `from`. */
  private fromEdge(relayed: Relayed, from: string) {
    const { room: name, lookup } = relayed
    if (!this.owned.has(name)) return this.bus.send(from, { t: 'moved', relayed })
    let remote = this.remotes.get(relayed.conn.id)
    if (!remote) {
      if (relayed.cmd.kind === 'disconnected') return
      remote = new RemoteConnection(relayed.conn.id, relayed.conn.user, from, this.bus)
      this.remotes.set(remote.id, remote)
    }
    const command = { ...relayed.cmd, conn: remote } as unknown as ConnCommand
    if (command.kind === 'disconnected') {
      remote.rooms.delete(name)
      if (remote.rooms.size === 0) this.remotes.delete(remote.id)
    } else remote.rooms.add(name)
    this.deliver(name, lookup, command, relayed.hops)
  }

  /** Every socket here that joined the room reconnects (to find it where it is now). */
  private moveSocketsIn(name: string) {
    for (const socket of [...this.sockets.values()]) if (socket.rooms.has(name)) this.moveSocket(socket.conn.id)
  }

  /** A socket of another node is gone from this node's rooms, as after a dropped connection. */
  private dropRemote(remote: RemoteConnection) {
    this.remotes.delete(remote.id)
    for (const name of remote.rooms) this.here(name, 'find', { kind: 'disconnected', conn: remote, dropped: true })
  }

  private moveSocket(connId: string) {
    const socket = this.sockets.get(connId)
    if (!socket) return
    this.sockets.delete(connId)
    socket.close(CloseCode.moved, 'a room moved to another server; reconnect')
  }

  // ---- keeping the cluster's picture true ----

  /** This node is alive for another ALIVE_TTL_MS, and knows it. */
  private async beat() {
    await this.directory.heartbeat(this.nodeId, ALIVE_TTL_MS)
    this.lastBeat = Date.now()
    this.alone = false
  }

  /** Heartbeat and leases renewed; rooms lost are given up; dead nodes' rooms and sockets let go. */
  tick(): Promise<void> {
    this.ticking ??= this.check().finally(() => (this.ticking = undefined))
    return this.ticking
  }

  private async check() {
    // Every ten seconds: forget the owners of rooms no socket here uses any more (rooms close, people leave).
    if (++this.ticks % 20 === 0) {
      const used = new Set<string>()
      for (const socket of this.sockets.values()) for (const name of socket.rooms) used.add(name)
      for (const name of [...this.owners.keys()]) if (!used.has(name)) this.owners.delete(name)
    }
    try {
      await this.beat().catch((error) => {
        this.alone = true
        throw error
      })
      for (const lease of await this.directory.lost([...this.owned.values()])) await this.lose(lease)
      const nodes = new Set<string>()
      for (const lease of this.owners.values()) nodes.add(lease.node)
      for (const remote of this.remotes.values()) nodes.add(remote.node)
      nodes.delete(this.nodeId)
      if (nodes.size === 0) return
      const alive = await this.directory.alive([...nodes])
      for (const node of nodes) if (!alive.has(node)) this.nodeDied(node)
    } catch (error) {
      this.hooks.onError(error, 'renewing the heartbeat and leases')
    }
  }

  /** This node no longer owns the room: it stops here, and every socket in it reconnects to the new owner. */
  private async lose(lease: Lease) {
    if (this.owned.get(lease.room) !== lease) return
    this.owned.delete(lease.room)
    this.hooks.onOwnership?.(lease.room, 'lost', lease.epoch)
    await this.letGo(lease.room)
  }

  private async letGo(name: string) {
    for (const remote of this.remotes.values()) {
      if (!remote.rooms.has(name)) continue
      this.bus.send(remote.node, { t: 'close', conn: remote.id })
      this.remotes.delete(remote.id)
    }
    this.moveSocketsIn(name)
    await this.registry.retire(name)
  }

  private nodeDied(node: string) {
    // Rooms it owned: their sockets here reconnect, and the first join claims each room for a live node.
    for (const [name, lease] of [...this.owners]) {
      if (lease.node !== node) continue
      this.owners.delete(name)
      this.moveSocketsIn(name)
    }
    // Its sockets in rooms here: gone as if their connection dropped.
    for (const remote of [...this.remotes.values()]) if (remote.node === node) this.dropRemote(remote)
  }

  /** The bus was cut off: what other nodes sent meanwhile is lost. Sockets in other nodes' rooms reconnect and
   * catch up from the database; the sockets of other nodes in this node's rooms are told to do the same. */
  private async resumed() {
    this.owners.clear()
    for (const socket of [...this.sockets.values()]) {
      if ([...socket.rooms].some((name) => !this.owned.has(name))) this.moveSocket(socket.conn.id)
    }
    for (const remote of [...this.remotes.values()]) {
      this.bus.send(remote.node, { t: 'close', conn: remote.id })
      this.dropRemote(remote)
    }
    // Redis may have restarted empty: the leases go back, unless another node took a room meanwhile.
    try {
      await this.beat()
      for (const lease of [...this.owned.values()]) if (!(await this.directory.reassert(lease))) await this.lose(lease)
    } catch (error) {
      this.hooks.onError(error, 'settling the leases after Redis came back')
    }
  }

  /** Stops taking rooms, gives up those it has (after what they hold is written) and leaves the cluster. */
  async drain(): Promise<void> {
    this.draining = true
    clearInterval(this.timer)
    await this.ticking
    for (const lease of [...this.owned.values()]) {
      this.owned.delete(lease.room)
      await this.letGo(lease.room)
      await this.directory.release(lease).catch(() => {})
      this.hooks.onOwnership?.(lease.room, 'released', lease.epoch)
    }
    await this.directory.forget(this.nodeId).catch(() => {})
  }
}
