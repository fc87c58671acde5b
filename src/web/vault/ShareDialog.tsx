// Sharing one item: with people (registered users, read-only; listed with a Remove button each) and, for a file,
// with anyone through a link that expires, may be limited in downloads and may need a password.
import { createResource, createSignal, For, Show } from 'solid-js'
import { api, errorMessage } from '../api'
import { CopyField } from '../ui/CopyField'
import { formatBytes, formatWhen } from '../ui/format'

export interface Shareable {
  kind: 'file' | 'folder'
  id: string
  name: string
}

const EXPIRIES: Array<[string, number]> = [
  ['1 hour', 3600],
  ['1 day', 86_400],
  ['7 days', 7 * 86_400],
  ['30 days', 30 * 86_400],
]

export function ShareDialog(props: { item: Shareable; onDone: () => void }) {
  return (
    <div class="modal-backdrop">
      <div class="card modal share-dialog" role="dialog" aria-modal="true" aria-label={`Share ${props.item.kind}`}>
        <h2>Share “{props.item.name}”</h2>
        <SharePeople item={props.item} />
        <Show when={props.item.kind === 'file'} fallback={<DropLink folderId={props.item.id} />}>
          <ShareLink fileId={props.item.id} />
        </Show>
        <div class="modal-actions">
          <button class="secondary" onClick={props.onDone}>
            Done
          </button>
        </div>
      </div>
    </div>
  )
}

function SharePeople(props: { item: Shareable }) {
  const [username, setUsername] = createSignal('')
  const [error, setError] = createSignal<string>()
  const [grants, { refetch }] = createResource(async () => {
    const { data, error } = await api.vault.grants.get()
    if (error) throw new Error(errorMessage(error))
    return data.grants.filter((g) => (props.item.kind === 'file' ? g.file?.id : g.folder?.id) === props.item.id)
  })
  const add = async (event: SubmitEvent) => {
    event.preventDefault()
    setError(undefined)
    const target = props.item.kind === 'file' ? { fileId: props.item.id } : { folderId: props.item.id }
    const { error } = await api.vault.grants.post({ username: username(), ...target })
    if (error) return setError(errorMessage(error))
    setUsername('')
    void refetch()
  }
  const remove = async (id: string) => {
    const { error } = await api.vault.grants({ id }).delete()
    if (error) setError(errorMessage(error))
    void refetch()
  }
  return (
    <section class="share-section" aria-label="Share with people">
      <h3>With people</h3>
      <p class="muted">They see it under “Shared with me” and can view and download it, not change it.</p>
      <form class="share-people" onSubmit={add}>
        <input aria-label="Username" placeholder="Username" autocomplete="off" maxLength={32} value={username()} onInput={(e) => setUsername(e.currentTarget.value)} required />
        <button type="submit">Share</button>
      </form>
      <Show when={error()}>
        <p class="error" role="alert">
          {error()}
        </p>
      </Show>
      <ul class="people" data-testid="shared-with">
        <For each={grants() ?? []}>
          {(grant) => (
            <li>
              <span class="person">{grant.recipient.username}</span>
              <button class="secondary danger" onClick={() => remove(grant.id)} aria-label={`Remove ${grant.recipient.username}`}>
                Remove
              </button>
            </li>
          )}
        </For>
      </ul>
    </section>
  )
}

