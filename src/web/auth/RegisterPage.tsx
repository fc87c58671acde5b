import { Show } from 'solid-js'
import { useSearchParams } from '@solidjs/router'
import { AuthForm } from './AuthForm'
import { register } from './session'

export function RegisterPage() {
  // An invite link is /register?invite=<code>: the code goes with the registration.
  const [params] = useSearchParams()
  const invite = () => (typeof params.invite === 'string' && /^[A-Za-z0-9_-]{16,64}$/.test(params.invite) ? params.invite : undefined)
  return (
    <AuthForm
      title="Create an account"
      submitLabel="Create account"
      newPassword
      note={
        <Show when={invite()}>
          <p class="muted" data-testid="invited">
            You were invited: choose a username and a password.
          </p>
        </Show>
      }
      alternate={{ text: 'Already have an account?', href: '/login', link: 'Log in' }}
      onSubmit={(username, password) => register(username, password, invite())}
    />
  )
}
