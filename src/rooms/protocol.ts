// The one WebSocket protocol, shared by the server (which validates every client frame against these schemas at
// the edge) and the web client (which imports the types). Each frame is a JSON object with a `type` discriminant.
import { t, type Static, type TSchema } from 'elysia'

export {
  PROTOCOL_VERSION,
  GLOBAL_ROOM,
  ROOM_NAME_PATTERN,
  CHAT_ROOM_PATTERN,
  MAX_MESSAGE_LENGTH,
  MAX_MESSAGE_BYTES,
  MAX_PAGE_BYTES,
  HISTORY_PAGE,
  MAX_HISTORY_PAGE,
  CALL_REACTIONS,
  isConversationRoom,
} from './constants'
import { CALL_REACTIONS, ROOM_NAME_PATTERN, CHAT_ROOM_PATTERN, MAX_MESSAGE_LENGTH, MAX_HISTORY_PAGE, MAX_SEARCH_LENGTH } from './constants'

/** A video room (calls and SFU frames). */
const room = t.String({ pattern: ROOM_NAME_PATTERN })
/** Any chat (chat frames): a video room's, the global one, or a private conversation's (`dm:<id>`). */
const chatRoom = t.String({ pattern: CHAT_ROOM_PATTERN })
/** A call member's id: stable for one page's stay in a room, across reconnects of its socket. */
const memberId = t.String({ minLength: 1, maxLength: 64 })
/** Longest session description accepted for relay (a 4-track offer is about 10 KB). */
export const MAX_SDP_LENGTH = 48 * 1024
const mediaState = t.Object(
  {
    camera: t.Boolean(),
    mic: t.Boolean(),
    screen: t.Boolean(),
  },
  { additionalProperties: false },
)
const nullable = <T extends TSchema>(schema: T) => t.Union([schema, t.Null()])
const description = t.Object(
  { type: t.Union([t.Literal('offer'), t.Literal('answer')]), sdp: t.String({ minLength: 1, maxLength: MAX_SDP_LENGTH }) },
  { additionalProperties: false },
)
/** RTCIceCandidate.toJSON(); an empty `candidate` marks the end of candidates. */
const candidate = t.Object(
  {
    candidate: t.String({ maxLength: 1024 }),
    sdpMid: t.Optional(nullable(t.String({ maxLength: 64 }))),
    sdpMLineIndex: t.Optional(nullable(t.Integer({ minimum: 0, maximum: 255 }))),
    usernameFragment: t.Optional(nullable(t.String({ maxLength: 256 }))),
  },
  { additionalProperties: false },
)
const messageId = t.Integer({ minimum: 1 })
const strict = { additionalProperties: false }

/** Frames a client may send. */
/** A client-chosen id for an SFU request; the answer (or the error, as `ref`) carries it back. */
const req = t.String({ minLength: 1, maxLength: 64 })
const mediasoupId = t.String({ minLength: 1, maxLength: 64 })
// mediasoup's own structures are checked in depth by mediasoup (its errors become error frames); here only their
// outline, so a frame of the wrong shape is refused with the field named.
const loose = { additionalProperties: true }
const dtlsParameters = t.Object(
  {
    role: t.Optional(t.Union([t.Literal('auto'), t.Literal('client'), t.Literal('server')])),
    fingerprints: t.Array(t.Object({ algorithm: t.String({ maxLength: 32 }), value: t.String({ maxLength: 256 }) }, { additionalProperties: false }), {
      minItems: 1,
      maxItems: 8,
    }),
  },
  { additionalProperties: false },
)
const rtpParameters = t.Object({ codecs: t.Array(t.Object({ mimeType: t.String({ maxLength: 64 }) }, loose), { minItems: 1, maxItems: 32 }) }, loose)
const rtpCapabilities = t.Object({ codecs: t.Optional(t.Array(t.Object({ mimeType: t.String({ maxLength: 64 }) }, loose), { maxItems: 64 })) }, loose)
export const SOURCES = ['mic', 'camera', 'screen'] as const

