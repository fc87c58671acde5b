// A room actor: it owns who is in the room, their presence and the room's chat, and handles one command at a time
// from its mailbox. The global chat is a Room; video rooms add media state to the same actor.
import type { Moderation } from './moderation'
import { Actor } from './actor'
import type { Broadcaster, Connection } from './connection'
import { TokenBucket } from './token-bucket'
import { Call, type CallDeps } from './call'
import { UserQuotas, type Quotas, type Verdict } from './quotas'
import { cleanText } from '../text/clean'
import {
  HISTORY_PAGE,
  MAX_MESSAGE_BYTES,
  MAX_MESSAGE_LENGTH,
  MAX_PAGE_BYTES,
  type ChatMessage,
  type ClientMessageOf,
  type LiveMessage,
  type ChatAttachment,
  type ServerMessage,
  type SfuRequest,
  type UserRef,
  type HostRequest,
  type MessageQuote,
  GLOBAL_ROOM,
} from './protocol'
import { excerpt, type MessageStore, type NewMessage, type Quote, type StoredMessage } from '../db/messages'
import { MAX_MENTIONS, mentionedNames } from './mentions'
import { searchAnswer, toWire, userTopic, wireQuote } from './wire'
import { isUnavailable } from '../db/errors'

export interface RoomLimits {
  /** Chat messages a user may send in a burst, and per second after it, across all rooms. */
  messageBurst: number
  messagesPerSecond: number
  /** Rooms one user may be in at once (default: no practical limit). */
  maxRoomsPerUser?: number
  /** Typing and reaction frames a user may send in a burst, and per second after it. */
  signalBurst: number
  signalsPerSecond: number
  /** A user whose last connection left stays present this long, so a reload does not flash leave/join. */
  presenceGraceMs: number
  /** Messages sent to a reconnecting client in one go; it asks for the rest. */
  catchUpPage: number
  /** An author may edit a message this long after sending it. */
  editWindowMs: number
}

export interface RoomDeps {
  store: MessageStore
  broadcaster: Broadcaster
  limits: RoomLimits
  /** Budgets shared by all rooms; a room made alone (tests) gets its own. */
  quotas?: Quotas
  now?: () => number
  onError?: (error: unknown, context: string) => void
  /** Counts stored chat messages (metrics). */
  onStored?: (count: number) => void
  /** Roles and chat mutes; without it (tests of the chat alone) nobody is staff and nobody is muted. */
  moderation?: Moderation
  /** Resolves attached files: of each (author, share) pair, the shares that are the author's own and live. Without
   * it, a message with an attachment is refused. */
  attachments?: (wanted: Array<{ authorId: number; shareId: string }>) => Promise<Map<string, ChatAttachment>>
  /** Who is in a private conversation (a room `dm:<id>`); without it, conversations cannot be opened. */
  conversationMembers?: (id: number) => Promise<UserRef[]>
}

export type RoomCommand =
  | { kind: 'join'; conn: Connection; after?: number; changedSince?: number }
  | { kind: 'leave'; conn: Connection }
  | { kind: 'history'; conn: Connection; frame: ClientMessageOf<'chat.history'> }
  | { kind: 'send'; conn: Connection; frame: ClientMessageOf<'chat.send'> }
  | { kind: 'typing'; conn: Connection; typing: boolean }
  | { kind: 'react'; conn: Connection; frame: ClientMessageOf<'chat.react'> }
  | { kind: 'remove'; conn: Connection; frame: ClientMessageOf<'chat.delete'> }
  | { kind: 'edit'; conn: Connection; frame: ClientMessageOf<'chat.edit'> }
  | { kind: 'search'; conn: Connection; frame: ClientMessageOf<'chat.search'> }
  | { kind: 'flush' }
  | { kind: 'graceExpired'; userId: number }
  /** The socket closed: `dropped` when it went away without a clean close (its call member may come back). */
  | { kind: 'disconnected'; conn: Connection; dropped: boolean }
  | { kind: 'call.join'; conn: Connection; frame: ClientMessageOf<'room.join'> }
  | { kind: 'call.leave'; conn: Connection }
  | { kind: 'call.media'; conn: Connection; frame: ClientMessageOf<'room.media'> }
  | { kind: 'call.signal'; conn: Connection; frame: ClientMessageOf<'room.signal'> }
  | { kind: 'call.ice'; conn: Connection }
  | { kind: 'call.peek'; conn: Connection }
  | { kind: 'call.hand'; conn: Connection; frame: ClientMessageOf<'room.hand'> }
  | { kind: 'call.react'; conn: Connection; frame: ClientMessageOf<'room.react'> }
  | { kind: 'call.host'; conn: Connection; frame: HostRequest }
  | { kind: 'call.graceExpired'; memberId: string }
  | { kind: 'call.sfu'; conn: Connection; frame: SfuRequest }
  /** Work the call scheduled for itself (a mediasoup event, a timer), run inside the actor. */
  | { kind: 'call.step'; step: () => void | Promise<void> }
  | { kind: 'emptyCheck' }
  /** The room moves to another node: it stops here, keeping its chat. */
  | { kind: 'retire' }

