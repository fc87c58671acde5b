// Finds a room actor by name. The global chat exists from start to shutdown; video rooms (a later issue) are
// created on first join and closed when empty.
import { Room, type RoomDeps } from './room'
import { GLOBAL_ROOM } from './protocol'

export class RoomRegistry {
  private readonly rooms = new Map<string, Room>()

  constructor(private readonly deps: RoomDeps) {
    this.rooms.set(GLOBAL_ROOM, new Room(GLOBAL_ROOM, deps))
  }

  get global(): Room {
    return this.rooms.get(GLOBAL_ROOM)!
  }

  /** The room with that name, if it is open. */
  find(name: string): Room | undefined {
    return this.rooms.get(name)
  }

  all(): Room[] {
    return [...this.rooms.values()]
  }

  /** Writes every room's pending messages; for shutdown. */
  async close(): Promise<void> {
    await Promise.all(this.all().map((room) => room.close()))
  }
}
