// The chat page: the global chat and the person's private conversations (a list with unread counts on the side),
// search over all of them, and starting a conversation.
import { useNavigate, useParams, useSearchParams } from '@solidjs/router'
import { createEffect, createMemo, createSignal, For, on, onCleanup, Show } from 'solid-js'
import Search from 'lucide-solid/icons/search'
import Plus from 'lucide-solid/icons/plus'
import Bell from 'lucide-solid/icons/bell'
import X from 'lucide-solid/icons/x'
import { useGlobalChat } from './context'
import { ChatView } from './ChatView'
import { createChat, type Chat } from './chat-store'
import { user } from '../auth/session'
import { conversations, conversationTitle, startConversation, type Conversation } from './conversations'
import { askNotificationPermission, chatPath, countLabel, notificationPermission, unreadRooms } from './unread'
import { onServerMessage, send } from '../socket/connection'
import { MAX_CONVERSATION_MEMBERS } from '../../rooms/constants'
import type { SearchHit, UserRef } from '../../rooms/protocol'
import { renderMessage } from './markdown'

export function ChatPage() {
  const params = useParams<{ id?: string }>()
  const [query, setQuery] = useSearchParams<{ message?: string; q?: string }>()
  const navigate = useNavigate()
  const global = useGlobalChat()
  const room = () => (params.id ? `dm:${params.id}` : 'global')

  // A conversation's chat lives while it is on screen; the global chat is the shell's and always joined.
  const [conversationChat, setConversationChat] = createSignal<Chat>()
  createEffect(
    on(room, (name) => {
      const previous = conversationChat()
      previous?.dispose()
      if (name === 'global') return setConversationChat(undefined)
      const chat = createChat(name, user)
      chat.start()
      setConversationChat(chat)
    }),
  )
  onCleanup(() => conversationChat()?.dispose())
  const current = () => (room() === 'global' ? global : conversationChat())
  const conversation = createMemo(() => conversations()?.find((c) => c.room === room()))

  // ?message=<id>: a search hit or a notification opens the chat at that message.
  createEffect(
    on([() => query.message, current], ([message, chat]) => {
      const id = Number(message)
      if (!chat || !Number.isInteger(id) || id <= 0) return
      chat.jumpTo(id)
      setQuery({ message: undefined }, { replace: true })
    }),
  )

  const messagePerson = async (person: UserRef) => {
    const { conversation, error } = await startConversation([person.username])
    if (conversation) navigate(`/chat/dm/${conversation.id}`)
    else setProblem(error)
  }
  const [problem, setProblem] = createSignal<string>()
  const [starting, setStarting] = createSignal(false)
  const [searching, setSearching] = createSignal(query.q !== undefined)
  // Opening a chat (from the list, a hit, a notification) closes the search.
  createEffect(on(room, () => setSearching(false), { defer: true }))

  const searchButton = (
    <button class="secondary icon" aria-label="Search" title="Search every chat" onClick={() => setSearching(true)}>
      <Search aria-hidden="true" />
    </button>
  )

  return (
    <section class="chat-page">
      <nav class="chat-rooms card" aria-label="Chats">
        <a href="/chat" class="chat-room" classList={{ active: room() === 'global' && !searching() }} aria-current={room() === 'global' && !searching() ? 'page' : undefined}>
          <span class="name">Everyone</span>
          <UnreadBadge room="global" />
        </a>
        <div class="chat-rooms-heading">
          <h2>Direct messages</h2>
          <button class="link icon-only" aria-label="New conversation" title="New conversation" onClick={() => setStarting(true)}>
            <Plus aria-hidden="true" />
          </button>
        </div>
        <ul data-testid="conversations">
          <For each={conversations() ?? []} fallback={<li class="muted small">None yet: press + or a person's name.</li>}>
            {(c) => (
              <li>
                <a href={`/chat/dm/${c.id}`} class="chat-room" classList={{ active: room() === c.room && !searching() }} aria-current={room() === c.room && !searching() ? 'page' : undefined}>
                  <span class="name">{conversationTitle(c, user()?.id)}</span>
                  <UnreadBadge room={c.room} />
                </a>
              </li>
            )}
          </For>
        </ul>
        <Show when={notificationPermission() === 'default'}>
          <button class="secondary notify" onClick={() => void askNotificationPermission()}>
            <Bell aria-hidden="true" /> Notify me of mentions
          </button>
        </Show>
      </nav>
      <Show when={problem()}>
        <p class="error banner chat-problem" role="alert">
          {problem()} <button class="link" onClick={() => setProblem(undefined)}>dismiss</button>
        </p>
      </Show>
      <Show
        when={!searching()}
        fallback={
          <SearchPanel
            initial={query.q ?? ''}
            onClose={() => setSearching(false)}
            onOpen={(hit) => {
              setSearching(false)
              navigate(chatPath(hit.room, hit.message.id))
            }}
          />
        }
      >
        <Show when={current()} keyed>
          {(chat) => (
            <ChatView
              chat={chat}
              room={room()}
              title={room() === 'global' ? 'Chat' : conversationTitle(conversation(), user()?.id)}
              subtitle={room() === 'global' ? 'Everyone on this server' : 'Private conversation'}
              members={room() === 'global'}
              onMessagePerson={(person) => void messagePerson(person)}
              actions={searchButton}
            />
          )}
        </Show>
      </Show>
      <Show when={starting()}>
        <NewConversation
          onClose={() => setStarting(false)}
          onStarted={(c) => {
            setStarting(false)
            navigate(`/chat/dm/${c.id}`)
          }}
        />
      </Show>
    </section>
  )
}

function UnreadBadge(props: { room: string }) {
  const state = () => unreadRooms[props.room]
  return (
    <Show when={(state()?.unread ?? 0) > 0 || (state()?.mentions ?? 0) > 0}>
      <span class="count" classList={{ mention: state()!.mentions > 0 }} data-testid={`unread-${props.room}`} aria-hidden="true">
        {state()!.mentions > 0 ? `@${countLabel(state()!.mentions)}` : countLabel(state()!.unread)}
      </span>
      <span class="visually-hidden">
        , {countLabel(state()!.unread)} unread{state()!.mentions > 0 ? `, ${countLabel(state()!.mentions)} mentioning you` : ''}
      </span>
    </Show>
  )
}

function NewConversation(props: { onClose: () => void; onStarted: (c: Conversation) => void }) {
  const [names, setNames] = createSignal('')
  const [error, setError] = createSignal<string>()
  const [busy, setBusy] = createSignal(false)
  const submit = async (event: Event) => {
    event.preventDefault()
    const usernames = names()
      .split(/[\s,]+/)
      .map((n) => n.replace(/^@/, ''))
      .filter(Boolean)
    if (usernames.length === 0) return setError('name at least one person')
    setBusy(true)
    const { conversation, error } = await startConversation(usernames)
    setBusy(false)
    if (conversation) props.onStarted(conversation)
    else setError(error)
  }
  return (
    <div class="modal-backdrop">
      <form class="card modal" role="dialog" aria-modal="true" aria-label="New conversation" onSubmit={submit}>
        <h2>New conversation</h2>
        <label>
          People (up to {MAX_CONVERSATION_MEMBERS - 1}, by username)
          <input value={names()} onInput={(e) => setNames(e.currentTarget.value)} placeholder="ana, bob" autofocus />
        </label>
        <Show when={error()}>
          <p class="error" role="alert">{error()}</p>
        </Show>
        <div class="modal-actions">
          <button type="button" class="secondary" onClick={props.onClose}>Cancel</button>
          <button type="submit" disabled={busy()}>Start</button>
        </div>
      </form>
    </div>
  )
}

const roomLabel = (room: string, me: number | undefined) =>
  room === 'global' ? 'Everyone' : conversationTitle(conversations()?.find((c) => c.room === room), me)

function SearchPanel(props: { initial: string; onClose: () => void; onOpen: (hit: SearchHit) => void }) {
  const [text, setText] = createSignal(props.initial)
  const [result, setResult] = createSignal<{ terms: string[]; hits: SearchHit[]; hasMore: boolean }>()
  const [error, setError] = createSignal<string>()
  const [busy, setBusy] = createSignal(false)
  let pendingReq = ''
  let lastQuery = ''
  const off = onServerMessage((frame) => {
    if (frame.type === 'chat.search' && frame.req === pendingReq) {
      setBusy(false)
      const previous = result()
      setResult(previous && frame.hits.length > 0 && previous.hits.length > 0 && lastQuery === text() && frame.req.endsWith(':more') ? { ...frame, hits: [...previous.hits, ...frame.hits] } : frame)
    } else if (frame.type === 'error' && frame.ref === pendingReq) {
      setBusy(false)
      setError(frame.message)
    }
  })
  onCleanup(off)
  const run = (before?: number) => {
    if (!text().trim()) return
    setError(undefined)
    setBusy(true)
    lastQuery = text()
    pendingReq = `${crypto.randomUUID()}${before ? ':more' : ''}`
    send({ type: 'chat.search', req: pendingReq, query: text().slice(0, 200), ...(before ? { before } : {}) })
  }
  if (props.initial.trim()) run()
  return (
    <section class="chat search-panel no-members">
      <div class="chat-main">
        <header class="chat-header">
          <h1>Search</h1>
          <span class="spacer" />
          <button class="secondary icon" aria-label="Close search" title="Close search" onClick={props.onClose}>
            <X aria-hidden="true" />
          </button>
        </header>
        <form
          class="search-form"
          onSubmit={(e) => {
            e.preventDefault()
            setResult(undefined)
            run()
          }}
        >
          <input type="search" aria-label="Words to find" placeholder="Words to find in every chat you can read" value={text()} onInput={(e) => setText(e.currentTarget.value)} maxLength={200} autofocus />
          <button type="submit" disabled={busy() || !text().trim()}>
            <Search aria-hidden="true" /> <span>Search</span>
          </button>
        </form>
        <Show when={error()}>
          <p class="error" role="alert">{error()}</p>
        </Show>
        <div class="message-list search-results" data-testid="search-results">
          <Show when={result()}>
            {(r) => (
              <>
                <Show when={r().hits.length === 0}>
                  <p class="muted empty">Nothing found.</p>
                </Show>
                <For each={r().hits}>
                  {(hit) => (
                    <button class="search-hit" onClick={() => props.onOpen(hit)} data-testid="search-hit">
                      <span class="where muted">
                        {roomLabel(hit.room, user()?.id)} · <strong>{hit.message.author.username}</strong> · {new Date(hit.message.at).toLocaleString()}
                      </span>
                      <span class="text formatted" innerHTML={highlight(renderMessage(hit.message.text, (hit.message.mentions ?? []).map((u) => u.username), user()?.username), r().terms)} />
                    </button>
                  )}
                </For>
                <Show when={r().hasMore}>
                  <button class="secondary" disabled={busy()} onClick={() => run(r().hits.at(-1)?.message.id)}>
                    More results
                  </button>
                </Show>
              </>
            )}
          </Show>
        </div>
      </div>
    </section>
  )
}

/** Marks the searched words (as prefixes, like the search) in rendered HTML, outside tags. Links become plain text:
 * the whole hit is one button that opens the message. */
function highlight(rendered: string, terms: string[]): string {
  const html = rendered.replace(/<a [^>]*>/g, '<span class="link-text">').replace(/<\/a>/g, '</span>')
  if (terms.length === 0) return html
  const words = new RegExp(`(?<![\\p{L}\\p{N}&])(${terms.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`, 'giu')
  return html.replace(/(<[^>]*>)|([^<]+)/g, (_, tag: string | undefined, text: string | undefined) => tag ?? text!.replace(words, '<mark>$1</mark>'))
}