export const ClientMessage = t.Union([
  t.Object({ type: t.Literal('ping'), nonce: t.Optional(t.String({ maxLength: 64 })) }, strict),
  // `after`: the last message id the client has; it receives exactly what came after. `changedSince`: the
  // `syncedAt` of its last chat.joined (or the newest change it saw since): it also receives the messages up to
  // `after` that were edited, removed or reacted to since then.
  t.Object(
    { type: t.Literal('chat.join'), room: chatRoom, after: t.Optional(t.Integer({ minimum: 0 })), changedSince: t.Optional(t.Integer({ minimum: 0 })) },
    strict,
  ),
  t.Object({ type: t.Literal('chat.leave'), room: chatRoom }, strict),
  // One of: `before` an id (older), `after` an id (newer), `around` an id (a search hit in its context).
  t.Object(
    {
      type: t.Literal('chat.history'),
      room: chatRoom,
      before: t.Optional(messageId),
      after: t.Optional(t.Integer({ minimum: 0 })),
      around: t.Optional(messageId),
      limit: t.Optional(t.Integer({ minimum: 1, maximum: MAX_HISTORY_PAGE })),
    },
    strict,
  ),
  t.Object(
    {
      type: t.Literal('chat.send'),
      room: chatRoom,
      clientId: t.String({ minLength: 1, maxLength: 64 }),
      // UTF-16 units; the code point limit is checked by the room with a clearer error.
      text: t.String({ maxLength: MAX_MESSAGE_LENGTH * 2 }),
      // A vault file attached: a share of the sender's own (POST /api/vault/files/:id/shares { "chat": true }).
      attachment: t.Optional(t.Object({ shareId: t.String({ minLength: 1, maxLength: 64 }) }, strict)),
      // The message this one answers, in the same room.
      replyTo: t.Optional(messageId),
    },
    strict,
  ),
  // Your own message, within the edit window (CHAT_EDIT_WINDOW_SECONDS).
  t.Object({ type: t.Literal('chat.edit'), room: chatRoom, messageId, text: t.String({ maxLength: MAX_MESSAGE_LENGTH * 2 }) }, strict),
  t.Object({ type: t.Literal('chat.typing'), room: chatRoom, typing: t.Boolean() }, strict),
  // You read `room` up to `messageId` (a smaller id than before marks the rest unread again). Every tab and device
  // of yours gets the new chat.unread.
  t.Object({ type: t.Literal('chat.read'), room: chatRoom, messageId: t.Integer({ minimum: 0 }) }, strict),
  // Unread counts of the global chat and your conversations (answered with chat.unread).
  t.Object({ type: t.Literal('chat.unread') }, strict),
  // Full-text search over the chats you may read (all of them, or `room`), newest first.
  t.Object(
    {
      type: t.Literal('chat.search'),
      req,
      query: t.String({ minLength: 1, maxLength: MAX_SEARCH_LENGTH }),
      room: t.Optional(chatRoom),
      before: t.Optional(messageId),
    },
    strict,
  ),
  // Video rooms. `resume`: the member id this page had before its socket dropped; it keeps its place and its peer
  // connections if the room still holds it.
  t.Object({ type: t.Literal('room.join'), room, media: mediaState, resume: t.Optional(memberId) }, strict),
  t.Object({ type: t.Literal('room.leave'), room }, strict),
  t.Object({ type: t.Literal('room.media'), room, media: mediaState }, strict),
  // Hosts (a room's first member, whom hosts name, and every admin and moderator) run the call; anyone else who
  // sends these gets error `forbidden`.
  t.Object({ type: t.Literal('room.kick'), room, member: memberId }, strict),
  t.Object({ type: t.Literal('room.mute'), room, member: memberId, source: t.Union(SOURCES.map((s) => t.Literal(s))) }, strict),
  t.Object({ type: t.Literal('room.mute-all'), room }, strict),
  t.Object({ type: t.Literal('room.lock'), room, locked: t.Boolean() }, strict),
  t.Object({ type: t.Literal('room.admit'), room, member: memberId }, strict),
  t.Object({ type: t.Literal('room.deny'), room, member: memberId }, strict),
  t.Object({ type: t.Literal('room.end'), room }, strict),
  t.Object({ type: t.Literal('room.host'), room, member: memberId }, strict),
  // Fresh ICE servers (TURN credentials expire): asked for when room.joined's iceRefreshInSeconds have passed.
  t.Object({ type: t.Literal('room.ice'), room }, strict),
  // Who is in a room's call now, by name (for the pre-join screen); answered with room.peek even when no call is open.
  t.Object({ type: t.Literal('room.peek'), room }, strict),
  // Raise or lower your own hand; hosts lower anyone's (`member`). The room keeps one queue, in the order raised.
  t.Object({ type: t.Literal('room.hand'), room, raised: t.Boolean(), member: t.Optional(memberId) }, strict),
  // An emoji that floats over your tile for everyone; one of CALL_REACTIONS, a few per second at most.
  t.Object({ type: t.Literal('room.react'), room, emoji: t.Union(CALL_REACTIONS.map((e) => t.Literal(e))) }, strict),
  // Exactly one of description or candidate; relayed to the one member named by `to`.
  t.Object(
    { type: t.Literal('room.signal'), room, to: memberId, description: t.Optional(description), candidate: t.Optional(candidate) },
    strict,
  ),
  // SFU signalling (rooms in SFU mode).
  t.Object(
    {
      type: t.Literal('sfu.transport'),
      room,
      req,
      direction: t.Union([t.Literal('send'), t.Literal('recv')]),
      rtpCapabilities: t.Optional(rtpCapabilities),
      // Plain RTP instead of WebRTC (scripted participants; only where the server allows it, SFU_PLAIN_RTP).
      plain: t.Optional(t.Boolean()),
    },
    strict,
  ),
  t.Object({ type: t.Literal('sfu.connect'), room, req, transportId: mediasoupId, dtlsParameters }, strict),
  t.Object(
    {
      type: t.Literal('sfu.produce'),
      room,
      req,
      transportId: mediasoupId,
      kind: t.Union([t.Literal('audio'), t.Literal('video')]),
      source: t.Union(SOURCES.map((s) => t.Literal(s))),
      rtpParameters,
    },
    strict,
  ),
  t.Object({ type: t.Literal('sfu.resume'), room, consumerId: mediasoupId }, strict),
  // What the receiver wants of one consumer: paused while its tile is hidden, else a spatial layer for its size.
  t.Object({ type: t.Literal('sfu.view'), room, consumerId: mediasoupId, paused: t.Boolean(), spatialLayer: t.Optional(t.Integer({ minimum: 0, maximum: 2 })) }, strict),
  t.Object(
    { type: t.Literal('sfu.producer'), room, producerId: mediasoupId, action: t.Union([t.Literal('pause'), t.Literal('resume'), t.Literal('close')]) },
    strict,
  ),
  t.Object({ type: t.Literal('sfu.restart-ice'), room, req, transportId: mediasoupId }, strict),
  // The members whose camera this page wants whatever the speakers do (its pinned tiles), a few at most.
  t.Object({ type: t.Literal('sfu.pin'), room, members: t.Array(memberId, { maxItems: 8 }) }, strict),
  // This page is done with the SFU (the room went back to mesh and every peer connection is up).
  t.Object({ type: t.Literal('sfu.leave'), room }, strict),
  t.Object(
    { type: t.Literal('chat.react'), room: chatRoom, messageId, emoji: t.String({ minLength: 1, maxLength: 32 }), on: t.Boolean() },
    strict,
  ),
  // Removes a message: your own, or anyone's for a moderator or an admin.
  t.Object({ type: t.Literal('chat.delete'), room: chatRoom, messageId }, strict),
])
export type ClientMessage = Static<typeof ClientMessage>
export type ClientMessageOf<T extends ClientMessage['type']> = Extract<ClientMessage, { type: T }>
/** The SFU requests (`sfu.*`), which the edge hands to the room's call as they are. */
export type SfuRequest = Extract<ClientMessage, { type: `sfu.${string}` }>
/** What only a call's hosts may send. */
export type HostRequest = Extract<
  ClientMessage,
  { type: 'room.kick' | 'room.mute' | 'room.mute-all' | 'room.lock' | 'room.admit' | 'room.deny' | 'room.end' | 'room.host' }
