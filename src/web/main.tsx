import { render } from 'solid-js/web'
import { Route, Router } from '@solidjs/router'
import { lazy, onMount, type ParentProps } from 'solid-js'
import { refreshSession } from './auth/session'
import { LoginPage } from './auth/LoginPage'
import { RegisterPage } from './auth/RegisterPage'
import { Shell } from './shell/Shell'
import { HomePage } from './home/HomePage'
import { RoomsPage } from './rooms/RoomsPage'

// Each feature is its own chunk, so opening a call does not parse the vault's upload library (and the other way
// round). The one the address asks for starts loading at once, in parallel with the session check.
const pages = {
  chat: lazy(() => import('./chat/ChatPage').then((m) => ({ default: m.ChatPage }))),
  call: lazy(() => import('./rooms/CallPage').then((m) => ({ default: m.CallPage }))),
  vault: lazy(() => import('./vault/VaultPage').then((m) => ({ default: m.VaultPage }))),
  admin: lazy(() => import('./admin/AdminPage').then((m) => ({ default: m.AdminPage }))),
  share: lazy(() => import('./share/SharePage').then((m) => ({ default: m.SharePage }))),
  drop: lazy(() => import('./drop/DropPage').then((m) => ({ default: m.DropPage }))),
}
const wanted = location.pathname.split('/')[1]
if (wanted === 'chat') void pages.chat.preload()
else if (wanted === 'rooms' && location.pathname.split('/')[2]) void pages.call.preload()
else if (wanted === 'vault') void pages.vault.preload()
else if (wanted === 'admin') void pages.admin.preload()
else if (wanted === 's') void pages.share.preload()
else if (wanted === 'd') void pages.drop.preload()
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
      <Route path="/s/:token" component={pages.share} />
      <Route path="/d/:token" component={pages.drop} />
      <Route path="/" component={Shell}>
        <Route path="/" component={HomePage} />
        <Route path="/chat" component={pages.chat} />
        <Route path="/chat/dm/:id" component={pages.chat} />
        <Route path="/rooms" component={RoomsPage} />
        <Route path="/rooms/:name" component={pages.call} />
        <Route path="/vault" component={pages.vault} />
        <Route path="/vault/shared" component={pages.vault} />
        <Route path="/admin" component={pages.admin} />
        <Route path="*" component={() => <p>Page not found.</p>} />
      </Route>
    </Router>
  ),
  document.getElementById('root')!,
)