/** A room that is not the global chat: a video room (a call) or a private conversation (its members). Either ends
 * once nobody is left; a video room's chat ends with it, a conversation's stays. */
export interface CallRoomOptions {
  call?: CallDeps
  /** A private conversation's id: only its members may join. */
  conversation?: number
  /** An empty room stays open this long before it closes (a quick reload or rejoin finds it as it was). */
  emptyGraceMs: number
  /** The room closed; the registry forgets it. */
  closed(room: Room): void
  /** A command that reached the room after it closed goes to whichever room now has the name. */
  redirect(command: RoomCommand): void
}

interface Presence {
  user: UserRef
  connections: Set<string>
  leaveTimer?: ReturnType<typeof setTimeout>
  signalBucket: TokenBucket
}

interface Pending {
  conn: Connection
  clientId: string
  /** The author's budget's answer, still on its way (cluster mode). */
  verdict?: Promise<Verdict>
  row: NewMessage
  /** Who it mentions, resolved when its batch is written (their ids go into `row.mentions`). */
  mentioned?: UserRef[]
}

/** The people a text mentions, of those resolved (by lower-cased name), each once, in the order it names them. */
function mentionedIn(text: string, named: ReadonlyMap<string, UserRef>): UserRef[] {
  const people = new Map<number, UserRef>()
  for (const name of mentionedNames(text)) {
    const person = named.get(name)
    if (person) people.set(person.id, person)
  }
  return [...people.values()]
}

/** The client frame behind each command, named in the error frames it causes. */
const ABOUT: Partial<Record<RoomCommand['kind'], string>> = {
  join: 'chat.join',
  leave: 'chat.leave',
  history: 'chat.history',
  send: 'chat.send',
  typing: 'chat.typing',
  react: 'chat.react',
  remove: 'chat.delete',
  edit: 'chat.edit',
  search: 'chat.search',
  'call.join': 'room.join',
  'call.leave': 'room.leave',
  'call.media': 'room.media',
  'call.signal': 'room.signal',
  'call.ice': 'room.ice',
  'call.peek': 'room.peek',
  'call.hand': 'room.hand',
  'call.react': 'room.react',
}

const SINGLE_EMOJI = /^\p{RGI_Emoji}$/v

/** "4 min", "2 h", "35 s": how long a mute lasts still. */
function formatLeft(ms: number): string {
  const s = Math.ceil(ms / 1000)
  if (s < 120) return `${s} s`
  if (s < 7200) return `${Math.ceil(s / 60)} min`
  return `${Math.ceil(s / 3600)} h`
}

const notInCall = (room: string) => `join the call in room "${room}" first`
/** What anyone outside a conversation hears of it, whether it exists or not. */
const NO_CONVERSATION = 'no such conversation'

/**
 * How many of `items`, from `from` on, go into one frame: at most `limit`, and no more than MAX_PAGE_BYTES of text
 * (each message counted with room for its other fields), so no frame (and no socket's send buffer) grows with the
 * size of the messages. At least one always fits.
 */
function fitting<T>(items: readonly T[], from: number, textOf: (item: T) => string, limit = Infinity): number {
  let bytes = 0
  let n = 0
  for (let i = from; i < items.length && n < limit; i++, n++) {
    bytes += Buffer.byteLength(textOf(items[i]!), 'utf8') + 200
    if (n > 0 && bytes > MAX_PAGE_BYTES) break
  }
  return n
}

/**
 * A page of stored messages cut to `limit` rows and to a frame's bytes. `rows` holds one row more than `limit` when
 * there are more; `keep` says which end of it the page keeps: the oldest (catching up forward) or the newest (the
 * latest, paging back). Returns the page and whether more remain beyond it.
 */
function fitPage(rows: StoredMessage[], limit: number, keep: 'oldest' | 'newest'): [StoredMessage[], boolean] {
  const ordered = keep === 'oldest' ? rows : [...rows].reverse()
  const page = ordered.slice(0, fitting(ordered, 0, (row) => row.text, limit))
  return [keep === 'oldest' ? page : page.reverse(), page.length < rows.length]
}

export class Room extends Actor<RoomCommand> {
  readonly topic: string
  private readonly members = new Map<string, Connection>()
  private readonly presence = new Map<number, Presence>()
  private pending: Pending[] = []
  private flushScheduled = false
  private readonly now: () => number
  /** Present in video rooms only; the global chat has none. */
  private readonly call: Call | undefined
  private emptyTimer: ReturnType<typeof setTimeout> | undefined
  private closed = false
  private retired = false
  private readonly quotas: Quotas
  /** A conversation's members, loaded on its first join (they never change). */
  private readers: Map<number, UserRef> | undefined

  constructor(
    readonly name: string,
    private readonly deps: RoomDeps,
    private readonly callOptions?: CallRoomOptions,
  ) {
    super()
    this.topic = `room:${name}`
    this.now = deps.now ?? Date.now
    this.quotas = deps.quotas ?? new UserQuotas({ ...deps.limits, maxRoomsPerUser: deps.limits.maxRoomsPerUser ?? Infinity }, this.now)
    if (callOptions?.call) {
      this.call = new Call(
        name,
        callOptions.call,
        (conn, code, message, extra) => this.refuse(conn, code, message, extra),
        (work) => this.tell(work.kind === 'graceExpired' ? { kind: 'call.graceExpired', memberId: work.memberId } : { kind: 'call.step', step: work.step }),
      )
    }
  }

