// The logged-in frame: navigation to the features, who you are, connection state, logout.
import { A, useNavigate } from '@solidjs/router'
import { createEffect, onCleanup, Show, type ParentProps } from 'solid-js'
import { checked, logout, refreshSession, user } from '../auth/session'
import { connect, disconnect, latencyMs, node, outdated, status } from '../socket/connection'
import { createChat } from '../chat/chat-store'
import { GlobalChatContext } from '../chat/context'
import { chatPath, countLabel, onNotificationClick, totals } from '../chat/unread'

export function Shell(props: ParentProps) {
  const navigate = useNavigate()

  createEffect(() => {
    if (checked() && !user()) navigate('/login', { replace: true })
  })
  // The socket authenticates with the session cookie itself, so it opens at once, in parallel with the session
  // check; if the session is gone, its refused upgrade leads to the same check and the login page.
  connect(() => void refreshSession())
  // The global chat is joined for as long as the user is logged in (presence means "here").
  const chat = createChat('global', user)
  chat.start()
  onNotificationClick((room, messageId) => navigate(chatPath(room, messageId)))
  onCleanup(() => {
    chat.dispose()
    disconnect()
  })

  const chatLabel = () => {
    const { unread, mentions } = totals()
    if (unread === 0 && mentions === 0) return 'no unread messages'
    return `${countLabel(unread)} unread${mentions > 0 ? `, ${countLabel(mentions)} mentioning you` : ''}`
  }

  const signOut = async () => {
    chat.dispose()
    disconnect()
    await logout()
    navigate('/login', { replace: true })
  }

  return (
    <Show when={user()} fallback={<p class="loading">Loading…</p>}>
      {(current) => (
        <div class="shell">
          <header class="topbar">
            <A href="/" class="brand" end>
              PartyRoom
            </A>
            <nav>
              {/* The link's name stays "Chat"; the counts are its description, for screen readers. */}
              <A href="/chat" aria-describedby="chat-unread-description">
                Chat
                <Show when={totals().unread > 0 || totals().mentions > 0}>
                  <span class="count" classList={{ mention: totals().mentions > 0 }} data-testid="chat-unread" aria-hidden="true">
                    {totals().mentions > 0 ? `@${countLabel(totals().mentions)}` : countLabel(totals().unread)}
                  </span>
                </Show>
              </A>
              <span id="chat-unread-description" class="visually-hidden">
                {chatLabel()}
              </span>
              <A href="/rooms">Rooms</A>
              <A href="/vault">Vault</A>
              <Show when={current().role === 'admin' || current().role === 'moderator'}>
                <A href="/admin">{current().role === 'admin' ? 'Admin' : 'Invites'}</A>
              </Show>
            </nav>
            <span class={`status status-${status()}`} data-testid="connection-status" data-node={node()} title={node() ? `live connection, to server ${node()}` : 'live connection'}>
              {status() === 'online' ? `online${latencyMs() !== undefined ? ` · ${latencyMs()} ms` : ''}` : status()}
            </span>
            <span class="whoami" data-testid="current-user">
              {current().username}
            </span>
            <button class="secondary" onClick={signOut}>
              Log out
            </button>
          </header>
          <Show when={outdated()}>
            <p class="banner update" role="status">
              PartyRoom was updated on the server. <button class="link" onClick={() => location.reload()}>Reload</button> to use the new
              version.
            </p>
          </Show>
          <GlobalChatContext.Provider value={chat}>
            <main class="content">{props.children}</main>
          </GlobalChatContext.Provider>
        </div>
      )}
    </Show>
  )
}