>

export interface UserRef {
  id: number
  username: string
}

export interface ReactionSummary {
  emoji: string
  count: number
  userIds: number[]
}

export interface ChatMessage {
  id: number
  author: UserRef
  text: string
  /** Server time, ms since the epoch. */
  at: number
  /** Absent when the message has none (every frame is fanned out to the whole room, so it stays small). */
  reactions?: ReactionSummary[]
  /** Removed by its author or a moderator: `text` is empty. */
  removed?: true
  /** A vault file the author attached; `live` false once its share was revoked or its file deleted. Members open it
   * at /api/chat/attachments/<shareId>/content. */
  attachment?: ChatAttachment
  /** The message this one answers, as it is now. */
  replyTo?: MessageQuote
  /** When its author last edited it (server time). */
  editedAt?: number
  /** The people it names with @username who may read the room (resolved when it was stored or edited). */
  mentions?: UserRef[]
}

/** The start of a message another one answers; `removed` when it was removed (or no longer exists: no author). */
export interface MessageQuote {
  id: number
  author?: UserRef
  excerpt: string
  removed?: true
}

/** Where you stopped reading a chat, and what is unread after it (each counted up to UNREAD_COUNT_CAP). */
export interface UnreadState {
  room: string
  lastReadId: number
  unread: number
  mentions: number
}