  get isCall(): boolean {
    return this.call !== undefined
  }

  /** The call's members (for tests and metrics). */
  get callMembers() {
    return this.call?.list() ?? []
  }

  /** How the call carries media now (for tests and metrics). */
  /** The SFU's transports, producers and consumers per worker (read-only, for metrics). */
  get sfuCounts() {
    return this.call?.sfuCounts()
  }

  get mediaMode() {
    return this.call?.mediaMode
  }

  /** Users present right now (for tests and metrics). */
  get presentUsers(): UserRef[] {
    return [...this.presence.values()].map((p) => p.user)
  }

  protected failed(command: RoomCommand, error: unknown): void {
    this.deps.onError?.(error, `room ${this.name}: ${command.kind}`)
    if ('conn' in command) {
      // The database being away is not a bug: say so, and the same request works once it is back.
      const [code, message] = isUnavailable(error)
        ? ['unavailable', 'the chat history is unavailable right now; try again in a moment']
        : ['internal', 'the room could not handle that request']
      command.conn.send({ type: 'error', code, message, room: this.name, about: ABOUT[command.kind] })
    }
  }

  /** A call frame sent to a room without a call (the global chat, whose name is a valid video room name). */
  private noCall(conn: Connection) {
    this.refuse(conn, 'not_a_call', `room "${this.name}" has no call`)
  }

  /** The frame type of the command being handled, for error frames. */
  private about: string | undefined

  protected receive(command: RoomCommand): void | Promise<void> {
    this.about = command.kind === 'call.sfu' || command.kind === 'call.host' ? command.frame.type : ABOUT[command.kind]
    if (this.retired) return
    if (this.closed) {
      // Only a join can make sense of a closed room: it goes to the room that now carries the name.
      if (command.kind === 'call.join' || command.kind === 'join') return this.callOptions!.redirect(command)
      if ('conn' in command && command.kind !== 'disconnected' && command.kind !== 'leave' && command.kind !== 'call.leave') {
        return this.refuse(command.conn, 'not_joined', this.call ? notInCall(this.name) : `join room "${this.name}" first`)
      }
      return
    }
    switch (command.kind) {
      case 'disconnected':
        return this.disconnected(command.conn, command.dropped)
      case 'call.join':
        return this.callJoin(command.conn, command.frame)
      case 'call.leave':
        return this.callLeave(command.conn)
      case 'call.media':
        return this.call?.media(command.conn, command.frame.media)
      case 'call.signal':
        return this.call?.signal(command.conn, command.frame)
      case 'call.ice':
        return this.call?.ice(command.conn)
      case 'call.peek':
        if (!this.call) return this.noCall(command.conn)
        return command.conn.send({ type: 'room.peek', room: this.name, ...this.call.peek() })
      case 'call.hand':
        return this.call ? this.call.hand(command.conn, command.frame) : this.noCall(command.conn)
      case 'call.react':
        return this.call ? this.call.react(command.conn, command.frame) : this.noCall(command.conn)
      case 'call.host':
        return this.callHost(command.conn, command.frame)
      case 'call.graceExpired':
        return this.callGraceExpired(command.memberId)
      case 'call.sfu':
        return this.call?.sfuRequest(command.conn, command.frame)
      case 'call.step':
        return command.step()
      case 'emptyCheck':
        return this.emptyCheck()
      case 'retire':
        return this.retireNow()
      case 'join':
        return this.join(command.conn, command.after, command.changedSince)
      case 'leave':
        this.leave(command.conn)
        if (!this.call) this.checkEmpty()
        return
      case 'history':
        return this.history(command.conn, command.frame)
      case 'send':
        return this.send(command.conn, command.frame)
      case 'typing':
        return this.typing(command.conn, command.typing)
      case 'react':
        return this.react(command.conn, command.frame)
      case 'remove':
        return this.remove(command.conn, command.frame)
      case 'edit':
        return this.edit(command.conn, command.frame)
      case 'search':
        return this.search(command.conn, command.frame)
      case 'flush':
        return this.flush()
      case 'graceExpired':
        return this.graceExpired(command.userId)
    }
  }

  private publish(frame: ServerMessage) {
    this.deps.broadcaster.publish(this.topic, frame)
  }

  private refuse(conn: Connection, code: string, message: string, extra: { ref?: string; retryAfterMs?: number } = {}) {
    conn.send({ type: 'error', code, message, room: this.name, ...(this.about ? { about: this.about } : {}), ...extra })
  }

  /** A command from a connection that has not joined gets an error and nothing else. */
  private requireMember(conn: Connection, ref?: string): boolean {
    if (this.members.has(conn.id)) return true
    this.refuse(conn, 'not_joined', this.call ? notInCall(this.name) : `join room "${this.name}" first`, ref ? { ref } : {})
    return false
  }

