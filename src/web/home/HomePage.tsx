import { A } from '@solidjs/router'
import { user } from '../auth/session'

export function HomePage() {
  return (
    <section>
      <h1>Welcome, {user()?.username}</h1>
      <p class="muted">Everything your group needs, on your own server.</p>
      <div class="tiles">
        <A class="tile card" href="/chat">
          <h2>Chat</h2>
          <p>The open chat everyone on this server shares.</p>
        </A>
        <A class="tile card" href="/rooms">
          <h2>Rooms</h2>
          <p>Video calls by room name, from two people to a crowd.</p>
        </A>
        <A class="tile card" href="/vault">
          <h2>Vault</h2>
          <p>Your private files: upload, download, only yours.</p>
        </A>
      </div>
    </section>
  )
}
