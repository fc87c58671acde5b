// Finds a room actor by name. The global chat exists from start to shutdown; a video room is created by its first
// join and forgotten when it closes (it closes itself once empty for a grace period).
import { Room, type RoomCommand, type RoomDeps } from './room'
import type { CallDeps } from './call'
import { GLOBAL_ROOM } from './protocol'

export interface VideoRoomOptions {
  call: CallDeps
  emptyGraceMs: number
  /** Room lifecycle, for the logs. */
  onOpened?: (name: string) => void
  onClosed?: (name: string) => void
}

export class RoomRegistry {
  private readonly rooms = new Map<string, Room>()

  constructor(
    private readonly deps: RoomDeps,
    private readonly video?: VideoRoomOptions,
  ) {
    this.rooms.set(GLOBAL_ROOM, new Room(GLOBAL_ROOM, deps))
  }

  get global(): Room {
    return this.rooms.get(GLOBAL_ROOM)!
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
      },
      redirect: (command: RoomCommand) => this.open(name)?.tell(command),
    })
    this.rooms.set(name, room)
    video.onOpened?.(name)
    return room
  }

  all(): Room[] {
    return [...this.rooms.values()]
  }

  /** Writes every room's pending messages; for shutdown. */
  async close(): Promise<void> {
    await Promise.all(this.all().map((room) => room.close()))
  }
}
