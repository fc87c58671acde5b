// /ws: the one authenticated WebSocket per client. The edge parses and validates each frame, answers a bad one with
// an error frame, and hands valid ones to the room they name. It holds no room state of its own.
import { Elysia } from 'elysia'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { randomUUID } from 'node:crypto'
import {
  ClientMessage,
  CloseCode,
  GLOBAL_ROOM,
  isConversationRoom,
  MAX_MESSAGE_LENGTH,
  PROTOCOL_VERSION,
  type ServerMessage,
} from '../../rooms/protocol'
import type { Connection } from '../../rooms/connection'
import type { ConnCommand, RoomRouter } from '../../rooms/registry'
import { TokenBucket } from '../../rooms/token-bucket'
import { authentication, type SessionDeps } from '../auth/session'
import { ApiError } from '../errors'
import type { Logger } from '../log'
import type { LiveSockets } from './live-sockets'
import type { Moderation, Role } from '../../rooms/moderation'
import type { Inbox } from '../../rooms/inbox'
import { userTopic } from '../../rooms/wire'
import { isUnavailable } from '../../db/errors'

type Variant = { properties: { type: { const: string } } }
// TypeBox collapses a one-member union to the member itself.
const variants: Variant[] = (ClientMessage as { anyOf?: Variant[] }).anyOf ?? [ClientMessage as unknown as Variant]
// One compiled check per frame type: a bad frame is reported against the shape its own type promises.
const checkByType = new Map(
  variants.map((variant) => [variant.properties.type.const, TypeCompiler.Compile(variant as never)] as const),
)

/** room.peek asks per socket in a burst, and per second after it (a pre-join screen asks every few seconds). */
const PEEK_BURST = 10
const PEEKS_PER_SECOND = 1

/** Rooms a socket's close is told to. A user is in at most ROOMS_PER_USER rooms (the rooms refuse the rest): past
 * this many names, the oldest is let go at once (told the socket left it, if it was in it at all). */
const MAX_SOCKET_ROOMS = 64

/** Invalid frames tolerated per connection before it is closed, so a broken or hostile client cannot spin us. */
const MAX_BAD_FRAMES = 50

type Outcome = { ok: true; message: ClientMessage } | { ok: false; code: string; message: string; about?: string; ref?: string }

/** Elysia hands text frames over already JSON-parsed when they look like JSON; anything else arrives raw. */
function decodeFrame(raw: unknown): Outcome {
  let value = raw
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw)
    } catch {
      return { ok: false, code: 'malformed_frame', message: 'frames must be JSON objects' }
    }
  } else if (raw instanceof Uint8Array || raw instanceof ArrayBuffer) {
    return { ok: false, code: 'unsupported_frame', message: 'binary frames are not part of the protocol' }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'malformed_frame', message: 'frames must be JSON objects' }
  }
  const type = (value as { type?: unknown }).type
  if (typeof type !== 'string') return { ok: false, code: 'invalid_message', message: 'frame has no "type"' }
  const check = checkByType.get(type)
  if (!check) return { ok: false, code: 'unknown_type', message: `unknown frame type "${type.slice(0, 40)}"` }
  if (check.Check(value)) return { ok: true, message: value as ClientMessage }
  const first = check.Errors(value).First()
  // The request id (SFU) or the message's client id (chat), when readable, so the sender can match the error.
  const { req, clientId } = value as { req?: unknown; clientId?: unknown }
  const ref = [req, clientId].find((r): r is string => typeof r === 'string' && r.length > 0 && r.length <= 64)
  return {
    ok: false,
    code: 'invalid_message',
    about: type,
    ...(ref ? { ref } : {}),
    message: `invalid "${type}" frame${first ? `: ${first.path || '/'} ${first.message}` : ''}`,
  }
}

/** Per-socket state the edge keeps: the room-facing connection and what it joined. */
interface SocketState {
  conn: Connection
  sessionId: string
  /** Names of the rooms this socket joined (chat or call); told when it closes. */
  rooms: Set<string>
  frames: TokenBucket
  /** room.peek asks (the pre-join screen polls who is in a room). */
  peeks: TokenBucket
  badFrames: number
  lastThrottleNotice: number
  /** Closed because a room of it moved to another node: its calls keep their places for it to come back. */
  moved?: boolean
}

export interface SocketDeps extends SessionDeps {
  log: Logger
  router: RoomRouter
  liveSockets: LiveSockets
  /** Frames per socket per second, in bursts of twice that; beyond it frames are dropped with an error frame. */
  framesPerSecond: number
  /** Open sockets one user may have, and the server as a whole. */
  maxSocketsPerUser: number
  maxSockets: number
  moderation?: Moderation
  inbox: Inbox
  /** How long an author may edit a message (announced in hello, so the client offers Edit only while it works). */
  editWindowSeconds: number
  /** Cluster mode: sockets counted across nodes and reachable from the rooms' owners. */
  cluster?: EdgeCluster
}

export interface EdgeCluster {
  readonly nodeId: string
  /** False while the node drains: no new socket. */
  readonly accepting: boolean
  /** The user's open sockets on every node (`here` of them on this one). */
  socketsOf(userId: number, here: number): Promise<number>
  opened(conn: Connection, close: (code: number, reason: string) => void): void
  closed(conn: Connection): void
}

