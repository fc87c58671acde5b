// One person's view across their chats, which no single room owns: where they stopped reading each (the global
// chat and their conversations) and search over everything they may read. Who may read what is decided here, from
// the stores: a conversation someone is not in answers exactly like one that does not exist.
import type { Broadcaster, Connection } from './connection'
import { GLOBAL_ROOM } from './constants'
import type { ClientMessageOf, ServerMessage } from './protocol'
import { TokenBucket } from './token-bucket'
import type { MessageStore } from '../db/messages'
import type { ReadStateStore } from '../db/read-state'
import { conversationIdOf, type ConversationStore } from '../db/conversations'
import { searchAnswer, userTopic } from './wire'

export interface InboxDeps {
  messages: MessageStore
  readState: ReadStateStore
  conversations: ConversationStore
  broadcaster: Broadcaster
  now?: () => number
}

/** Per person, across all their sockets: read-state requests and changes, and searches (each one a full-text query). */
const READS = { burst: 30, perSecond: 5 }
const SEARCHES = { burst: 10, perSecond: 2 }
/** People whose budgets are remembered; the longest-known goes first (an idle budget is full again anyway). */
const MAX_TRACKED = 10_000

export class Inbox {
  private readonly now: () => number
  private readonly budgets = new Map<number, { reads: TokenBucket; searches: TokenBucket }>()

  constructor(private readonly deps: InboxDeps) {
    this.now = deps.now ?? Date.now
  }

  private budget(userId: number) {
    let budget = this.budgets.get(userId)
    if (!budget) {
      if (this.budgets.size >= MAX_TRACKED) this.budgets.delete(this.budgets.keys().next().value!)
      budget = { reads: new TokenBucket(READS.burst, READS.perSecond, this.now), searches: new TokenBucket(SEARCHES.burst, SEARCHES.perSecond, this.now) }
      this.budgets.set(userId, budget)
    }
    return budget
  }

  private refuse(conn: Connection, about: string, code: string, message: string, extra: Partial<Extract<ServerMessage, { type: 'error' }>> = {}) {
    conn.send({ type: 'error', code, message, about, ...extra })
  }

  /** Whether the person may read `room` and it keeps read state (the global chat, their own conversations). */
  private async tracked(userId: number, room: string): Promise<'yes' | 'no_conversation' | 'untracked'> {
    if (room === GLOBAL_ROOM) return 'yes'
    const id = conversationIdOf(room)
    if (id === undefined) return 'untracked'
    return (await this.deps.conversations.isMember(id, userId)) ? 'yes' : 'no_conversation'
  }

  private async rooms(userId: number): Promise<string[]> {
    return [GLOBAL_ROOM, ...(await this.deps.conversations.roomsOf(userId))]
  }

  /** Where the person stopped reading the global chat and each of their conversations. */
  async unread(conn: Connection): Promise<void> {
    const userId = conn.user.id
    const verdict = this.budget(userId).reads.take()
    if (!verdict.ok) return this.refuse(conn, 'chat.unread', 'rate_limited', 'too many unread requests; wait a moment', { retryAfterMs: verdict.retryAfterMs })
    await this.deps.readState.begin(userId, GLOBAL_ROOM, new Date(this.now()))
    conn.send({ type: 'chat.unread', rooms: await this.deps.readState.unread(userId, await this.rooms(userId)) })
  }

  /** The person read `room` up to a message (or marks what follows it unread again); every socket of theirs hears. */
  async read(conn: Connection, frame: ClientMessageOf<'chat.read'>): Promise<void> {
    const userId = conn.user.id
    const verdict = this.budget(userId).reads.take()
    if (!verdict.ok) return this.refuse(conn, 'chat.read', 'rate_limited', 'too many read updates; wait a moment', { room: frame.room, retryAfterMs: verdict.retryAfterMs })
    const tracked = await this.tracked(userId, frame.room)
    if (tracked === 'no_conversation') return this.refuse(conn, 'chat.read', 'unknown_conversation', 'no such conversation', { room: frame.room })
    if (tracked === 'untracked') return this.refuse(conn, 'chat.read', 'invalid_room', 'unread messages are kept for the global chat and conversations', { room: frame.room })
    await this.deps.readState.set(userId, frame.room, frame.messageId, new Date(this.now()))
    const rooms = await this.deps.readState.unread(userId, [frame.room])
    this.deps.broadcaster.publish(userTopic(userId), { type: 'chat.unread', rooms })
  }

  /** Full-text search over the global chat and the person's conversations, or one of them. */
  async search(conn: Connection, frame: ClientMessageOf<'chat.search'>): Promise<void> {
    const userId = conn.user.id
    const ref = { ref: frame.req }
    const verdict = this.budget(userId).searches.take()
    if (!verdict.ok) return this.refuse(conn, 'chat.search', 'rate_limited', 'you are searching too fast; wait a moment', { ...ref, retryAfterMs: verdict.retryAfterMs })
    let rooms: string[]
    if (frame.room === undefined) rooms = await this.rooms(userId)
    else {
      if ((await this.tracked(userId, frame.room)) !== 'yes') return this.refuse(conn, 'chat.search', 'unknown_conversation', 'no such conversation', { ...ref, room: frame.room })
      rooms = [frame.room]
    }
    const answer = await searchAnswer(this.deps.messages, rooms, frame)
    if (!answer) return this.refuse(conn, 'chat.search', 'invalid_query', 'search for at least one word (letters or digits)', ref)
    conn.send(answer)
  }
}
