// Start or join a video room by name; a room exists while someone is in it, and its link is its address.
import { A, useNavigate } from '@solidjs/router'
import { createSignal, For, Show } from 'solid-js'
import { randomRoomName, recentRooms, validRoomName } from './names'

export function RoomsPage() {
  const navigate = useNavigate()
  const [name, setName] = createSignal('')
  const [error, setError] = createSignal<string>()
  const recent = recentRooms()

  const join = (event: Event) => {
    event.preventDefault()
    const room = name().trim()
    if (!validRoomName(room)) {
      setError('Room names are 1-64 letters, digits, - or _, starting with a letter or digit ("global" is taken by the chat).')
      return
    }
    navigate(`/rooms/${room}`)
  }

  return (
    <section class="rooms">
      <h1>Rooms</h1>
      <p class="muted">A video call with a chat of its own. Everyone who opens the same room name is in the same call.</p>
      <form class="card rooms-form" onSubmit={join}>
        <label>
          Room name
          <input
            value={name()}
            onInput={(e) => {
              setName(e.currentTarget.value)
              setError(undefined)
            }}
            placeholder="team-standup"
            maxLength={64}
            aria-invalid={error() !== undefined}
            data-testid="room-name"
          />
        </label>
        <div class="row">
          <button type="submit" data-testid="join-room">
            Join
          </button>
          <button type="button" class="secondary" onClick={() => navigate(`/rooms/${randomRoomName()}`)}>
            New room with a random name
          </button>
        </div>
        <Show when={error()}>
          <p class="error" role="alert">
            {error()}
          </p>
        </Show>
      </form>
      <Show when={recent.length > 0}>
        <h2>Recent rooms</h2>
        <ul class="recent-rooms">
          <For each={recent}>
            {(room) => (
              <li>
                <A href={`/rooms/${room}`}>{room}</A>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  )
}
