// What someone opening a share link sees, logged in or not: the file's name, size, type and how long the link
// lives, a password form when the link has one, a preview when the type and the link allow, and Download. An
// ended link says why; a wrong one says so.
import { createResource, createSignal, Show } from 'solid-js'
import { useParams } from '@solidjs/router'
import { fetchLinkInfo, LinkEnded, type LinkEnd } from './LinkInfo'
import { formatBytes, formatWhen } from '../ui/format'
import { PreviewBody } from '../vault/Preview'

interface ShareInfo {
  name: string
  size: number
  contentType: string
  expiresAt: string
  downloadsLeft: number | null
  hasPassword: boolean
  /** The file may be shown in place (a safe type, and a link without a download limit). */
  preview: boolean
  unlocked: boolean
}

const ENDED_TITLE: Record<string, string> = {
  share_expired: 'This link has expired',
  share_revoked: 'This link was revoked',
  share_used_up: 'This link has been used up',
  share_deleted: 'The shared file was deleted',
  share_not_found: 'No such link',
}

export function SharePage() {
  const params = useParams<{ token: string }>()
  const base = () => `/s/${encodeURIComponent(params.token)}`
  const [password, setPassword] = createSignal('')
  const [error, setError] = createSignal<string>()
  const [info, { refetch }] = createResource(
    () => params.token,
    () => fetchLinkInfo<ShareInfo>(`${base()}/info`, 'share'),
  )

  const unlock = async (event: SubmitEvent) => {
    event.preventDefault()
    setError(undefined)
    const response = await fetch(`${base()}/unlock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: password() }) })
    if (response.ok) return void refetch()
    const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } }
    setError(body.error?.message ?? `the server answered ${response.status}`)
  }

  return (
    <main class="auth-page">
      <section class="card share-card" data-testid="share-page">
        <p class="brand">PartyRoom</p>
        <Show when={info()} fallback={<p class="muted">Loading…</p>}>
          {(loaded) => (
            <Show
              when={loaded().ok ? (loaded() as { info: ShareInfo }).info : undefined}
              fallback={<LinkEnded end={loaded() as LinkEnd} titles={ENDED_TITLE} testId="share-ended" />}
            >
              {(share) => (
                <>
                  <h1 class="share-name">{share().name}</h1>
                  <p class="muted" data-testid="share-meta">
                    {formatBytes(share().size)} · {share().contentType} · available until{' '}
                    {formatWhen(share().expiresAt)}
                    <Show when={share().downloadsLeft !== null}>
                      {' '}
                      · {share().downloadsLeft} {share().downloadsLeft === 1 ? 'download' : 'downloads'} left
                    </Show>
                  </p>
                  <Show
                    when={!share().hasPassword || share().unlocked}
                    fallback={
                      <form class="share-unlock" onSubmit={unlock}>
                        <label>
                          This file is protected by a password
                          <input type="password" autocomplete="off" required value={password()} onInput={(e) => setPassword(e.currentTarget.value)} />
                        </label>
                        <button type="submit">Unlock</button>
                      </form>
                    }
                  >
                    <Show when={share().preview}>
                      <PreviewBody file={{ name: share().name, size: share().size, contentType: share().contentType, src: `${base()}/content` }} />
                    </Show>
                    <a class="button primary" href={`${base()}/content`} download={share().name} data-testid="share-download">
                      Download
                    </a>
                  </Show>
                  <Show when={error()}>
                    <p class="error" role="alert">
                      {error()}
                    </p>
                  </Show>
                </>
              )}
            </Show>
          )}
        </Show>
      </section>
    </main>
  )
}
