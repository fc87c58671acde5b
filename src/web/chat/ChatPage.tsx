import { createEffect, createSignal, For, on, Show } from 'solid-js'
import Smile from 'lucide-solid/icons/face-slightly-smiling'
import SmilePlus from 'lucide-solid/icons/face-slightly-smiling-plus'
import SendHorizontal from 'lucide-solid/icons/send-horizontal'
import Paperclip from 'lucide-solid/icons/paperclip'
import X from 'lucide-solid/icons/x'
import Trash from 'lucide-solid/icons/trash'
import VolumeX from 'lucide-solid/icons/volume-x'
import { api, errorMessage } from '../api'
import { useGlobalChat } from './context'
import { EmojiPicker } from './EmojiPicker'
import { user } from '../auth/session'
import type { ChatAttachment, ChatMessage } from '../../rooms/protocol'
import { AttachDialog, AttachmentView } from './Attachments'
import { limits } from '../socket/connection'
import { formatBytes } from '../ui/format'
import type { Chat } from './chat-store'

/** How long the chat's mute button mutes someone (an admin lifts it on the Admin page). */
const MUTE_SECONDS = 15 * 60

const time = (at: number) => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
const day = (at: number) => new Date(at).toLocaleDateString([], { weekday: 'long', month: 'long', day: 'numeric' })

export function ChatPage() {
  return <ChatView chat={useGlobalChat()} title="Chat" subtitle="Everyone on this server" members />
}

