// What a client hears when the room its frame names does not exist: a room that is not open answers like an open
// one that this socket is not in, so nobody learns from the answer which rooms exist. On one node the edge answers;
// in a cluster, whichever node found the room missing (the socket's, or the owner's) answers the same.
import type { ConnCommand, Lookup } from '../../rooms/registry'

/** The client frame behind a command without one of its own. */
const ABOUT: Partial<Record<ConnCommand['kind'], string>> = {
  leave: 'chat.leave',
  'call.leave': 'room.leave',
  'call.ice': 'room.ice',
  typing: 'chat.typing',
  join: 'chat.join',
}

export function missingRoomAnswer(maxCallMembers: () => number | undefined) {
  return (name: string, lookup: Lookup, command: ConnCommand): void => {
    const { conn } = command
    if (command.kind === 'disconnected') return
    const frame = 'frame' in command ? (command.frame as { type: string; req?: string }) : undefined
    const about = frame?.type ?? ABOUT[command.kind] ?? command.kind
    if (command.kind === 'call.peek') {
      const maxMembers = maxCallMembers()
      if (maxMembers === undefined) return conn.send({ type: 'error', code: 'unknown_room', message: 'video rooms are not enabled', room: name, about })
      // No room open by that name: nobody is in it (and its call would start unlocked, with the default size).
      return conn.send({ type: 'room.peek', room: name, people: [], members: 0, maxMembers, locked: false })
    }
    if (lookup === 'open') return conn.send({ type: 'error', code: 'unknown_room', message: 'video rooms are not enabled', room: name, about })
    conn.send({ type: 'error', code: 'not_joined', message: `join the call in room "${name}" first`, room: name, about, ...(frame?.req ? { ref: frame.req } : {}) })
  }
}
