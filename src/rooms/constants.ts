// The protocol's plain constants, in a module without dependencies, so the web client can import them without
// pulling the schema library into its bundle.

/** Bumped on any incompatible change; the server announces it in `hello`. */
export const PROTOCOL_VERSION = 3

/** The room everyone logged in shares. */
export const GLOBAL_ROOM = 'global'
/** Room names: what a URL can carry without escaping. */
export const ROOM_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'
/** Longest chat message, in Unicode code points (an emoji with modifiers counts as several). */
export const MAX_MESSAGE_LENGTH = 4000
export const HISTORY_PAGE = 50
export const MAX_HISTORY_PAGE = 100
/** Longest chat message in bytes of UTF-8, besides its length in code points. */
export const MAX_MESSAGE_BYTES = 12_000
/** Text in one page of history or catch-up; a page stops before it goes over (it always holds one message). */
export const MAX_PAGE_BYTES = 256 * 1024
