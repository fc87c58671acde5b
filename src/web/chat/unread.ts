// Where the person stopped reading the global chat and each of their conversations, as the server keeps it (so it is
// the same in every tab and on every device), plus what arrived since: the counts in the navigation, the "new
// messages" line, and a browser notification for a mention or a private message while the tab is hidden.
import { createSignal } from 'solid-js'
import { createStore } from 'solid-js/store'
import type { ServerMessage, UnreadState } from '../../rooms/protocol'
import { UNREAD_COUNT_CAP, isConversationRoom } from '../../rooms/constants'
import { onServerMessage, send } from '../socket/connection'
import { user } from '../auth/session'

const [rooms, setRooms] = createStore<Record<string, UnreadState>>({})
/** The chat on screen now (its messages are read as they arrive while the tab is visible). */
const [viewing, setViewing] = createSignal<string>()
const [permission, setPermission] = createSignal<NotificationPermission | 'unsupported'>(typeof Notification === 'undefined' ? 'unsupported' : Notification.permission)
/** Rooms the inbox does not know yet (a conversation someone just started with us): the conversation list reloads. */
const [unknownActivity, setUnknownActivity] = createSignal(0)
export { rooms as unreadRooms, viewing, setViewing, permission as notificationPermission, unknownActivity }

/** The page of a chat (the global one or a conversation), opened at a message. */
export const chatPath = (room: string, messageId: number) =>
  `${isConversationRoom(room) ? `/chat/dm/${room.slice('dm:'.length)}` : '/chat'}?message=${messageId}`

let openRoom: ((room: string, messageId: number) => void) | undefined

/** Where a notification's click takes the person (the shell's router). */
export function onNotificationClick(go: (room: string, messageId: number) => void) {
  openRoom = go
}

let askedAt = 0
const bump = (room: string, messageId: number, mention: boolean) => {
  const current = rooms[room]
  if (!current) {
    // A conversation someone just started with us: its read state (and the list, if the chat page is open) is
    // fetched again, at most every two seconds.
    if (Date.now() - askedAt > 2000) {
      askedAt = Date.now()
      send({ type: 'chat.unread' })
    }
    return setUnknownActivity((n) => n + 1)
  }
  if (messageId <= current.lastReadId) return
  setRooms(room, { unread: Math.min(UNREAD_COUNT_CAP, current.unread + 1), mentions: current.mentions + (mention ? 1 : 0) })
}

const onScreen = (room: string) => viewing() === room && document.visibilityState === 'visible'

function notify(title: string, body: string, room: string, messageId: number) {
  if (permission() !== 'granted' || document.visibilityState === 'visible') return
  const notification = new Notification(title, { body, tag: `${room}:${messageId}` })
  notification.onclick = () => {
    window.focus()
    openRoom?.(room, messageId)
    notification.close()
  }
}

function handle(frame: ServerMessage) {
  switch (frame.type) {
    case 'hello':
      send({ type: 'chat.unread' })
      return
    case 'chat.unread':
      for (const state of frame.rooms) setRooms(state.room, state)
      return
    case 'chat.activity': {
      const dm = isConversationRoom(frame.room)
      if (!onScreen(frame.room)) bump(frame.room, frame.messageId, frame.mention)
      if (frame.mention || dm) notify(frame.mention ? `${frame.author.username} mentioned you` : `${frame.author.username} wrote to you`, frame.excerpt, frame.room, frame.messageId)
      return
    }
    case 'chat.messages': {
      // The global chat is always joined, so its messages count here; a conversation's count by chat.activity
      // (which also covers mentions in the global chat: those are not counted twice).
      if (frame.room !== 'global' || onScreen('global')) return
      const me = user()?.id
      const mentionedIds = new Set<number>()
      for (const m of frame.messages) if (m.mentions?.some((u) => u.id === me)) mentionedIds.add(m.id)
      for (const m of frame.messages) if (m.author.id !== me && !mentionedIds.has(m.id)) bump('global', m.id, false)
      return
    }
  }
}
onServerMessage(handle)

/** The person read `room` up to `messageId` (only ever forward; markUnread goes back). */
export function markRead(room: string, messageId: number) {
  const current = rooms[room]
  if (!current || messageId <= current.lastReadId) return
  setRooms(room, { lastReadId: messageId, unread: 0, mentions: 0 })
  send({ type: 'chat.read', room, messageId })
}

/** Marks `messageId` and everything after it unread again. */
export function markUnread(room: string, messageId: number) {
  if (!rooms[room]) return
  send({ type: 'chat.read', room, messageId: messageId - 1 })
}

export function lastRead(room: string): number | undefined {
  return rooms[room]?.lastReadId
}

export const totals = () => {
  let unread = 0
  let mentions = 0
  for (const state of Object.values(rooms)) {
    unread += state.unread
    mentions += state.mentions
  }
  return { unread, mentions }
}

export const countLabel = (n: number) => (n >= UNREAD_COUNT_CAP ? '999+' : String(n))

/** Asks for permission to notify: only when the person asks for notifications (a button), never at page load. */
export async function askNotificationPermission() {
  if (typeof Notification === 'undefined') return
  setPermission(await Notification.requestPermission())
}
