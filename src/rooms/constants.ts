// The protocol's plain constants, in a module without dependencies, so the web client can import them without
// pulling the schema library into its bundle.

/** Bumped on any incompatible change; the server announces it in `hello`. */
export const PROTOCOL_VERSION = 6

/** The room everyone logged in shares. */
export const GLOBAL_ROOM = 'global'
/** Room names: what a URL can carry without escaping. */
export const ROOM_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'
/** A private conversation's chat: `dm:<id>`. Video room names cannot take this shape (no colon), so the two never
 * meet. */
export const CONVERSATION_ROOM_PATTERN = '^dm:[1-9][0-9]{0,11}$'
/** Any chat: the global one, a video room's, or a conversation's. */
export const CHAT_ROOM_PATTERN = '^(?:[A-Za-z0-9][A-Za-z0-9_-]{0,63}|dm:[1-9][0-9]{0,11})$'
export const isConversationRoom = (room: string) => room.startsWith('dm:')
/** Most people in one private conversation, its starter included. */
export const MAX_CONVERSATION_MEMBERS = 8
/** Longest search query, in characters, and most words in it. */
export const MAX_SEARCH_LENGTH = 200
export const MAX_SEARCH_TERMS = 8
/** Unread messages are counted up to this; beyond it a room shows "999+". */
export const UNREAD_COUNT_CAP = 1000
/** Longest chat message, in Unicode code points (an emoji with modifiers counts as several). */
export const MAX_MESSAGE_LENGTH = 4000
export const HISTORY_PAGE = 50
export const MAX_HISTORY_PAGE = 100
/** Longest chat message in bytes of UTF-8, besides its length in code points. */
export const MAX_MESSAGE_BYTES = 12_000
/** Text in one page of history or catch-up; a page stops before it goes over (it always holds one message). */
export const MAX_PAGE_BYTES = 256 * 1024
/** The reactions a call offers (room.react). */
export const CALL_REACTIONS = ['👍', '👏', '😂', '😮', '❤️', '🎉'] as const
