// The room directory: which nodes are alive, and which node owns each room. A node is alive while it renews its
// heartbeat (a key with a time to live); a room is owned through a lease that names the node and an epoch. A lease
// counts only while its node is alive: a node that stops renewing (killed, paused, cut off) loses every room at
// once, and the next claim takes the room for a live node with the next epoch. An owner that was paused learns on
// its next renewal that its lease moved on, and stops acting for the room.
//
// Two implementations with the same contract (tests/cluster/seams.test.ts): MemoryDirectory (nodes in one process)
// and RedisDirectory (src/cluster/redis-directory.ts).

export interface Lease {
  room: string
  node: string
  epoch: number
}

export interface RoomDirectory {
  /** Marks the node alive for `ttlMs` more. */
  heartbeat(node: string, ttlMs: number): Promise<void>
  /** The node will not be back (it stopped): it is dead at once. */
  forget(node: string): Promise<void>
  /** Which of these nodes are alive. */
  alive(nodes: string[]): Promise<Set<string>>
  /** The room's lease held by a live node; with `create`, the room is claimed for `node` when no live node holds
   * it. Undefined when nobody holds it and `create` is false. */
  claim(room: string, node: string, create: boolean): Promise<Lease | undefined>
  /** Of these leases, the ones their node no longer holds (taken over, or gone). */
  lost(leases: Lease[]): Promise<Lease[]>
  /** Gives the room up, if the lease is still this one. */
  release(lease: Lease): Promise<void>
  /** Asserts a lease again after the directory lost it (a Redis restart): true when it is held by `lease.node` now,
   * with the same epoch or, if nobody held it, newly. */
  reassert(lease: Lease): Promise<boolean>
}

/** Nodes in one process; time from `now` (tests move it). */
export class MemoryDirectory implements RoomDirectory {
  private readonly hearts = new Map<string, number>()
  private readonly leases = new Map<string, Lease>()
  private readonly epochs = new Map<string, number>()

  constructor(private readonly now: () => number = Date.now) {}

  async heartbeat(node: string, ttlMs: number): Promise<void> {
    this.hearts.set(node, this.now() + ttlMs)
  }

  async forget(node: string): Promise<void> {
    this.hearts.delete(node)
  }

  private isAlive(node: string): boolean {
    return (this.hearts.get(node) ?? 0) > this.now()
  }

  async alive(nodes: string[]): Promise<Set<string>> {
    return new Set(nodes.filter((node) => this.isAlive(node)))
  }

  async claim(room: string, node: string, create: boolean): Promise<Lease | undefined> {
    const current = this.leases.get(room)
    if (current && this.isAlive(current.node)) return { ...current }
    if (!create) return undefined
    const epoch = (this.epochs.get(room) ?? 0) + 1
    this.epochs.set(room, epoch)
    const lease = { room, node, epoch }
    this.leases.set(room, lease)
    return { ...lease }
  }

  async lost(leases: Lease[]): Promise<Lease[]> {
    return leases.filter((lease) => {
      const current = this.leases.get(lease.room)
      return !current || current.node !== lease.node || current.epoch !== lease.epoch
    })
  }

  async release(lease: Lease): Promise<void> {
    const current = this.leases.get(lease.room)
    if (current && current.node === lease.node && current.epoch === lease.epoch) this.leases.delete(lease.room)
  }

  async reassert(lease: Lease): Promise<boolean> {
    const current = this.leases.get(lease.room)
    if (current && this.isAlive(current.node)) return current.node === lease.node && current.epoch === lease.epoch
    this.leases.set(lease.room, { ...lease })
    this.epochs.set(lease.room, Math.max(lease.epoch, this.epochs.get(lease.room) ?? 0))
    return true
  }

  /** Loses everything, as a Redis restart without persistence does. */
  wipe(): void {
    this.hearts.clear()
    this.leases.clear()
    this.epochs.clear()
  }
}
