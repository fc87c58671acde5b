import { render } from 'solid-js/web'
import { Route, Router } from '@solidjs/router'
import { onMount, type ParentProps } from 'solid-js'
import { refreshSession } from './auth/session'
import { LoginPage } from './auth/LoginPage'
import { RegisterPage } from './auth/RegisterPage'
import { Shell } from './shell/Shell'
import { HomePage } from './home/HomePage'
import { ChatPage } from './chat/ChatPage'
import { RoomsPage } from './rooms/RoomsPage'
import { CallPage } from './rooms/CallPage'
import { VaultPage } from './vault/VaultPage'
import './styles.css'

function Root(props: ParentProps) {
  onMount(() => {
    void refreshSession()
    // Keeps the sliding session alive while the tab is open.
    setInterval(() => void refreshSession(), 5 * 60_000)
  })
  return <>{props.children}</>
}

render(
  () => (
    <Router root={Root}>
      <Route path="/login" component={LoginPage} />
      <Route path="/register" component={RegisterPage} />
      <Route path="/" component={Shell}>
        <Route path="/" component={HomePage} />
        <Route path="/chat" component={ChatPage} />
        <Route path="/rooms" component={RoomsPage} />
        <Route path="/rooms/:name" component={CallPage} />
        <Route path="/vault" component={VaultPage} />
        <Route path="*" component={() => <p>Page not found.</p>} />
      </Route>
    </Router>
  ),
  document.getElementById('root')!,
)
