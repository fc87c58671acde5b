// One chat on screen: the global chat, a conversation, or a video room's chat panel. Messages are rendered as
// formatted text (markdown.ts), with replies, mentions, edits, reactions and attachments; a "new messages" line marks
// where the reader stopped, and what they see is marked read (the global chat and conversations).
import { createEffect, createSignal, For, on, onCleanup, Show, type JSX } from 'solid-js'
import SmilePlus from 'lucide-solid/icons/face-slightly-smiling-plus'
import Trash from 'lucide-solid/icons/trash'
import VolumeX from 'lucide-solid/icons/volume-x'
import Reply from 'lucide-solid/icons/reply'
import Pencil from 'lucide-solid/icons/pencil'
import MailOpen from 'lucide-solid/icons/mail-open'
import MessageSquare from 'lucide-solid/icons/message-square'
import { api, errorMessage } from '../api'
import { EmojiPicker } from './EmojiPicker'
import { user } from '../auth/session'
import type { ChatAttachment, ChatMessage, UserRef } from '../../rooms/protocol'
import { AttachDialog, AttachmentView } from './Attachments'
import { limits } from '../socket/connection'
import { formatBytes } from '../ui/format'
import type { Chat } from './chat-store'
import { renderMessage } from './markdown'
import { Composer, type ComposerMode } from './Composer'
import { lastRead, markRead, markUnread, setViewing, unreadRooms } from './unread'

/** How long the chat's mute button mutes someone (an admin lifts it on the Admin page). */
const MUTE_SECONDS = 15 * 60

const time = (at: number) => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
const day = (at: number) => new Date(at).toLocaleDateString([], { weekday: 'long', month: 'long', day: 'numeric' })