export interface SearchHit {
  room: string
  message: ChatMessage
}

export interface ChatAttachment {
  shareId: string
  name: string
  size: number
  contentType: string
  live: boolean
}

/** A message as it goes live. `clientId` is the sender's own id for it: to the sender, receiving it is the
 * acknowledgement; to everyone else it is an opaque token. */
export interface LiveMessage extends ChatMessage {
  clientId: string
}

export type MediaState = Static<typeof mediaState>
export type SessionDescription = Static<typeof description>
export type IceCandidate = Static<typeof candidate>

export type MediaSource = (typeof SOURCES)[number]
export type CallReaction = (typeof CALL_REACTIONS)[number]
export type MediaMode = 'mesh' | 'sfu'

/** How a room carries media now. `epoch` grows with every change (and every new router after a worker died), so a
 * client can tell a fresh SFU from the one it was using. */
export interface MediaModeInfo {
  mode: MediaMode
  epoch: number
  /** In SFU mode: the router's capabilities, for mediasoup-client's Device.load(). */
  routerRtpCapabilities?: unknown
}

/** As RTCIceServer. */
export interface IceServer {
  urls: string[]
  username?: string
  credential?: string
}

export type MemberConnection = 'connected' | 'reconnecting'

/** A call member as another member sees it. */
export interface CallMember {
  id: string
  user: UserRef
  media: MediaState
  connection: MemberConnection
  /** Perfect negotiation role of the receiver of this frame toward this member, decided by the server: in every
   * pair the member who joined later is polite (it yields when offers collide). */
  polite: boolean
  /** Runs the call: may kick, mute, lock, admit and end. */
  host: boolean
}

/** Someone knocking on a locked room. */
export interface Waiting {
  id: string
  user: UserRef
}

