// Finds a room actor by name. The global chat exists from start to shutdown; a video room is created by its first
// join and forgotten when it closes (it closes itself once empty for a grace period).
import { Room, type RoomCommand, type RoomDeps } from './room'
import type { CallDeps } from './call'
import { GLOBAL_ROOM } from './protocol'
import { conversationIdOf } from '../db/conversations'

/** Conversation actors open at once, server-wide (each holds its members and the sockets reading it). */
export const MAX_OPEN_CONVERSATIONS = 10_000
/** A conversation's actor closes this long after its last reader left (its chat stays). */
const CONVERSATION_IDLE_MS = 30_000

export interface VideoRoomOptions {
  call: CallDeps
  emptyGraceMs: number
  /** Room lifecycle, for the logs. */
  onOpened?: (name: string) => void
  onClosed?: (name: string) => void
}

/** How a room is found for a command: an open one only, a video room opened by its first join, or a private
 * conversation opened for its members. */
export type Lookup = 'find' | 'open' | 'conversation'

/** A command that comes from a client's connection. */
export type ConnCommand = Extract<RoomCommand, { conn: unknown }>

/**
 * Where the edge hands a command for a room. One node: the room is here (RoomRegistry). A cluster: the room is on
 * its owner node, wherever the socket is (src/cluster/relay.ts); either way the room decides, and a room that does
 * not exist answers through `missing`.
 */
export interface RoomRouter {
  readonly maxCallMembers: number | undefined
  deliver(name: string, lookup: Lookup, command: ConnCommand): void
}

/** The answer for a command whose room does not exist (no open room, video rooms not configured). */
export type Missing = (name: string, lookup: Lookup, command: ConnCommand) => void

export class RoomRegistry {
  private readonly rooms = new Map<string, Room>()
  private readonly closedListeners: Array<(name: string) => void> = []

  constructor(
    private readonly deps: RoomDeps,
    private readonly video?: VideoRoomOptions,
  ) {
    this.rooms.set(GLOBAL_ROOM, new Room(GLOBAL_ROOM, deps))
  }

  get global(): Room {
    return this.rooms.get(GLOBAL_ROOM)!
  }

  /** Places in a video room's call; undefined when video rooms are not configured. */
  get maxCallMembers(): number | undefined {
    return this.video?.call.limits.maxMembers
  }

  /** The room with that name, if it is open. */
  find(name: string): Room | undefined {
    return this.rooms.get(name)
  }

  /** The video room with that name, created if it is not open. Undefined when video rooms are not configured. */
  open(name: string): Room | undefined {
    const existing = this.rooms.get(name)
    if (existing || !this.video) return existing
    const video = this.video
    const room: Room = new Room(name, this.deps, {
      call: video.call,
      emptyGraceMs: video.emptyGraceMs,
      closed: (closing) => {
        if (this.rooms.get(name) !== closing) return
        this.rooms.delete(name)
        video.onClosed?.(name)
        for (const listener of this.closedListeners) listener(name)
      },
      redirect: (command: RoomCommand) => this.open(name)?.tell(command),
    })
    this.rooms.set(name, room)
    video.onOpened?.(name)
    return room
  }

  /** The actor of a private conversation (`dm:<id>`), opened if needed; it decides who may read it. Undefined when
   * the name is not a conversation's, or too many are open. */
  openConversation(name: string): Room | undefined {
    const existing = this.rooms.get(name)
    const id = conversationIdOf(name)
    if (existing || id === undefined) return existing
    if (this.conversations >= MAX_OPEN_CONVERSATIONS) return undefined
    this.conversations++
    const room: Room = new Room(name, this.deps, {
      conversation: id,
      emptyGraceMs: CONVERSATION_IDLE_MS,
      closed: (closing) => {
        if (this.rooms.get(name) !== closing) return
        this.rooms.delete(name)
        this.conversations--
        for (const listener of this.closedListeners) listener(name)
      },
      redirect: (command: RoomCommand) => this.openConversation(name)?.tell(command),
    })
    this.rooms.set(name, room)
    return room
  }

  private conversations = 0

  /** Called with the name of each room that closes (empty past its grace period). */
  whenClosed(listener: (name: string) => void): void {
    this.closedListeners.push(listener)
  }

  /** The room for a command, if it exists or the lookup may open it. */
  lookup(name: string, lookup: Lookup): Room | undefined {
    return lookup === 'open' ? this.open(name) : lookup === 'conversation' ? this.openConversation(name) : this.find(name)
  }

  /** Takes the room out of this node without ending it (its owner is now another node): what is pending is
   * written, its media closed, and it is forgotten here. Its chat stays. */
  async retire(name: string): Promise<void> {
    const room = this.rooms.get(name)
    if (!room) return
    // The global chat stays open on every node (empty here until it is this node's again).
    if (name !== GLOBAL_ROOM) {
      this.rooms.delete(name)
      if (conversationIdOf(name) !== undefined) this.conversations--
    }
    await room.retire()
  }

  all(): Room[] {
    return [...this.rooms.values()]
  }

  /** Writes every room's pending messages; for shutdown. */
  async close(): Promise<void> {
    await Promise.all(this.all().map((room) => room.close()))
  }
}

/** One node: every room is here. */
export class LocalRouter implements RoomRouter {
  constructor(
    private readonly registry: RoomRegistry,
    private readonly missing: Missing,
  ) {}

  get maxCallMembers(): number | undefined {
    return this.registry.maxCallMembers
  }

  deliver(name: string, lookup: Lookup, command: ConnCommand): void {
    const room = this.registry.lookup(name, lookup)
    if (room) room.tell(command)
    else this.missing(name, lookup, command)
  }
}