  /** The user has a place here (present in the chat, or a member of the call): counted in their rooms. */
  private async enter(conn: Connection): Promise<boolean> {
    if (await this.quotas.enter(conn.user.id, this.name)) return true
    this.refuse(conn, 'too_many_rooms', `you are in ${this.quotas.maxRoomsPerUser} rooms already; leave one first`)
    return false
  }

  /** The user has no place here any more: it no longer counts among their rooms. */
  private release(userId: number) {
    if (this.presence.has(userId) || this.call?.hasUser(userId)) return
    this.quotas.exit(userId, this.name)
  }

  /** Whether this person may read the room: everyone the global chat, a call's members its chat, a conversation's
   * members the conversation. Refuses (with the answer that reveals nothing) when not. */
  private async mayRead(conn: Connection): Promise<boolean> {
    // A video room's chat belongs to its call: only members of the call read and write it.
    if (this.call && this.call.memberOf(conn) === undefined) {
      this.refuse(conn, 'not_joined', notInCall(this.name))
      return false
    }
    const id = this.callOptions?.conversation
    if (id !== undefined) {
      this.readers ??= new Map((await (this.deps.conversationMembers?.(id) ?? Promise.resolve([]))).map((u) => [u.id, u]))
      if (!this.readers.has(conn.user.id)) {
        this.refuse(conn, 'unknown_conversation', NO_CONVERSATION)
        return false
      }
    }
    return true
  }

  /** Of these user ids, who may read the room now (whom a mention may reach). Everyone for the global chat. */
  private readable(userIds: number[]): number[] {
    if (this.call) return userIds.filter((id) => this.call!.hasUser(id))
    if (this.readers) return userIds.filter((id) => this.readers!.has(id))
    return userIds
  }

  private async join(conn: Connection, after: number | undefined, changedSince?: number) {
    if (!(await this.mayRead(conn))) return this.checkEmpty()
    // Everything committed so far comes from the database; everything after arrives through the topic this
    // connection subscribes to below. The actor publishes nothing between the two (it finishes this command first),
    // so nothing falls between them; and a read that fails leaves the room as it was.
    let messages: StoredMessage[]
    let hasMoreBefore = false
    let hasMoreAfter = false
    let changed: StoredMessage[] = []
    let resync = false
    const syncedAt = this.now()
    if (after !== undefined) {
      ;[messages, hasMoreAfter] = fitPage(await this.deps.store.after(this.name, after, this.deps.limits.catchUpPage + 1), this.deps.limits.catchUpPage, 'oldest')
      // What the client holds may have changed while it was away: edits, removals, reactions.
      if (changedSince !== undefined) {
        const page = this.deps.limits.catchUpPage
        changed = await this.deps.store.changedSince(this.name, after, new Date(changedSince), page + 1)
        const fitted = fitting(changed, 0, (row) => row.text, page)
        resync = fitted < changed.length
        changed = resync ? [] : changed
      }
    } else {
      ;[messages, hasMoreBefore] = fitPage(await this.deps.store.before(this.name, undefined, HISTORY_PAGE + 1), HISTORY_PAGE, 'newest')
    }
    const wire = await this.toWire(messages)
    const changedWire = await this.toWire(changed)
    if (!(await this.enter(conn))) return
    this.members.set(conn.id, conn)
    conn.subscribe(this.topic)

    let present = this.presence.get(conn.user.id)
    const arrived = !present
    if (!present) {
      const { limits } = this.deps
      present = {
        user: conn.user,
        connections: new Set(),
        signalBucket: new TokenBucket(limits.signalBurst, limits.signalsPerSecond, this.now),
      }
      this.presence.set(conn.user.id, present)
    }
    clearTimeout(present.leaveTimer)
    present.leaveTimer = undefined
    present.connections.add(conn.id)
    if (!this.call) {
      clearTimeout(this.emptyTimer)
      this.emptyTimer = undefined
    }

    conn.send({
      type: 'chat.joined',
      room: this.name,
      members: this.presentUsers,
      messages: wire,
      hasMoreBefore,
      hasMoreAfter,
      syncedAt,
      ...(changedWire.length > 0 ? { changed: changedWire } : {}),
      ...(resync ? { resync: true as const } : {}),
    })
    if (arrived) this.publish({ type: 'chat.presence', room: this.name, event: 'join', user: conn.user })
  }

  private async callJoin(conn: Connection, frame: ClientMessageOf<'room.join'>) {
    if (!this.call) return this.noCall(conn)
    if (!(await this.enter(conn))) return
    // Joined, or waiting in the lobby of a locked room: either way the person holds this room.
    if (await this.call.join(conn, frame.media, frame.resume)) {
      clearTimeout(this.emptyTimer)
      this.emptyTimer = undefined
    } else this.release(conn.user.id)
  }

  private async callHost(conn: Connection, frame: HostRequest) {
    if (!this.call) return this.noCall(conn)
    const outcome = await this.call.hostAction(conn, frame)
    // Whoever the action took out of the call (kicked, turned away, ended) no longer holds this room.
    for (const user of outcome.gone) this.release(user.id)
    if (outcome.gone.length > 0) {
      await this.call.rebalance()
      this.checkEmpty()
    }
  }

