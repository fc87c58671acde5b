// One room's chat as the client sees it: the messages (in id order, never twice), what is still being sent, who is
// here and who is typing. It (re)joins on every new connection, asking for exactly what it missed, and resends
// unacknowledged messages under their original client id, which the server deduplicates.
import { createStore, produce } from 'solid-js/store'
import { createSignal } from 'solid-js'
import type { ChatAttachment, ChatMessage, ReactionSummary, ServerMessage, UserRef } from '../../rooms/protocol'
import { onServerMessage, send } from '../socket/connection'

export interface PendingMessage {
  clientId: string
  text: string
  /** A vault file going with it (its share). */
  attachment?: ChatAttachment
  /** The message it answers. */
  replyTo?: number
  state: 'sending' | 'failed'
  error?: string
}

interface ChatState {
  messages: ChatMessage[]
  pending: PendingMessage[]
  members: UserRef[]
  typing: Array<{ user: UserRef; until: number }>
  hasMoreBefore: boolean
  /** The list stops before the newest messages (a search hit opened in its context): live messages are not added
   * until the reader scrolls down to them or jumps to the present. */
  hasMoreAfter: boolean
  loadingOlder: boolean
  joined: boolean
  /** The message to bring into view (a search hit, a quoted original), once it is loaded. */
  focus?: number
}

const TYPING_SHOWN_MS = 5000

/** Index of the message with that id, or where it would go. Messages are sorted by id. */
function locate(messages: ChatMessage[], id: number): number {
  let lo = 0
  let hi = messages.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (messages[mid]!.id < id) lo = mid + 1
    else hi = mid
  }
  return lo
}

export interface ChatOptions {
  /** Join on every new connection by itself (the global chat). A video room's chat is joined by its call instead,
   * once the call is joined, because only call members may read it. */
  joinOnConnect?: boolean
}