/** A room's chat: the global chat page, and the chat panel of a video room. */
export function ChatView(props: { chat: Chat; title: string; subtitle?: string; members?: boolean }) {
  const chat = props.chat
  const [draft, setDraft] = createSignal('')
  const [picker, setPicker] = createSignal<{ for: 'composer' } | { for: 'reaction'; message: ChatMessage }>()
  const [removing, setRemoving] = createSignal<ChatMessage>()
  const [notice, setNotice] = createSignal<string>()
  const staff = () => user()?.role === 'admin' || user()?.role === 'moderator'
  const mute = async (author: ChatMessage['author']) => {
    const { error } = await api.admin.users({ id: author.id })['chat-mute'].put({ seconds: MUTE_SECONDS })
    setNotice(error ? errorMessage(error) : `${author.username} is muted in chat for 15 minutes (every room).`)
  }
  let list: HTMLDivElement | undefined
  let input: HTMLTextAreaElement | undefined
  let stickToBottom = true

  // New messages keep the view at the bottom if it was there; older pages keep the reader's place.
  let previousHeight = 0
  createEffect(
    on(
      () => [chat.state.messages.length, chat.state.pending.length],
      () => {
        if (!list) return
        const grewAtTop = list.scrollTop < 50 && previousHeight > 0 && !stickToBottom
        queueMicrotask(() => {
          if (!list) return
          if (stickToBottom) list.scrollTop = list.scrollHeight
          else if (grewAtTop) list.scrollTop += list.scrollHeight - previousHeight
          previousHeight = list.scrollHeight
        })
      },
    ),
  )

  const onScroll = () => {
    if (!list) return
    stickToBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40
    previousHeight = list.scrollHeight
    if (list.scrollTop < 80) chat.loadOlder()
  }

  const [attaching, setAttaching] = createSignal(false)
  const [staged, setStaged] = createSignal<ChatAttachment>()

  const submit = (event?: Event) => {
    event?.preventDefault()
    const text = draft()
    if (!text.trim() && !staged()) return
    stickToBottom = true
    chat.sendMessage(text, staged())
    setDraft('')
    setStaged(undefined)
    input?.focus()
  }

  const pick = (emoji: string) => {
    const target = picker()
    if (target?.for === 'reaction') chat.react(target.message.id, emoji, target.message.reactions)
    else {
      setDraft((d) => d + emoji)
      input?.focus()
    }
    setPicker(undefined)
  }

  const typingLine = () => {
    const names = chat.state.typing.map((t) => t.user.username)
    if (names.length === 0) return ''
    if (names.length === 1) return `${names[0]} is typing…`
    if (names.length <= 3) return `${names.join(', ')} are typing…`
    return 'Several people are typing…'
  }

  const length = () => [...draft()].length

  return (
    <section class="chat" classList={{ 'no-members': !props.members }}>
      <div class="chat-main">
        <header class="chat-header">
          <h1>{props.title}</h1>
          <Show when={props.subtitle}>
            <span class="muted">{props.subtitle}</span>
          </Show>
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
              const continued = () =>
                !newDay() && previous()?.author.id === message.author.id && message.at - previous()!.at < 5 * 60_000
              return (
                <>
                  <Show when={newDay()}>
                    <div class="day-separator">{day(message.at)}</div>
                  </Show>
                  <article class="message" classList={{ continued: continued() }} data-message-id={message.id}>
                    <Show when={!continued()}>
                      <header>
                        <strong class="author">{message.author.username}</strong>
                        <time dateTime={new Date(message.at).toISOString()}>{time(message.at)}</time>
                      </header>
                    </Show>
                    <Show when={!message.removed} fallback={<p class="text removed">message removed</p>}>
                      <Show when={message.text}>
                        <p class="text">{message.text}</p>
                      </Show>
                      <Show when={message.attachment}>{(a) => <AttachmentView attachment={a()} />}</Show>
                      <div class="reactions">
                        <For each={message.reactions ?? []}>
                          {(r) => (
                            <button
                              class="reaction"
                              classList={{ mine: r.userIds.includes(user()?.id ?? -1) }}
                              title={`${r.count} reaction${r.count === 1 ? '' : 's'}`}
                              onClick={() => chat.react(message.id, r.emoji, message.reactions)}
                            >
                              {r.emoji} <span>{r.count}</span>
                            </button>
                          )}
                        </For>
                      </div>
                      <div class="message-tools">
                        <button class="reaction add" title="Add a reaction" aria-label="Add a reaction" onClick={() => setPicker({ for: 'reaction', message })}>
                          <SmilePlus aria-hidden="true" />
                        </button>
                        <Show when={message.author.id === user()?.id || staff()}>
                          <button class="tool" title="Remove this message" aria-label="Remove" onClick={() => setRemoving(message)}>
                            <Trash aria-hidden="true" />
                          </button>
                        </Show>
                        <Show when={staff() && message.author.id !== user()?.id}>
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
          <For each={chat.state.pending}>
            {(p) => (
              <article class="message pending" classList={{ failed: p.state === 'failed' }} data-pending={p.clientId}>
                <header>
                  <strong class="author">{user()?.username}</strong>
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
        </div>
        <p class="typing muted" aria-live="polite">{typingLine()}</p>
        <Show when={staged()}>
          {(a) => (
            <p class="staged" data-testid="staged-attachment">
              <Paperclip aria-hidden="true" /> <span class="attachment-name">{a().name}</span> <span class="muted">{formatBytes(a().size)}</span>
              <button type="button" class="link" aria-label={`Remove the attachment ${a().name}`} onClick={() => setStaged(undefined)}>
                <X aria-hidden="true" />
              </button>
            </p>
          )}
        </Show>
        <form class="composer" onSubmit={submit}>
          <button type="button" class="secondary icon" aria-label="Insert emoji" title="Insert emoji" onClick={() => setPicker(picker() ? undefined : { for: 'composer' })}>
            <Smile aria-hidden="true" />
          </button>
          <button type="button" class="secondary icon" aria-label="Attach a file" title="Attach a file" onClick={() => setAttaching(true)}>
            <Paperclip aria-hidden="true" />
          </button>
          <textarea
            ref={input}
            rows={1}
            placeholder="Write a message…"
            aria-label="Message"
            value={draft()}
            onInput={(e) => {
              setDraft(e.currentTarget.value)
              chat.typing()
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) submit(e)
            }}
          />
          <button type="submit" disabled={(!draft().trim() && !staged()) || length() > limits().maxMessageLength}>
            <SendHorizontal aria-hidden="true" />
            <span>Send</span>
          </button>
        </form>
        <Show when={length() > limits().maxMessageLength * 0.9}>
          <p class="muted counter" classList={{ error: length() > limits().maxMessageLength }}>
            {length()} / {limits().maxMessageLength}
          </p>
        </Show>
        <Show when={attaching()}>
          <AttachDialog
            onAttach={(a) => {
              setStaged(a)
              setAttaching(false)
              input?.focus()
            }}
            onClose={() => setAttaching(false)}
          />
        </Show>
        <Show when={picker()}>
          <EmojiPicker onPick={pick} onClose={() => setPicker(undefined)} />
        </Show>
        <Show when={removing()}>
          {(message) => (
            <div class="modal-backdrop">
              <div class="card modal" role="dialog" aria-modal="true" aria-label="Remove message">
                <p>
                  Remove this message{message().author.id === user()?.id ? '' : ` by ${message().author.username}`}? Everyone will see that it was removed.
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
            <For each={chat.state.members}>{(m) => <li classList={{ me: m.id === user()?.id }}>{m.username}</li>}</For>
          </ul>
        </aside>
      </Show>
    </section>
  )
}
