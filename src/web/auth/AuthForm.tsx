import { createEffect, createSignal, Show, type JSX } from 'solid-js'
import { A, useNavigate } from '@solidjs/router'
import { user } from './session'

interface Props {
  title: string
  submitLabel: string
  /** Resolves to an error message, or undefined on success. */
  onSubmit: (username: string, password: string) => Promise<string | undefined>
  alternate: { text: string; href: string; link: string }
  newPassword?: boolean
  /** Shown under the title (an invitation). */
  note?: JSX.Element
}

export function AuthForm(props: Props) {
  const [username, setUsername] = createSignal('')
  const [password, setPassword] = createSignal('')
  const [error, setError] = createSignal<string>()
  const [busy, setBusy] = createSignal(false)
  const navigate = useNavigate()
  // Someone already logged in who opens /login goes straight to the app.
  createEffect(() => {
    if (user()) navigate('/', { replace: true })
  })

  const submit = async (event: SubmitEvent) => {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      setError(await props.onSubmit(username().trim(), password()))
    } catch {
      setError('the server could not be reached')
    } finally {
      setBusy(false)
    }
  }

  return (
    <main class="auth-page">
      <form class="card auth-card" onSubmit={submit}>
        <h1>PartyRoom</h1>
        <h2>{props.title}</h2>
        {props.note}
        <label>
          Username
          <input
            name="username"
            autocomplete="username"
            required
            minLength={3}
            maxLength={32}
            pattern="[A-Za-z0-9_.\-]{3,32}"
            title="3 to 32 characters: letters, digits, _ - ."
            value={username()}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete={props.newPassword ? 'new-password' : 'current-password'}
            required
            minLength={props.newPassword ? 8 : undefined}
            value={password()}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <Show when={error()}>
          <p class="error" role="alert">
            {error()}
          </p>
        </Show>
        <button type="submit" disabled={busy()}>
          {busy() ? 'Please wait…' : props.submitLabel}
        </button>
        <p class="muted">
          {props.alternate.text} <A href={props.alternate.href}>{props.alternate.link}</A>
        </p>
      </form>
    </main>
  )
}