  private async callGraceExpired(memberId: string) {
    const user = this.call?.list().find((m) => m.id === memberId)?.user
    this.call?.graceExpired(memberId)
    if (user) this.release(user.id)
    await this.call?.rebalance()
    this.checkEmpty()
  }

  private async callLeave(conn: Connection) {
    if (!this.call) return this.noCall(conn)
    if (!this.call.leave(conn)) return this.refuse(conn, 'not_joined', notInCall(this.name))
    this.leave(conn)
    this.release(conn.user.id)
    conn.send({ type: 'room.left', room: this.name, reason: 'you left' })
    await this.call.rebalance()
    this.checkEmpty()
  }

  private async disconnected(conn: Connection, dropped: boolean) {
    this.leave(conn)
    if (!this.call) this.checkEmpty()
    else {
      if (dropped) this.call.dropped(conn)
      else if (this.call.leave(conn)) await this.call.rebalance()
      this.release(conn.user.id)
      this.checkEmpty()
    }
  }

  /** A video room with nobody left (not even someone reconnecting) closes after a grace period. */
  private checkEmpty() {
    if (!this.callOptions || (this.call?.size ?? 0) > 0 || this.members.size > 0 || this.emptyTimer) return
    this.emptyTimer = setTimeout(() => this.tell({ kind: 'emptyCheck' }), this.callOptions.emptyGraceMs)
  }

  private async emptyCheck() {
    this.emptyTimer = undefined
    if ((this.call?.size ?? 0) > 0 || this.members.size > 0) return
    this.closed = true
    await this.flush()
    // A video room's chat ends with it: whoever opens a room of the same name later starts with an empty chat.
    // A conversation's stays: the actor closes, the conversation does not.
    if (this.call) await this.deps.store.deleteRoom(this.name).catch((error) => this.deps.onError?.(error, `room ${this.name}: removing its chat`))
    for (const present of this.presence.values()) {
      clearTimeout(present.leaveTimer)
      this.quotas.exit(present.user.id, this.name)
    }
    this.presence.clear()
    this.call?.close()
    this.callOptions!.closed(this)
  }

  private async retireNow() {
    // Its sockets are being closed (they reconnect to the new owner): what is still queued for it goes nowhere.
    if (this.name !== GLOBAL_ROOM) this.retired = true
    clearTimeout(this.emptyTimer)
    this.emptyTimer = undefined
    await this.flush()
    for (const present of this.presence.values()) {
      clearTimeout(present.leaveTimer)
      this.quotas.exit(present.user.id, this.name)
    }
    this.presence.clear()
    this.members.clear()
    this.call?.close()
  }

  private leave(conn: Connection) {
    if (!this.members.delete(conn.id)) return
    conn.unsubscribe(this.topic)
    const present = this.presence.get(conn.user.id)
    if (!present) return
    present.connections.delete(conn.id)
    if (present.connections.size > 0) return
    const userId = conn.user.id
    present.leaveTimer = setTimeout(() => this.tell({ kind: 'graceExpired', userId }), this.deps.limits.presenceGraceMs)
  }

  private graceExpired(userId: number) {
    const present = this.presence.get(userId)
    if (!present || present.connections.size > 0) return
    this.presence.delete(userId)
    this.release(userId)
    this.publish({ type: 'chat.presence', room: this.name, event: 'leave', user: present.user })
  }

  private async history(conn: Connection, frame: ClientMessageOf<'chat.history'>) {
    if (!this.requireMember(conn)) return
    const limit = frame.limit ?? HISTORY_PAGE
    if ([frame.before, frame.after, frame.around].filter((x) => x !== undefined).length > 1) {
      return this.refuse(conn, 'invalid_message', 'ask for history "before", "after" or "around" an id, only one')
    }
    if (frame.around !== undefined) {
      const { rows, hasMoreBefore, hasMoreAfter } = await this.deps.store.around(this.name, frame.around, limit)
      const n = fitting(rows, 0, (row) => row.text)
      return conn.send({
        type: 'chat.history',
        room: this.name,
        direction: 'around',
        around: frame.around,
        messages: await this.toWire(rows.slice(0, n)),
        hasMore: hasMoreBefore,
        hasMoreAfter: hasMoreAfter || n < rows.length,
      })
    }
    if (frame.after !== undefined) {
      const [rows, hasMore] = fitPage(await this.deps.store.after(this.name, frame.after, limit + 1), limit, 'oldest')
      return conn.send({ type: 'chat.history', room: this.name, direction: 'after', messages: await this.toWire(rows), hasMore })
    }
    const [rows, hasMore] = fitPage(await this.deps.store.before(this.name, frame.before, limit + 1), limit, 'newest')
    conn.send({ type: 'chat.history', room: this.name, direction: 'before', messages: await this.toWire(rows), hasMore })
  }