export function ChatView(props: {
  chat: Chat
  title: string
  subtitle?: string
  members?: boolean
  /** Keeps read state for this chat (the global chat and conversations; a call's chat does not). */
  room?: string
  /** Opens a private conversation with someone (a name's menu offers it). */
  onMessagePerson?: (person: UserRef) => void
  /** Extra controls in the header (search). */
  actions?: JSX.Element
}) {
  const chat = props.chat
  const me = () => user()
  const [picker, setPicker] = createSignal<{ for: 'composer' } | { for: 'reaction'; message: ChatMessage }>()
  const [removing, setRemoving] = createSignal<ChatMessage>()
  const [notice, setNotice] = createSignal<string>()
  const [mode, setMode] = createSignal<ComposerMode>()
  const [personMenu, setPersonMenu] = createSignal<{ person: UserRef; x: number; y: number }>()
  const staff = () => me()?.role === 'admin' || me()?.role === 'moderator'
  const mute = async (author: ChatMessage['author']) => {
    const { error } = await api.admin.users({ id: author.id })['chat-mute'].put({ seconds: MUTE_SECONDS })
    setNotice(error ? errorMessage(error) : `${author.username} is muted in chat for 15 minutes (every room).`)
  }
  let list: HTMLDivElement | undefined
  let composer: { insert(text: string): void; focus(): void; set(text: string): void } | undefined
  let stickToBottom = true

  // Where the reader had stopped when the chat opened: the "new messages" line. It stays while the chat is open
  // (reading does not move it), and follows "mark as unread".
  const [since, setSince] = createSignal<number>()
  if (props.room) {
    createEffect(() => {
      if (since() === undefined && unreadRooms[props.room!]) setSince(lastRead(props.room!))
    })
    setViewing(props.room)
    onCleanup(() => setViewing(undefined))
  }
  const firstUnread = () => {
    const s = since()
    if (s === undefined) return undefined
    return chat.state.messages.find((m) => m.id > s && m.author.id !== me()?.id)?.id
  }

  /** After "mark as unread", what is on screen stays unread until the person writes or opens the chat again. */
  let holdUnread = false
  /** Marks what is on screen read: the newest message held, while the tab is visible and the list at the present. */
  const readUpTo = () => {
    if (!props.room || holdUnread || document.visibilityState !== 'visible' || chat.state.hasMoreAfter) return
    const newest = chat.state.messages.at(-1)
    if (newest) markRead(props.room, newest.id)
  }
  createEffect(on(() => [chat.state.messages.length, unreadRooms[props.room ?? '']?.lastReadId], readUpTo))
  const onVisible = () => readUpTo()
  document.addEventListener('visibilitychange', onVisible)
  onCleanup(() => document.removeEventListener('visibilitychange', onVisible))

  // New messages keep the view at the bottom if it was there; older pages keep the reader's place.
  let previousHeight = 0
  createEffect(
    on(
      () => [chat.state.messages.length, chat.state.pending.length],
      () => {
        if (!list) return
        const grewAtTop = list.scrollTop < 50 && previousHeight > 0 && !stickToBottom
        queueMicrotask(() => {
          if (!list || chat.state.focus !== undefined) return
          if (stickToBottom) list.scrollTop = list.scrollHeight
          else if (grewAtTop) list.scrollTop += list.scrollHeight - previousHeight
          previousHeight = list.scrollHeight
        })
      },
    ),
  )
  // A search hit or a quoted original: scrolled to the middle and highlighted for a moment.
  createEffect(
    on(
      () => [chat.state.focus, chat.state.messages.length],
      () => {
        const id = chat.state.focus
        if (id === undefined || !list) return
        const element = list.querySelector<HTMLElement>(`[data-message-id="${id}"]`)
        if (!element) return
        stickToBottom = false
        queueMicrotask(() => {
          element.scrollIntoView({ block: 'center' })
          element.classList.add('flash')
          setTimeout(() => element.classList.remove('flash'), 2000)
          previousHeight = list!.scrollHeight
          chat.focused()
        })
      },
    ),
  )

  const onScroll = () => {
    if (!list) return
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40
    stickToBottom = atBottom && !chat.state.hasMoreAfter
    previousHeight = list.scrollHeight
    if (list.scrollTop < 80) chat.loadOlder()
    if (atBottom && chat.state.hasMoreAfter) chat.loadNewer()
  }

  const [attaching, setAttaching] = createSignal(false)
  const [staged, setStaged] = createSignal<ChatAttachment>()

  const submit = (text: string) => {
    const current = mode()
    if (current?.kind === 'edit') {
      if (text.trim() && text.trim() !== current.message.text) chat.edit(current.message.id, text)
      setMode(undefined)
      return
    }
    stickToBottom = true
    holdUnread = false
    chat.sendMessage(text, staged(), current?.kind === 'reply' ? current.message.id : undefined)
    setStaged(undefined)
    setMode(undefined)
  }

  const editable = (message: ChatMessage) =>
    message.author.id === me()?.id && !message.removed && Date.now() - message.at < limits().editWindowSeconds * 1000 - 5000
  const startEdit = (message: ChatMessage) => {
    setMode({ kind: 'edit', message })
    composer?.set(message.text)
  }
  const editLast = () => {
    const mine = [...chat.state.messages].reverse().find((m) => m.author.id === me()?.id && !m.removed)
    if (mine && editable(mine)) startEdit(mine)
  }

  const pick = (emoji: string) => {
    const target = picker()
    if (target?.for === 'reaction') chat.react(target.message.id, emoji, target.message.reactions)
    else composer?.insert(emoji)
    setPicker(undefined)
  }

  /** Whom the composer offers for @: people here now and the authors of the messages held. */
  const people = () => {
    const seen = new Map<number, UserRef>()
    for (const m of chat.state.members) seen.set(m.id, m)
    for (let i = chat.state.messages.length - 1; i >= 0 && seen.size < 200; i--) seen.set(chat.state.messages[i]!.author.id, chat.state.messages[i]!.author)
    seen.delete(me()?.id ?? -1)
    return [...seen.values()].sort((a, b) => a.username.localeCompare(b.username))
  }

  const lookupPeople = async (prefix: string): Promise<UserRef[]> => {
    const { data } = await api.chat.people.get({ query: { prefix } })
    return data?.people ?? []
  }

  const typingLine = () => {
    const names = chat.state.typing.map((t) => t.user.username)
    if (names.length === 0) return ''
    if (names.length === 1) return `${names[0]} is typing…`
    if (names.length <= 3) return `${names.join(', ')} are typing…`
    return 'Several people are typing…'
  }

  const showPerson = (person: UserRef, event: MouseEvent) => {
    if (!props.onMessagePerson || person.id === me()?.id) return
    const rect = (event.currentTarget as HTMLElement).getBoundingClientRect()
    setPersonMenu({ person, x: rect.left, y: rect.bottom })
  }

  return (
    <section class="chat" classList={{ 'no-members': !props.members }}>
      <div class="chat-main">
        <header class="chat-header">
          <h1>{props.title}</h1>
          <Show when={props.subtitle}>
            <span class="muted">{props.subtitle}</span>
          </Show>
          <span class="spacer" />
          {props.actions}
        </header>
        <Show when={chat.error()}>
          <p class="error banner" role="alert">
            {chat.error()} <button class="link" onClick={chat.clearError}>dismiss</button>
          </p>
        </Show>
        <Show when={notice()}>
          <p class="banner" role="status">
            {notice()} <button class="link" onClick={() => setNotice(undefined)}>dismiss</button>
          </p>
        </Show>
        <div class="message-list" ref={list} onScroll={onScroll} data-testid="message-list">
          <Show when={chat.state.hasMoreBefore}>
            <button class="secondary load-older" onClick={() => chat.loadOlder()} disabled={chat.state.loadingOlder}>
              {chat.state.loadingOlder ? 'Loading…' : 'Load older messages'}
            </button>
          </Show>
          <Show when={chat.state.joined && chat.state.messages.length === 0 && chat.state.pending.length === 0}>
            <p class="muted empty">No messages yet. Say hello!</p>
          </Show>
          <For each={chat.state.messages}>
            {(message, index) => {
              const previous = () => chat.state.messages[index() - 1]
              const newDay = () => !previous() || day(previous()!.at) !== day(message.at)
              const unreadStart = () => firstUnread() === message.id
              const continued = () =>
                !newDay() && !unreadStart() && !message.replyTo && previous()?.author.id === message.author.id && message.at - previous()!.at < 5 * 60_000
              const mentionsMe = () => message.mentions?.some((u) => u.id === me()?.id) ?? false
              return (
                <>
                  <Show when={newDay()}>
                    <div class="day-separator">{day(message.at)}</div>
                  </Show>
                  <Show when={unreadStart()}>
                    <div class="unread-separator" data-testid="new-messages-line" role="separator">
                      <span>New messages</span>
                    </div>
                  </Show>
                  <article class="message" classList={{ continued: continued(), 'mentions-me': mentionsMe() }} data-message-id={message.id}>
                    <Show when={message.replyTo}>
                      {(quote) => (
                        <button class="quote" data-testid="reply-quote" onClick={() => chat.jumpTo(quote().id)}>
                          <Reply aria-hidden="true" />
                          <span class="visually-hidden">Go to the original: </span>
                          <Show when={!quote().removed} fallback={<em class="muted">message removed</em>}>
                            <strong>{quote().author?.username}</strong> <span class="muted">{quote().excerpt}</span>
                          </Show>
                        </button>
                      )}
                    </Show>
                    <Show when={!continued()}>
                      <header>
                        <button class="author" onClick={(e) => showPerson(message.author, e)} disabled={!props.onMessagePerson || message.author.id === me()?.id}>
                          {message.author.username}
                        </button>
                        <time dateTime={new Date(message.at).toISOString()}>{time(message.at)}</time>
                      </header>
                    </Show>
                    <Show when={!message.removed} fallback={<p class="text removed">message removed</p>}>
                      <Show when={message.text}>
                        <div
                          class="text formatted"
                          innerHTML={renderMessage(
                            message.text,
                            (message.mentions ?? []).map((u) => u.username),
                            me()?.username,
                          )}
                        />
                      </Show>
                      <Show when={message.editedAt}>
                        <span class="edited muted" title={`edited at ${time(message.editedAt!)}`}>(edited)</span>
                      </Show>
                      <Show when={message.attachment}>{(a) => <AttachmentView attachment={a()} />}</Show>
                      <div class="reactions">
                        <For each={message.reactions ?? []}>
                          {(r) => (
                            <button
                              class="reaction"
                              classList={{ mine: r.userIds.includes(me()?.id ?? -1) }}
                              title={`${r.count} reaction${r.count === 1 ? '' : 's'}`}
                              onClick={() => chat.react(message.id, r.emoji, message.reactions)}
                            >
                              {r.emoji} <span>{r.count}</span>
                            </button>
                          )}
                        </For>
                      </div>
                      <div class="message-tools">
                        <button class="tool" title="Reply" aria-label="Reply" onClick={() => (setMode({ kind: 'reply', message }), composer?.focus())}>
                          <Reply aria-hidden="true" />
                        </button>
                        <button class="reaction add" title="Add a reaction" aria-label="Add a reaction" onClick={() => setPicker({ for: 'reaction', message })}>
                          <SmilePlus aria-hidden="true" />
                        </button>
                        <Show when={editable(message)}>
                          <button class="tool" title="Edit" aria-label="Edit" onClick={() => startEdit(message)}>
                            <Pencil aria-hidden="true" />
                          </button>
                        </Show>
                        <Show when={props.room && message.author.id !== me()?.id}>
                          <button
                            class="tool"
                            title="Mark as unread from here"
                            aria-label="Mark as unread"
                            onClick={() => {
                              holdUnread = true
                              markUnread(props.room!, message.id)
                              setSince(message.id - 1)
                            }}
                          >
                            <MailOpen aria-hidden="true" />
                          </button>
                        </Show>
                        <Show when={message.author.id === me()?.id || staff()}>
                          <button class="tool" title="Remove this message" aria-label="Remove" onClick={() => setRemoving(message)}>
                            <Trash aria-hidden="true" />
                          </button>
                        </Show>
                        <Show when={staff() && message.author.id !== me()?.id}>
                          <button
                            class="tool"
                            title={`Mute ${message.author.username} in chat for 15 minutes`}
                            aria-label={`Mute ${message.author.username} in chat for 15 minutes`}
                            onClick={() => void mute(message.author)}
                          >
                            <VolumeX aria-hidden="true" />
                          </button>
                        </Show>
                      </div>
                    </Show>
                  </article>
                </>
              )
            }}
          </For>
          <Show when={!chat.state.hasMoreAfter}>
            <For each={chat.state.pending}>
              {(p) => (
                <article class="message pending" classList={{ failed: p.state === 'failed' }} data-pending={p.clientId}>
                  <header>
                    <strong class="author">{me()?.username}</strong>
                    <span class="muted">{p.state === 'sending' ? 'sending…' : `not sent: ${p.error ?? 'error'}`}</span>
                  </header>
                  <Show when={p.text}>
                    <p class="text">{p.text}</p>
                  </Show>
                  <Show when={p.attachment}>
                    {(a) => (
                      <p class="attachment muted">
                        {a().name} ({formatBytes(a().size)})
                      </p>
                    )}
                  </Show>
                  <Show when={p.state === 'failed'}>
                    <button class="link" onClick={() => chat.retry(p.clientId)}>Retry</button>{' '}
                    <button class="link" onClick={() => chat.discard(p.clientId)}>Discard</button>
                  </Show>
                </article>
              )}
            </For>
          </Show>
        </div>
        <Show when={chat.state.hasMoreAfter}>
          <button class="secondary jump-latest" onClick={() => ((stickToBottom = true), chat.jumpToLatest())}>
            Jump to the newest messages
          </button>
        </Show>
        <p class="typing muted" aria-live="polite">{typingLine()}</p>
        <Composer
          mode={mode()}
          onCancelMode={() => setMode(undefined)}
          people={people}
          self={me()?.id}
          lookup={props.room === 'global' ? lookupPeople : undefined}
          staged={staged()}
          onUnstage={() => setStaged(undefined)}
          onAttach={() => setAttaching(true)}
          onEmoji={() => setPicker(picker() ? undefined : { for: 'composer' })}
          onTyping={() => chat.typing()}
          onSubmit={submit}
          onEditLast={editLast}
          ref={(api) => (composer = api)}
        />
        <Show when={attaching()}>
          <AttachDialog
            onAttach={(a) => {
              setStaged(a)
              setAttaching(false)
              composer?.focus()
            }}
            onClose={() => setAttaching(false)}
          />
        </Show>
        <Show when={picker()}>
          <EmojiPicker onPick={pick} onClose={() => setPicker(undefined)} />
        </Show>
        <Show when={personMenu()}>
          {(menu) => (
            <div class="modal-backdrop transparent" onClick={() => setPersonMenu(undefined)}>
              <div class="card person-menu" role="menu" aria-label={menu().person.username} style={{ left: `${menu().x}px`, top: `${menu().y}px` }}>
                <button
                  role="menuitem"
                  class="secondary"
                  onClick={() => {
                    props.onMessagePerson?.(menu().person)
                    setPersonMenu(undefined)
                  }}
                >
                  <MessageSquare aria-hidden="true" /> Chat privately with {menu().person.username}
                </button>
              </div>
            </div>
          )}
        </Show>
        <Show when={removing()}>
          {(message) => (
            <div class="modal-backdrop">
              <div class="card modal" role="dialog" aria-modal="true" aria-label="Remove message">
                <p>
                  Remove this message{message().author.id === me()?.id ? '' : ` by ${message().author.username}`}? Everyone will see that it was removed.
                </p>
                <blockquote class="quoted">{message().text.slice(0, 200)}</blockquote>
                <div class="modal-actions">
                  <button class="secondary" onClick={() => setRemoving(undefined)}>Keep</button>
                  <button
                    class="danger"
                    onClick={() => {
                      chat.remove(message().id)
                      setRemoving(undefined)
                    }}
                  >
                    Remove
                  </button>
                </div>
              </div>
            </div>
          )}
        </Show>
      </div>
      <Show when={props.members}>
        <aside class="members card">
          <h2>Here now ({chat.state.members.length})</h2>
          <ul data-testid="members">
            <For each={chat.state.members}>
              {(m) => (
                <li classList={{ me: m.id === me()?.id }}>
                  <span>{m.username}</span>
                  <Show when={props.onMessagePerson && m.id !== me()?.id}>
                    <button class="link icon-only" aria-label={`Chat privately with ${m.username}`} title={`Chat privately with ${m.username}`} onClick={() => props.onMessagePerson!(m)}>
                      <MessageSquare aria-hidden="true" />
                    </button>
                  </Show>
                </li>
              )}
            </For>
          </ul>
        </aside>
      </Show>
    </section>
  )
}