/** Frames the server sends. */
export type ServerMessage =
  /** `node`: in a cluster, the node holding this socket (shown in the connection details). */
  | { type: 'hello'; protocol: number; user: UserRef; limits: { maxMessageLength: number; editWindowSeconds: number }; node?: string }
  | { type: 'pong'; nonce?: string; serverTime: number }
  /** `ref` names the client id of the chat message the error is about, when there is one; `about` the type of the
   * frame it answers and `room` its room, when known. */
  | { type: 'error'; code: string; message: string; ref?: string; retryAfterMs?: number; room?: string; about?: string }
  | {
      type: 'chat.joined'
      room: string
      members: UserRef[]
      messages: ChatMessage[]
      hasMoreBefore: boolean
      hasMoreAfter: boolean
      /** Messages up to the catch-up's `after` changed since `changedSince`, as they are now. */
      changed?: ChatMessage[]
      /** More changed than one page: drop what you hold and join again without `after`. */
      resync?: true
      /** Server time of this snapshot: the `changedSince` of the next join. */
      syncedAt: number
    }
  | { type: 'chat.history'; room: string; direction: 'before' | 'after'; messages: ChatMessage[]; hasMore: boolean }
  /** A page around a message (a search hit): older and newer than it both may remain. */
  | { type: 'chat.history'; room: string; direction: 'around'; messages: ChatMessage[]; hasMore: boolean; hasMoreAfter: boolean; around: number }
  /** New messages, stored, in id order: everything one write batch committed, fanned out as one frame. */
  | { type: 'chat.messages'; room: string; messages: LiveMessage[] }
  /** The acknowledgement of a resend whose message was already stored (no new broadcast follows). */
  | { type: 'chat.ack'; room: string; clientId: string; id: number; at: number }
  | { type: 'chat.presence'; room: string; event: 'join' | 'leave'; user: UserRef }
  | { type: 'chat.typing'; room: string; user: UserRef; typing: boolean }
  | { type: 'chat.reactions'; room: string; messageId: number; reactions: ReactionSummary[]; at: number }
  /** A message was removed (by its author, or by a moderator: `by`). `at`: server time of the change. */
  | { type: 'chat.removed'; room: string; messageId: number; by: UserRef; at: number }
  /** Its author edited a message. */
  | { type: 'chat.edited'; room: string; messageId: number; text: string; editedAt: number; mentions?: UserRef[] }
  /** To you alone: a new message in one of your conversations, or one that mentions you anywhere you may read. */
  | { type: 'chat.activity'; room: string; messageId: number; author: UserRef; excerpt: string; mention: boolean }
  /** To you alone (every tab): where you stopped reading, per chat. */
  | { type: 'chat.unread'; rooms: UnreadState[] }
  /** The answer to chat.search, newest first; `hasMore`: ask again with `before` the last hit's id. */
  | { type: 'chat.search'; req: string; terms: string[]; hits: SearchHit[]; hasMore: boolean }
  /** You are in the call. `resumed`: the member id you asked to resume was kept (your peer connections stay). */
  | {
      type: 'room.joined'
      room: string
      self: string
      resumed: boolean
      members: CallMember[]
      iceServers: IceServer[]
      /** Ask for fresh ICE servers (room.ice) after this many seconds: the TURN credentials expire. Absent without TURN. */
      iceRefreshInSeconds?: number
      maxMembers: number
      /** You are a host; the room is locked (newcomers wait in the lobby); who waits (hosts only). */
      host: boolean
      locked: boolean
      lobby: Waiting[]
      media: MediaModeInfo
      /** Raised hands, member ids (yours too), earliest first. */
      hands: string[]
    }
  /** The answer to room.ice: the servers to use from now on, and when to ask again. */
  | { type: 'room.ice'; room: string; iceServers: IceServer[]; iceRefreshInSeconds?: number }
  | ({ type: 'room.mode'; room: string } & MediaModeInfo)
  | {
      type: 'sfu.transport'
      room: string
      req: string
      direction: 'send' | 'recv'
      id: string
      iceParameters?: unknown
      iceCandidates?: unknown
      dtlsParameters?: unknown
      /** A plain RTP transport: send RTP (and RTCP, muxed) to this address; it answers to where it came from. */
      plain?: { ip: string; port: number }
    }
  | { type: 'sfu.connected'; room: string; req: string; transportId: string }
  | { type: 'sfu.produced'; room: string; req: string; producerId: string }
  | { type: 'sfu.ice-restarted'; room: string; req: string; transportId: string; iceParameters: unknown }
  | {
      type: 'sfu.consumer'
      room: string
      member: string
      source: MediaSource
      consumerId: string
      producerId: string
      kind: 'audio' | 'video'
      rtpParameters: unknown
      producerPaused: boolean
    }
  | { type: 'sfu.consumer-closed'; room: string; consumerId: string }
  | { type: 'sfu.consumer-state'; room: string; consumerId: string; producerPaused: boolean }
  /** The member speaking loudest now (absent: nobody). */
  | { type: 'sfu.speaker'; room: string; member?: string }
  /** Everyone whose voice is above the speaking threshold now (from the SFU's audio levels). */
  | { type: 'sfu.speaking'; room: string; members: string[] }
  /** The members whose camera this page receives now (last-N: the latest speakers, its pins), and those whose
   * camera is on but not sent to this page (`withheld`): they show their name until they speak. */
  | { type: 'sfu.last-n'; room: string; members: string[]; withheld: string[] }
  /** The highest simulcast layer anyone receives of your camera; -1: nobody, stop sending it. */
  | { type: 'sfu.demand'; room: string; producerId: string; maxSpatialLayer: number }
  | { type: 'room.member-joined'; room: string; member: CallMember }
  | { type: 'room.member-left'; room: string; member: string }
  | { type: 'room.member-connection'; room: string; member: string; connection: MemberConnection }
  | { type: 'room.media'; room: string; member: string; media: MediaState }
  | { type: 'room.signal'; room: string; from: string; description?: SessionDescription; candidate?: IceCandidate }
  /** The room closed the call for you: you left, joined again elsewhere, or a host removed you (`code` kicked),
   * turned you away from the lobby (denied) or ended the call (ended); `by` is that host. */
  | { type: 'room.left'; room: string; reason: string; code?: 'kicked' | 'denied' | 'ended'; by?: UserRef }
  /** The room is locked: you wait in its lobby until a host admits you (then room.joined) or turns you away. */
  | { type: 'room.waiting'; room: string }
  /** To hosts: who waits in the lobby now. */
  | { type: 'room.lobby'; room: string; waiting: Waiting[] }
  | { type: 'room.locked'; room: string; locked: boolean; by: UserRef }
  | { type: 'room.member-host'; room: string; member: string; host: boolean }
  /** Who is in the call (names only, each person once), how many places it has, and whether it is locked. */
  | { type: 'room.peek'; room: string; people: string[]; members: number; maxMembers: number; locked: boolean }
  /** The raised hands now, earliest first; `by`: who raised or lowered the one that changed. */
  | { type: 'room.hands'; room: string; hands: string[]; by: UserRef }
  | { type: 'room.reaction'; room: string; member: string; emoji: CallReaction }
  /** A host turned off one of your sources; only you can turn it back on. */
  | { type: 'room.muted'; room: string; source: MediaSource; by: UserRef }

/** WebSocket close codes the server uses. */
export const CloseCode = {
  /** The server is shutting down; clients reconnect after a pause. */
  serverShutdown: 1001,
  /** A client that keeps sending invalid frames is disconnected. */
  policyViolation: 1008,
  /** The session behind the socket ended (logout or expiry); log in again. */
  sessionEnded: 4001,
  /** A room of this socket moved to another node (cluster mode): reconnect at once and join again. */
  moved: 1012,
} as const