  /** A message's text as written, checked (cleaned, bounded in characters and bytes), or undefined after refusing
   * it; and whether the author may write now (not muted). The message budget is checked apart (`withinBudget`). */
  private checkedText(conn: Connection, raw: string, emptyAllowed: boolean, ref?: string): string | undefined {
    const extra = ref ? { ref } : {}
    const trimmed = raw.trim()
    if (trimmed === '' && !emptyAllowed) return void this.refuse(conn, 'empty_message', 'a message needs some text', extra)
    const cleaned = cleanText(trimmed, 'a message')
    if (!cleaned.ok) return void this.refuse(conn, cleaned.code, cleaned.reason, extra)
    const text = cleaned.text
    // Code points, not UTF-16 units: an emoji is not counted twice. Bytes too: what is stored and sent is bounded.
    let length = 0
    for (const _ of text) if (++length > MAX_MESSAGE_LENGTH) break
    if (length > MAX_MESSAGE_LENGTH) {
      return void this.refuse(conn, 'message_too_long', `a message may be at most ${MAX_MESSAGE_LENGTH} characters`, extra)
    }
    if (Buffer.byteLength(text, 'utf8') > MAX_MESSAGE_BYTES) {
      return void this.refuse(conn, 'message_too_long', `a message may be at most ${MAX_MESSAGE_BYTES} bytes (UTF-8)`, extra)
    }
    const mutedUntil = this.deps.moderation?.mutedUntil(conn.user.id, this.now())
    if (mutedUntil !== undefined) {
      const left = mutedUntil - this.now()
      return void this.refuse(conn, 'muted', `a moderator muted you in chat; you can write again in ${formatLeft(left)}`, { ...extra, retryAfterMs: left })
    }
    return text
  }

  /** Refuses a message over the author's budget; true when it may go. */
  private withinBudget(conn: Connection, verdict: Verdict, ref?: string): boolean {
    if (verdict.ok) return true
    this.refuse(conn, 'rate_limited', 'you are sending too fast; wait a moment', { ...(ref ? { ref } : {}), retryAfterMs: verdict.retryAfterMs })
    return false
  }

  /** An edit's text, checked and within the budget (edits spend the same budget: each is fanned out too). */
  private async writable(conn: Connection, raw: string): Promise<string | undefined> {
    const text = this.checkedText(conn, raw, false)
    if (text === undefined) return
    return this.withinBudget(conn, await this.quotas.takeMessage(conn.user.id)) ? text : undefined
  }

  private send(conn: Connection, frame: ClientMessageOf<'chat.send'>) {
    const ref = frame.clientId
    if (!this.requireMember(conn, ref)) return
    const text = this.checkedText(conn, frame.text, !!frame.attachment, ref)
    if (text === undefined) return
    // One node answers from memory at once. A cluster's shared budget answers from Redis: the answer is awaited
    // with the rest of the batch (one round trip for all of it), not one message at a time.
    const verdict = this.quotas.takeMessage(conn.user.id)
    if (verdict instanceof Promise) return this.queue(conn, frame, text, verdict)
    if (this.withinBudget(conn, verdict, ref)) this.queue(conn, frame, text)
  }

  private queue(conn: Connection, frame: ClientMessageOf<'chat.send'>, text: string, verdict?: Promise<Verdict>) {
    this.pending.push({
      conn,
      clientId: frame.clientId,
      verdict,
      row: {
        room: this.name,
        authorId: conn.user.id,
        text,
        createdAt: new Date(this.now()),
        clientId: frame.clientId,
        shareId: frame.attachment?.shareId,
        replyTo: frame.replyTo,
      },
    })
    // Everything that arrives before the next turn of the event loop goes into one transaction.
    if (!this.flushScheduled) {
      this.flushScheduled = true
      setImmediate(() => this.tell({ kind: 'flush' }))
    }
  }

