// Room names as the server accepts them, new random names, and the rooms this browser joined recently.
import { ROOM_NAME_PATTERN, GLOBAL_ROOM } from '../../rooms/constants'

const pattern = new RegExp(ROOM_NAME_PATTERN)
const RECENT_KEY = 'partyroom.recentRooms'

export function validRoomName(name: string): boolean {
  return pattern.test(name) && name !== GLOBAL_ROOM
}

/** Three words' worth of randomness, easy to read out: "room-k3f9-x2qa". */
export function randomRoomName(): string {
  const part = () => Math.random().toString(36).slice(2, 6).padEnd(4, '0')
  return `room-${part()}-${part()}`
}

export function recentRooms(): string[] {
  try {
    const list = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]')
    return Array.isArray(list) ? list.filter((n): n is string => typeof n === 'string' && validRoomName(n)).slice(0, 8) : []
  } catch {
    return []
  }
}

export function rememberRoom(name: string) {
  localStorage.setItem(RECENT_KEY, JSON.stringify([name, ...recentRooms().filter((n) => n !== name)].slice(0, 8)))
}