/** A socket whose unsent bytes pass this gets no more frames until it reads; one that stays over it for
 * LAGGING_CLOSE_MS is cut off (it reconnects and catches up from the database, like after any drop). */
export const SEND_BUFFER_LIMIT = 1024 * 1024
const LAGGING_CLOSE_MS = 10_000

export const socketRoute = (deps: SocketDeps) => {
  const states = new WeakMap<object, SocketState>()

  const remember = (state: SocketState, room: string) => {
    state.rooms.delete(room)
    state.rooms.add(room)
    if (state.rooms.size <= MAX_SOCKET_ROOMS) return
    const oldest = state.rooms.values().next().value!
    state.rooms.delete(oldest)
    deps.router.deliver(oldest, 'find', { kind: 'disconnected', conn: state.conn, dropped: false })
  }

  const dispatch = (state: SocketState, message: ClientMessage) => {
    const { conn } = state
    if (message.type === 'ping') return conn.send({ type: 'pong', nonce: message.nonce, serverTime: Date.now() })
    // What concerns the person across their chats (read state, search) is the inbox's; it answers its own errors.
    const inboxFailed = (about: string, ref?: string) => (error: unknown) => {
      deps.log.error({ err: error, about }, 'inbox error')
      const unavailable = isUnavailable(error)
      conn.send({
        type: 'error',
        code: unavailable ? 'unavailable' : 'internal',
        message: unavailable ? 'the chat history is unavailable right now; try again in a moment' : 'that request could not be handled',
        about,
        ...(ref ? { ref } : {}),
      })
    }
    if (message.type === 'chat.unread') return void deps.inbox.unread(conn).catch(inboxFailed(message.type))
    if (message.type === 'chat.read') return void deps.inbox.read(conn, message).catch(inboxFailed(message.type))
    if (message.type === 'chat.search' && (message.room === undefined || message.room === GLOBAL_ROOM || isConversationRoom(message.room))) {
      return void deps.inbox.search(conn, message).catch(inboxFailed(message.type, message.req))
    }
    if ((message.type === 'room.peek' || message.type === 'room.join') && message.room === GLOBAL_ROOM) {
      return conn.send({ type: 'error', code: 'not_a_call', message: 'the global chat has no call', room: message.room, about: message.type })
    }
    if (message.type === 'room.peek') {
      const verdict = state.peeks.take()
      if (!verdict.ok) {
        return conn.send({ type: 'error', code: 'rate_limited', message: 'asking who is in a room too often; wait a moment', retryAfterMs: verdict.retryAfterMs, room: message.room, about: message.type })
      }
      if (deps.router.maxCallMembers === undefined) return conn.send({ type: 'error', code: 'unknown_room', message: 'video rooms are not enabled', room: message.room, about: message.type })
      return deps.router.deliver(message.room, 'find', { kind: 'call.peek', conn })
    }
    if (message.type === 'room.join') {
      remember(state, message.room)
      return deps.router.deliver(message.room, 'open', { kind: 'call.join', conn, frame: message })
    }
    // Every frame left names its room.
    if (!('room' in message) || message.room === undefined) return
    const lookup = message.type === 'chat.join' && isConversationRoom(message.room) ? 'conversation' : 'find'
    const deliver = (command: ConnCommand) => deps.router.deliver(message.room!, lookup, command)
    switch (message.type) {
      case 'chat.join':
        remember(state, message.room)
        return deliver({ kind: 'join', conn, after: message.after, changedSince: message.changedSince })
      case 'chat.leave':
        return deliver({ kind: 'leave', conn })
      case 'room.leave':
        return deliver({ kind: 'call.leave', conn })
      case 'room.media':
        return deliver({ kind: 'call.media', conn, frame: message })
      case 'room.signal':
        return deliver({ kind: 'call.signal', conn, frame: message })
      case 'room.ice':
        return deliver({ kind: 'call.ice', conn })
      case 'room.hand':
        return deliver({ kind: 'call.hand', conn, frame: message })
      case 'room.react':
        return deliver({ kind: 'call.react', conn, frame: message })
      case 'room.kick':
      case 'room.mute':
      case 'room.mute-all':
      case 'room.lock':
      case 'room.admit':
      case 'room.deny':
      case 'room.end':
      case 'room.host':
        return deliver({ kind: 'call.host', conn, frame: message })
      default:
        // Every sfu.* request (the only frames left): the call answers each.
        return deliver({ kind: 'call.sfu', conn, frame: message })
      case 'chat.history':
        return deliver({ kind: 'history', conn, frame: message })
      case 'chat.send':
        return deliver({ kind: 'send', conn, frame: message })
      case 'chat.typing':
        return deliver({ kind: 'typing', conn, typing: message.typing })
      case 'chat.react':
        return deliver({ kind: 'react', conn, frame: message })
      case 'chat.delete':
        return deliver({ kind: 'remove', conn, frame: message })
      case 'chat.edit':
        return deliver({ kind: 'edit', conn, frame: message })
      case 'chat.search':
        return deliver({ kind: 'search', conn, frame: message })
    }
  }

  return new Elysia().use(authentication(deps)).ws('/ws', {
    auth: true,
    // Refused before the upgrade, with a status a client can read.
    async beforeHandle({ user }) {
      if (deps.cluster && !deps.cluster.accepting) {
        throw new ApiError(503, 'server_draining', 'this server is restarting; connect again', { 'retry-after': '1' })
      }
      const here = deps.liveSockets.countFor(user.id)
      const everywhere = deps.cluster ? await deps.cluster.socketsOf(user.id, here) : here
      if (Math.max(here, everywhere) >= deps.maxSocketsPerUser) {
        throw new ApiError(429, 'too_many_connections', `at most ${deps.maxSocketsPerUser} connections per user; close a tab or device first`)
      }
      if (deps.liveSockets.count() >= deps.maxSockets) {
        throw new ApiError(503, 'server_full', 'the server holds as many connections as it can; try again later', { 'retry-after': '30' })
      }
    },
    open(ws) {
      const { user, sessionId } = ws.data
      const raw = ws.raw
      // Bun's socket has it (bun-types declares it on Bun's own ServerWebSocket, not on the one Elysia passes).
      const buffered = () => (raw as unknown as { getBufferedAmount(): number }).getBufferedAmount()
      let laggingSince = 0
      const conn: Connection = {
        id: randomUUID(),
        user: { id: user.id, username: user.username },
        send: (frame: ServerMessage) => {
          if (raw.readyState !== 1) return
          if (buffered() > SEND_BUFFER_LIMIT) {
            // The client is not reading: what it misses it fetches when it reconnects.
            const now = Date.now()
            if (laggingSince === 0) laggingSince = now
            else if (now - laggingSince > LAGGING_CLOSE_MS) raw.terminate()
            return
          }
          laggingSince = 0
          raw.send(JSON.stringify(frame))
        },
        subscribe: (topic) => raw.subscribe(topic),
        unsubscribe: (topic) => {
          // Unsubscribing a socket that is already closing throws in Bun; it is unsubscribed anyway.
          if (raw.readyState === 1) raw.unsubscribe(topic)
        },
      }
      const state: SocketState = {
        conn,
        sessionId,
        rooms: new Set(),
        frames: new TokenBucket(deps.framesPerSecond * 2, deps.framesPerSecond),
        peeks: new TokenBucket(PEEK_BURST, PEEKS_PER_SECOND),
        badFrames: 0,
        lastThrottleNotice: 0,
      }
      states.set(raw, state)
      deps.liveSockets.add(sessionId, user.id, raw)
      deps.cluster?.opened(conn, (code, reason) => {
        state.moved = true
        raw.close(code, reason)
      })
      // What concerns this person alone (their conversations' activity, mentions, read state) reaches every socket.
      raw.subscribe(userTopic(user.id))
      // The rooms enforce roles and chat mutes from here on; the row was read just now, with the session.
      deps.moderation?.setRole(user.id, user.role as Role)
      deps.moderation?.setMute(user.id, user.chatMutedUntil?.getTime())
      conn.send({
        type: 'hello',
        protocol: PROTOCOL_VERSION,
        user: conn.user,
        limits: { maxMessageLength: MAX_MESSAGE_LENGTH, editWindowSeconds: deps.editWindowSeconds },
        ...(deps.cluster ? { node: deps.cluster.nodeId } : {}),
      })
      deps.log.debug({ event: 'ws.open', userId: user.id, conn: conn.id }, 'socket opened')
    },
    message(ws, raw) {
      const state = states.get(ws.raw)
      if (!state) return
      const { conn } = state
      if (!state.frames.take().ok) {
        const now = Date.now()
        if (now - state.lastThrottleNotice > 1000) {
          state.lastThrottleNotice = now
          conn.send({ type: 'error', code: 'rate_limited', message: 'too many frames; some were dropped', retryAfterMs: 1000 })
        }
        return
      }
      const decoded = decodeFrame(raw)
      if (!decoded.ok) {
        const { code, message, about, ref } = decoded
        conn.send({ type: 'error', code, message, ...(about ? { about } : {}), ...(ref ? { ref } : {}) })
        if (++state.badFrames > MAX_BAD_FRAMES) ws.close(CloseCode.policyViolation, 'too many invalid frames')
        return
      }
      dispatch(state, decoded.message)
    },
    close(ws, code) {
      const state = states.get(ws.raw)
      if (!state) return
      states.delete(ws.raw)
      deps.liveSockets.remove(state.sessionId, ws.raw)
      // 1006: the connection died without a close frame (a network drop, a killed tab); a call member then
      // keeps its place for a while to come back. Any deliberate close (1000, 1001 on unload, ours) leaves at once.
      const dropped = code === 1006 || state.moved === true
      for (const name of state.rooms) deps.router.deliver(name, 'find', { kind: 'disconnected', conn: state.conn, dropped })
      deps.cluster?.closed(state.conn)
      deps.log.debug({ event: 'ws.close', userId: state.conn.user.id, conn: state.conn.id }, 'socket closed')
    },
  })
}