  /** Stores the pending batch in one transaction, then acknowledges and broadcasts it: an acknowledged message is
   * always a stored one. While the write is under way the actor takes no other command; sends that arrive meanwhile
   * wait in the mailbox and go into the next batch together. */
  private async flush() {
    this.flushScheduled = false
    let batch = this.pending
    this.pending = []
    if (batch.length === 0) return
    if (batch.some((p) => p.verdict)) {
      const verdicts = await Promise.all(batch.map((p) => p.verdict ?? { ok: true as const }))
      batch = batch.filter((p, i) => this.withinBudget(p.conn, verdicts[i]!, p.clientId))
      if (batch.length === 0) return
    }
    // Attached files: only the author's own live shares go out; a message with any other is refused, not stored.
    let attached = new Map<string, ChatAttachment>()
    const wanted = batch.filter((p) => p.row.shareId !== undefined).map((p) => ({ authorId: p.row.authorId, shareId: p.row.shareId! }))
    if (wanted.length > 0) {
      try {
        attached = (await this.deps.attachments?.(wanted)) ?? attached
      } catch (error) {
        this.deps.onError?.(error, `room ${this.name}: checking ${wanted.length} attachments`)
      }
      batch = batch.filter((p) => {
        if (p.row.shareId === undefined || attached.has(p.row.shareId)) return true
        this.refuse(p.conn, 'invalid_attachment', 'that attachment is not a live share of one of your files', { ref: p.clientId })
        return false
      })
      if (batch.length === 0) return
    }
    // Answers: only to a message of this room. Mentions: only of people who may read it (one lookup per batch).
    let quotes = new Map<number, Quote>()
    let named = new Map<string, UserRef>()
    try {
      const replyIds = [...new Set(batch.flatMap((p) => (p.row.replyTo === undefined ? [] : [p.row.replyTo])))]
      if (replyIds.length > 0) quotes = await this.deps.store.quotes(replyIds)
      const names = batch.flatMap((p) => mentionedNames(p.row.text))
      if (names.length > 0) named = await this.resolveMentions(names)
    } catch (error) {
      this.deps.onError?.(error, `room ${this.name}: resolving replies and mentions`)
      for (const p of batch) this.refuse(p.conn, 'store_failed', 'the message could not be saved; try again', { ref: p.clientId })
      return
    }
    batch = batch.filter((p) => {
      if (p.row.replyTo === undefined || quotes.get(p.row.replyTo)?.room === this.name) return true
      this.refuse(p.conn, 'invalid_reply', `message ${p.row.replyTo} is not in room "${this.name}"; you can only answer a message of the same room`, { ref: p.clientId })
      return false
    })
    if (batch.length === 0) return
    if (named.size > 0) {
      for (const p of batch) {
        const mentioned = mentionedIn(p.row.text, named)
        if (mentioned.length === 0) continue
        p.mentioned = mentioned
        p.row.mentions = mentioned.map((u) => u.id)
      }
    }
    let stored
    try {
      stored = await this.deps.store.insertMany(batch.map((p) => p.row))
    } catch (error) {
      this.deps.onError?.(error, `room ${this.name}: storing ${batch.length} messages`)
      for (const p of batch) this.refuse(p.conn, 'store_failed', 'the message could not be saved; try again', { ref: p.clientId })
      return
    }
    // One frame for the whole batch: fan-out costs per frame, not per message. Each message carries its sender's
    // client id, which is the sender's acknowledgement; a resend of a message stored earlier is acknowledged to the
    // sender alone and not shown twice.
    const live: LiveMessage[] = []
    batch.forEach((p, i) => {
      const { id, createdAt, duplicate } = stored[i]!
      const at = createdAt.getTime()
      if (duplicate) p.conn.send({ type: 'chat.ack', room: this.name, clientId: p.clientId, id, at })
      else {
        const message: LiveMessage = { id, author: p.conn.user, text: p.row.text, at, clientId: p.clientId }
        if (p.row.shareId !== undefined) message.attachment = attached.get(p.row.shareId)
        if (p.row.replyTo !== undefined) message.replyTo = wireQuote(quotes.get(p.row.replyTo)!)
        if (p.mentioned) message.mentions = p.mentioned
        live.push(message)
      }
    })
    // A batch of many long messages goes out in several frames, each bounded like a page of history.
    for (let start = 0, n = 0; start < live.length; start += n) {
      n = fitting(live, start, (message) => message.text)
      this.publish({ type: 'chat.messages', room: this.name, messages: live.slice(start, start + n) })
    }
    this.deps.onStored?.(live.length)
    // Only conversations and mentions concern anyone beyond the room's own topic.
    if (this.readers || named.size > 0) for (const message of live) this.notify(message)
  }

  /** Tells the people a message concerns, wherever they are in the app: every member of a conversation, and anyone
   * it mentions (each on their own topic, so their navigation counts and notifications follow). */
  private notify(message: ChatMessage) {
    const mentioned = new Set((message.mentions ?? []).map((u) => u.id))
    const told = this.readers ? [...this.readers.keys()] : [...mentioned]
    const shown = excerpt(message.text) || (message.attachment?.name ?? '')
    for (const userId of told) {
      if (userId === message.author.id) continue
      this.deps.broadcaster.publish(userTopic(userId), {
        type: 'chat.activity',
        room: this.name,
        messageId: message.id,
        author: message.author,
        excerpt: shown,
        mention: mentioned.has(userId),
      })
    }
  }

  /** The people these (lower-cased) names belong to who may read this room. */
  private async resolveMentions(names: string[]): Promise<Map<string, UserRef>> {
    const result = new Map<string, UserRef>()
    if (names.length === 0) return result
    const unique = [...new Set(names)].slice(0, MAX_MENTIONS * 4)
    const found = await this.deps.store.usersNamed(unique)
    const allowed = new Set(this.readable(found.map((u) => u.id)))
    for (const user of found) if (allowed.has(user.id)) result.set(user.username.toLowerCase(), user)
    return result
  }