export function createChat(room: string, me: () => UserRef | null, options: ChatOptions = {}) {
  const joinOnConnect = options.joinOnConnect ?? true
  const [state, setState] = createStore<ChatState>({
    messages: [],
    pending: [],
    members: [],
    typing: [],
    hasMoreBefore: false,
    hasMoreAfter: false,
    loadingOlder: false,
    joined: false,
  })
  /** Server time up to which every change (edit, removal, reaction) of the messages held is known: a rejoin asks for
   * the ones after it. */
  let changedSince: number | undefined
  const sawChange = (at: number) => {
    if (changedSince !== undefined && at > changedSince) changedSince = at
  }
  /** Replaces messages held with their current state (edited, removed, reacted to while we were away). */
  const refresh = (changed: ChatMessage[]) => {
    for (const message of changed) {
      const at = locate(state.messages, message.id)
      if (state.messages[at]?.id === message.id) setState('messages', at, message)
    }
  }
  const joinFrame = () => {
    const after = state.hasMoreAfter ? undefined : lastId()
    return { type: 'chat.join' as const, room, ...(after !== undefined ? { after, ...(changedSince !== undefined ? { changedSince } : {}) } : {}) }
  }
  const [error, setError] = createSignal<string>()
  const retryTimers = new Map<string, ReturnType<typeof setTimeout>>()

  const lastId = () => state.messages.at(-1)?.id

  /** Adds messages, skipping ids already shown; returns how many were new. */
  const merge = (incoming: ChatMessage[]) => {
    let added = 0
    setState(
      produce((s) => {
        for (const message of incoming) {
          const at = locate(s.messages, message.id)
          if (s.messages[at]?.id === message.id) continue
          s.messages.splice(at, 0, message)
          added++
        }
      }),
    )
    return added
  }

  const settle = (clientId: string) => {
    if (!state.pending.some((p) => p.clientId === clientId)) return
    clearTimeout(retryTimers.get(clientId))
    retryTimers.delete(clientId)
    setState('pending', (list) => list.filter((p) => p.clientId !== clientId))
  }

  const sendPending = (p: PendingMessage) => {
    setState('pending', (list) => list.map((x) => (x.clientId === p.clientId ? { ...x, state: 'sending', error: undefined } : x)))
    send({
      type: 'chat.send',
      room,
      clientId: p.clientId,
      text: p.text,
      ...(p.attachment ? { attachment: { shareId: p.attachment.shareId } } : {}),
      ...(p.replyTo !== undefined ? { replyTo: p.replyTo } : {}),
    })
  }

  const handle = (frame: ServerMessage) => {
    switch (frame.type) {
      case 'hello': {
        if (!joinOnConnect) return
        // A new connection: join again, asking only for what came after the last message we have, and what changed.
        // A list opened around an old message starts again from the present.
        if (state.hasMoreAfter) setState({ messages: [], hasMoreAfter: false })
        send(joinFrame())
        return
      }
      case 'chat.joined': {
        if (frame.room !== room) return
        if (frame.resync) {
          // More changed while we were away than one catch-up holds: start again from the present.
          changedSince = undefined
          setState({ messages: [], hasMoreAfter: false })
          send({ type: 'chat.join', room })
          return
        }
        if (frame.hasMoreBefore || state.messages.length === 0) setState('hasMoreBefore', frame.hasMoreBefore)
        refresh(frame.changed ?? [])
        merge(frame.messages)
        changedSince = frame.syncedAt
        setState({ members: frame.members, joined: true })
        if (frame.hasMoreAfter) send({ type: 'chat.history', room, after: lastId()! })
        // Whatever was not acknowledged before the connection dropped goes again, under the same client id.
        for (const p of state.pending) sendPending(p)
        return
      }
      case 'chat.history': {
        if (frame.room !== room) return
        if (frame.direction === 'around') {
          setState({ messages: frame.messages, hasMoreBefore: frame.hasMore, hasMoreAfter: frame.hasMoreAfter, loadingOlder: false, focus: frame.around })
          return
        }
        merge(frame.messages)
        if (frame.direction === 'before') setState({ hasMoreBefore: frame.hasMore, loadingOlder: false })
        else if (state.hasMoreAfter) setState('hasMoreAfter', frame.hasMore)
        else if (frame.hasMore) send({ type: 'chat.history', room, after: lastId()! })
        return
      }
      case 'chat.messages':
        if (frame.room !== room) return
        // Away from the present, new messages wait until the reader gets there (the list has a gap before them).
        if (!state.hasMoreAfter) merge(frame.messages.map(({ clientId: _, ...message }) => message))
        // Our own messages coming back are their acknowledgement.
        for (const message of frame.messages) settle(message.clientId)
        return
      case 'chat.ack': {
        // A resend of a message the server had already stored: it is acknowledged but not broadcast again.
        if (frame.room !== room) return
        const pending = state.pending.find((p) => p.clientId === frame.clientId)
        const user = me()
        if (pending && user) merge([{ id: frame.id, author: user, text: pending.text, at: frame.at }])
        settle(frame.clientId)
        return
      }
      case 'chat.presence': {
        if (frame.room !== room) return
        setState('members', (members) =>
          frame.event === 'join'
            ? members.some((m) => m.id === frame.user.id)
              ? members
              : [...members, frame.user]
            : members.filter((m) => m.id !== frame.user.id),
        )
        if (frame.event === 'leave') setState('typing', (t) => t.filter((x) => x.user.id !== frame.user.id))
        return
      }
      case 'chat.typing': {
        if (frame.room !== room || frame.user.id === me()?.id) return
        setState('typing', (t) => [
          ...t.filter((x) => x.user.id !== frame.user.id),
          ...(frame.typing ? [{ user: frame.user, until: Date.now() + TYPING_SHOWN_MS }] : []),
        ])
        return
      }
      case 'chat.reactions': {
        if (frame.room !== room) return
        const at = locate(state.messages, frame.messageId)
        if (state.messages[at]?.id === frame.messageId) setState('messages', at, 'reactions', frame.reactions)
        sawChange(frame.at)
        return
      }
      case 'chat.edited': {
        if (frame.room !== room) return
        const at = locate(state.messages, frame.messageId)
        if (state.messages[at]?.id === frame.messageId) {
          setState('messages', at, (m) => ({ ...m, text: frame.text, editedAt: frame.editedAt, mentions: frame.mentions }))
        }
        sawChange(frame.editedAt)
        return
      }
      case 'chat.removed': {
        if (frame.room !== room) return
        const at = locate(state.messages, frame.messageId)
        if (state.messages[at]?.id === frame.messageId) {
          setState('messages', at, (m) => ({ ...m, text: '', removed: true, reactions: undefined, attachment: undefined, mentions: undefined, editedAt: undefined }))
        }
        sawChange(frame.at)
        return
      }
      case 'error': {
        if (frame.ref && state.pending.some((p) => p.clientId === frame.ref)) {
          const ref = frame.ref
          if (frame.code === 'rate_limited' || frame.code === 'store_failed') {
            // Transient: try again by itself after the pause the server asked for.
            clearTimeout(retryTimers.get(ref))
            retryTimers.set(
              ref,
              setTimeout(() => {
                const p = state.pending.find((x) => x.clientId === ref)
                if (p) sendPending(p)
              }, frame.retryAfterMs ?? 2000),
            )
          }
          setState('pending', (list) => list.map((p) => (p.clientId === ref ? { ...p, state: 'failed', error: frame.message } : p)))
        } else if (frame.code !== 'rate_limited' && frame.about?.startsWith('chat.') && (frame.room === undefined || frame.room === room)) {
          setError(frame.message)
        }
        return
      }
    }
  }

  const unsubscribe = onServerMessage(handle)
  // Typing hints expire on their own if the "stopped" never comes.
  const sweep = setInterval(() => {
    const now = Date.now()
    if (state.typing.some((t) => t.until <= now)) setState('typing', (t) => t.filter((x) => x.until > now))
  }, 1000)

  let typingSentAt = 0
  let typingStop: ReturnType<typeof setTimeout> | undefined

  return {
    state,
    error,
    clearError: () => setError(undefined),
    /** Joins now if the socket is already up (the hello handler covers later connections). */
    start() {
      send(joinFrame())
    },
    sendMessage(text: string, attachment?: ChatAttachment, replyTo?: number) {
      if (!text.trim() && !attachment) return
      // Writing brings the reader back to the present, where the message will show.
      if (state.hasMoreAfter) this.jumpToLatest()
      const pending: PendingMessage = {
        clientId: crypto.randomUUID(),
        text: text.trim(),
        state: 'sending',
        ...(attachment ? { attachment } : {}),
        ...(replyTo !== undefined ? { replyTo } : {}),
      }
      setState('pending', (list) => [...list, pending])
      sendPending(pending)
      this.stopTyping()
    },
    retry(clientId: string) {
      const p = state.pending.find((x) => x.clientId === clientId)
      if (p) sendPending(p)
    },
    discard(clientId: string) {
      setState('pending', (list) => list.filter((p) => p.clientId !== clientId))
    },
    loadOlder() {
      if (state.loadingOlder || !state.hasMoreBefore || state.messages.length === 0) return
      setState('loadingOlder', true)
      send({ type: 'chat.history', room, before: state.messages[0]!.id })
    },
    react(messageId: number, emoji: string, reactions: ReactionSummary[] = []) {
      const mine = reactions.find((r) => r.emoji === emoji)?.userIds.includes(me()?.id ?? -1) ?? false
      send({ type: 'chat.react', room, messageId, emoji, on: !mine })
    },
    remove(messageId: number) {
      send({ type: 'chat.delete', room, messageId })
    },
    edit(messageId: number, text: string) {
      if (text.trim()) send({ type: 'chat.edit', room, messageId, text: text.trim() })
    },
    /** Brings a message into view: at once if it is held, else by loading the history around it. */
    jumpTo(messageId: number) {
      const at = locate(state.messages, messageId)
      if (state.messages[at]?.id === messageId) setState('focus', messageId)
      else send({ type: 'chat.history', room, around: messageId })
    },
    focused() {
      setState('focus', undefined)
    },
    /** Back to the newest messages after reading around an old one. */
    jumpToLatest() {
      if (!state.hasMoreAfter) return
      changedSince = undefined
      setState({ messages: [], hasMoreAfter: false, hasMoreBefore: false })
      send({ type: 'chat.join', room })
    },
    /** The next page toward the present, while away from it. */
    loadNewer() {
      const last = lastId()
      if (state.hasMoreAfter && last !== undefined) send({ type: 'chat.history', room, after: last })
    },
    typing() {
      const now = Date.now()
      if (now - typingSentAt > 3000) {
        typingSentAt = now
        send({ type: 'chat.typing', room, typing: true })
      }
      clearTimeout(typingStop)
      typingStop = setTimeout(() => this.stopTyping(), 4000)
    },
    stopTyping() {
      clearTimeout(typingStop)
      if (typingSentAt === 0) return
      typingSentAt = 0
      send({ type: 'chat.typing', room, typing: false })
    },
    dispose() {
      unsubscribe()
      clearInterval(sweep)
      for (const timer of retryTimers.values()) clearTimeout(timer)
      send({ type: 'chat.leave', room })
    },
  }
}

export type Chat = ReturnType<typeof createChat>
