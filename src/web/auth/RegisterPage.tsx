import { AuthForm } from './AuthForm'
import { register } from './session'

export function RegisterPage() {
  return (
    <AuthForm
      title="Create an account"
      submitLabel="Create account"
      newPassword
      alternate={{ text: 'Already have an account?', href: '/login', link: 'Log in' }}
      onSubmit={register}
    />
  )
}
