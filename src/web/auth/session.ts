// The logged-in user, as the whole client sees it. The token itself stays in an HttpOnly cookie the page never reads.
import { createSignal } from 'solid-js'
import { api, errorMessage } from '../api'

export interface CurrentUser {
  id: number
  username: string
  createdAt: string
  role: 'admin' | 'moderator' | 'member'
}

const [user, setUser] = createSignal<CurrentUser | null>(null)
const [checked, setChecked] = createSignal(false)

export { user, checked }

/** Asks the server who we are (the cookie rides along); also slides the session forward. Only the server's own
 * "401" logs the page out: an unreachable server (a restart, a network drop) leaves the user as they were. */
export async function refreshSession(): Promise<void> {
  try {
    const { data, error } = await api.auth.me.get()
    if (data) setUser(data.user)
    else if (error?.status === 401) setUser(null)
  } catch {
    // unreachable: keep the current state
  } finally {
    setChecked(true)
  }
}

export async function login(username: string, password: string): Promise<string | undefined> {
  const { data, error } = await api.auth.login.post({ username, password })
  if (error || !data) return errorMessage(error)
  setUser(data.user)
  return undefined
}

export async function register(username: string, password: string, invite?: string): Promise<string | undefined> {
  const { error } = await api.auth.register.post({ username, password, ...(invite ? { invite } : {}) })
  if (error) return errorMessage(error)
  return login(username, password)
}

export async function logout(): Promise<void> {
  await api.auth.logout.post().catch(() => undefined)
  setUser(null)
}