  /** Its author changes a message's text, within the edit window; everyone sees the new text (marked edited). */
  private async edit(conn: Connection, frame: ClientMessageOf<'chat.edit'>) {
    if (!this.requireMember(conn)) return
    const found = await this.deps.store.authorOf(this.name, frame.messageId)
    if (!found || found.removed) return this.refuse(conn, 'unknown_message', `no message ${frame.messageId} in room "${this.name}"`)
    if (found.authorId !== conn.user.id) return this.refuse(conn, 'forbidden', 'only its author may edit a message')
    const notBefore = this.now() - this.deps.limits.editWindowMs
    if (found.createdAt.getTime() < notBefore) {
      return this.refuse(conn, 'edit_window_passed', `a message can be edited for ${formatLeft(this.deps.limits.editWindowMs)} after it was sent`)
    }
    const text = await this.writable(conn, frame.text)
    if (text === undefined) return
    const mentions = mentionedIn(text, await this.resolveMentions(mentionedNames(text)))
    const now = new Date(this.now())
    const edited = await this.deps.store.edit(this.name, frame.messageId, conn.user.id, text, mentions.map((u) => u.id), now, new Date(notBefore))
    if (!edited) return this.refuse(conn, 'edit_window_passed', 'the message can no longer be edited')
    this.publish({ type: 'chat.edited', room: this.name, messageId: frame.messageId, text, editedAt: now.getTime(), ...(mentions.length > 0 ? { mentions } : {}) })
    // Someone newly named hears of it as of a new message.
    if (mentions.length > 0) this.notify({ id: frame.messageId, author: conn.user, text, at: now.getTime(), mentions })
  }

  /** Search in this room's chat (a video room's: only its call's members may). */
  private async search(conn: Connection, frame: ClientMessageOf<'chat.search'>) {
    if (!(await this.mayRead(conn))) return
    const verdict = this.presence.get(conn.user.id)?.signalBucket.take() ?? { ok: false as const, retryAfterMs: 1000 }
    if (!verdict.ok) return this.refuse(conn, 'rate_limited', 'you are searching too fast; wait a moment', { ref: frame.req, retryAfterMs: verdict.retryAfterMs })
    const answer = await searchAnswer(this.deps.store, [this.name], frame)
    if (!answer) return this.refuse(conn, 'invalid_query', 'search for at least one word (letters or digits)', { ref: frame.req })
    conn.send(answer)
  }

  private typing(conn: Connection, typing: boolean) {
    if (!this.requireMember(conn)) return
    if (!this.presence.get(conn.user.id)!.signalBucket.take().ok) return // typing hints are droppable
    this.publish({ type: 'chat.typing', room: this.name, user: conn.user, typing })
  }

  private async react(conn: Connection, frame: ClientMessageOf<'chat.react'>) {
    if (!this.requireMember(conn)) return
    if (!SINGLE_EMOJI.test(frame.emoji)) return this.refuse(conn, 'invalid_emoji', 'a reaction is exactly one emoji')
    const verdict = this.presence.get(conn.user.id)!.signalBucket.take()
    if (!verdict.ok) return this.refuse(conn, 'rate_limited', 'you are reacting too fast; wait a moment', { retryAfterMs: verdict.retryAfterMs })
    if ((await this.deps.store.roomOf(frame.messageId)) !== this.name) {
      return this.refuse(conn, 'unknown_message', `no message ${frame.messageId} in room "${this.name}"`)
    }
    const changed = await this.deps.store.setReaction(frame.messageId, conn.user.id, frame.emoji, frame.on, new Date(this.now()))
    if (!changed) return
    const reactions = (await this.deps.store.reactionsFor([frame.messageId])).get(frame.messageId) ?? []
    this.publish({ type: 'chat.reactions', room: this.name, messageId: frame.messageId, reactions, at: this.now() })
  }

  /** Removes a message: its author may, and so may a moderator or an admin (recorded in the audit log). */
  private async remove(conn: Connection, frame: ClientMessageOf<'chat.delete'>) {
    if (!this.requireMember(conn)) return
    const unknown = () => this.refuse(conn, 'unknown_message', `no message ${frame.messageId} in room "${this.name}"`)
    const found = await this.deps.store.authorOf(this.name, frame.messageId)
    if (!found || found.removed) return unknown()
    const own = found.authorId === conn.user.id
    // Asked now, not when the socket opened: a role taken away a moment ago no longer counts.
    if (!own && !this.deps.moderation?.isStaff(conn.user.id)) {
      return this.refuse(conn, 'forbidden', 'only its author, a moderator or an admin may remove a message')
    }
    const removed = await this.deps.store.remove(this.name, frame.messageId, conn.user.id, new Date(this.now()), own ? conn.user.id : undefined)
    if (!removed) return unknown()
    if (!own) {
      await this.deps.moderation?.audit({ actor: conn.user, action: 'chat.delete', target: { id: found.authorId, username: found.authorName }, detail: { room: this.name, messageId: frame.messageId } })
    }
    this.publish({ type: 'chat.removed', room: this.name, messageId: frame.messageId, by: conn.user, at: this.now() })
  }

  private toWire(rows: StoredMessage[]): Promise<ChatMessage[]> {
    return toWire(this.deps.store, rows)
  }

  /** Stops the room on this node (another node owns it now); the global chat starts over empty here. */
  retire(): Promise<void> {
    return this.ask({ kind: 'retire' })
  }

  /** Stops timers and writes what is pending; for shutdown. */
  async close(): Promise<void> {
    for (const present of this.presence.values()) clearTimeout(present.leaveTimer)
    clearTimeout(this.emptyTimer)
    this.call?.close()
    await this.ask({ kind: 'flush' })
  }
}
