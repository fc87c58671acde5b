import { createEffect, createSignal, For, on, Show } from 'solid-js'
import Smile from 'lucide-solid/icons/face-slightly-smiling'
import SmilePlus from 'lucide-solid/icons/face-slightly-smiling-plus'
import SendHorizontal from 'lucide-solid/icons/send-horizontal'
import { useGlobalChat } from './context'
import { EmojiPicker } from './EmojiPicker'
import { user } from '../auth/session'
import type { ChatMessage } from '../../rooms/protocol'
import { limits } from '../socket/connection'
import type { Chat } from './chat-store'

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

  const submit = (event?: Event) => {
    event?.preventDefault()
    const text = draft()
    if (!text.trim()) return
    stickToBottom = true
    chat.sendMessage(text)
    setDraft('')
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
                    <p class="text">{message.text}</p>
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
                      <button class="reaction add" title="Add a reaction" aria-label="Add a reaction" onClick={() => setPicker({ for: 'reaction', message })}>
                        <SmilePlus aria-hidden="true" />
                      </button>
                    </div>
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
                <p class="text">{p.text}</p>
                <Show when={p.state === 'failed'}>
                  <button class="link" onClick={() => chat.retry(p.clientId)}>Retry</button>{' '}
                  <button class="link" onClick={() => chat.discard(p.clientId)}>Discard</button>
                </Show>
              </article>
            )}
          </For>
        </div>
        <p class="typing muted" aria-live="polite">{typingLine()}</p>
        <form class="composer" onSubmit={submit}>
          <button type="button" class="secondary icon" aria-label="Insert emoji" title="Insert emoji" onClick={() => setPicker(picker() ? undefined : { for: 'composer' })}>
            <Smile aria-hidden="true" />
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
          <button type="submit" disabled={!draft().trim() || length() > limits().maxMessageLength}>
            <SendHorizontal aria-hidden="true" />
            <span>Send</span>
          </button>
        </form>
        <Show when={length() > limits().maxMessageLength * 0.9}>
          <p class="muted counter" classList={{ error: length() > limits().maxMessageLength }}>
            {length()} / {limits().maxMessageLength}
          </p>
        </Show>
        <Show when={picker()}>
          <EmojiPicker onPick={pick} onClose={() => setPicker(undefined)} />
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
