import { AuthForm } from './AuthForm'
import { login } from './session'

export function LoginPage() {
  return (
    <AuthForm
      title="Log in"
      submitLabel="Log in"
      alternate={{ text: 'New here?', href: '/register', link: 'Create an account' }}
      onSubmit={login}
    />
  )
}