/** Makes a share link for one file: how long it lives, how many downloads, an optional password; then its URL. */
function ShareLink(props: { fileId: string }) {
  const [expiry, setExpiry] = createSignal(7 * 86_400)
  const [limit, setLimit] = createSignal('')
  const [password, setPassword] = createSignal('')
  const [url, setUrl] = createSignal<string>()
  const [error, setError] = createSignal<string>()
  const create = async (event: SubmitEvent) => {
    event.preventDefault()
    setError(undefined)
    const { data, error } = await api.vault.files({ id: props.fileId }).shares.post({
      expiresInSeconds: expiry(),
      ...(limit() ? { maxDownloads: Number(limit()) } : {}),
      ...(password() ? { password: password() } : {}),
    })
    if (error) return setError(errorMessage(error))
    setUrl(data.share.url)
  }
  return (
    <section class="share-section" aria-label="Share with a link">
      <h3>With a link</h3>
      <Show
        when={url()}
        fallback={
          <form class="share-form" onSubmit={create}>
            <label>
              Link works for
              <select value={expiry()} onChange={(e) => setExpiry(Number(e.currentTarget.value))}>
                <For each={EXPIRIES}>{([label, seconds]) => <option value={seconds}>{label}</option>}</For>
              </select>
            </label>
            <label>
              Downloads allowed (empty: no limit)
              <input type="number" min={1} max={1000000} value={limit()} onInput={(e) => setLimit(e.currentTarget.value)} />
            </label>
            <label>
              Password (optional)
              <input type="password" autocomplete="new-password" minLength={4} maxLength={72} value={password()} onInput={(e) => setPassword(e.currentTarget.value)} />
            </label>
            <Show when={error()}>
              <p class="error" role="alert">
                {error()}
              </p>
            </Show>
            <div class="modal-actions">
              <button type="submit">Create link</button>
            </div>
          </form>
        }
      >
        {(link) => (
          <>
            <p class="muted">Anyone with this link can download the file{password() ? ' with the password' : ''}. You can revoke it any time.</p>
            <CopyField value={link()} label="Share link" testId="share-url" />
          </>
        )}
      </Show>
    </section>
  )
}

const DROP_SIZES: Array<[string, number]> = [
  ['100 MB', 100 * 1024 ** 2],
  ['1 GB', 1024 ** 3],
  ['10 GB', 10 * 1024 ** 3],
]

/** A file drop for a folder: a link through which anyone may upload into it (nothing in it is shown to them), with
 * how long it works and how much it may take; the folder's drops listed with Close. */
function DropLink(props: { folderId: string }) {
  const [expiry, setExpiry] = createSignal(7 * 86_400)
  const [size, setSize] = createSignal(1024 ** 3)
  const [url, setUrl] = createSignal<string>()
  const [error, setError] = createSignal<string>()
  const [drops, { refetch }] = createResource(async () => {
    const { data } = await api.vault.drops.get()
    return (data?.drops ?? []).filter((d) => d.folderId === props.folderId && d.state === 'live')
  })
  const create = async (event: SubmitEvent) => {
    event.preventDefault()
    setError(undefined)
    const { data, error } = await api.vault.folders({ id: props.folderId }).drops.post({ expiresInSeconds: expiry(), maxBytes: size() })
    if (error) return setError(errorMessage(error))
    setUrl(data.drop.url)
    void refetch()
  }
  const close = async (id: string) => {
    const { error } = await api.vault.drops({ id }).delete()
    if (error) setError(errorMessage(error))
    setUrl(undefined)
    void refetch()
  }
  return (
    <section class="share-section" aria-label="File drop">
      <h3>File drop</h3>
      <p class="muted">A link anyone can use to upload files into this folder. They cannot see what is in it.</p>
      <Show
        when={url()}
        fallback={
          <form class="share-form" onSubmit={create}>
            <div class="form-row">
              <label>
                Works for
                <select value={expiry()} onChange={(e) => setExpiry(Number(e.currentTarget.value))}>
                  <For each={EXPIRIES}>{([label, seconds]) => <option value={seconds}>{label}</option>}</For>
                </select>
              </label>
              <label>
                Takes up to
                <select value={size()} onChange={(e) => setSize(Number(e.currentTarget.value))}>
                  <For each={DROP_SIZES}>{([label, bytes]) => <option value={bytes}>{label}</option>}</For>
                </select>
              </label>
            </div>
            <div class="modal-actions">
              <button type="submit">Create upload link</button>
            </div>
          </form>
        }
      >
        {(link) => <CopyField value={link()} label="Upload link" testId="drop-url" />}
      </Show>
      <Show when={error()}>
        <p class="error" role="alert">
          {error()}
        </p>
      </Show>
      <ul class="people" data-testid="drops">
        <For each={drops() ?? []}>
          {(drop) => (
            <li>
              <span>
                {formatBytes(drop.bytesUsed)} of {formatBytes(drop.maxBytes)} · until {formatWhen(drop.expiresAt)}
              </span>
              <button class="secondary danger" onClick={() => close(drop.id)} aria-label="Close this upload link">
                Close
              </button>
            </li>
          )}
        </For>
      </ul>
    </section>
  )
}
