import { createResource, createSignal, For, onCleanup, Show } from 'solid-js'
import { api, errorMessage } from '../api'
import type { PublicFile } from '../../server/vault/views'
import { createUploads } from './uploads'
import { formatBytes, formatDuration, formatWhen } from '../ui/format'
import { Pager } from '../ui/Pager'
import { CopyField } from '../ui/CopyField'

type Sort = 'created' | 'name' | 'size'
const PAGE = 50

export function VaultPage() {
  const [sort, setSort] = createSignal<{ by: Sort; order: 'asc' | 'desc' }>({ by: 'created', order: 'desc' })
  const [page, setPage] = createSignal(0)
  const [error, setError] = createSignal<string>()
  const [dragging, setDragging] = createSignal(false)
  const [confirming, setConfirming] = createSignal<PublicFile>()
  const [renaming, setRenaming] = createSignal<{ id: string; name: string }>()
  const [sharing, setSharing] = createSignal<PublicFile>()
  const [links, { refetch: refetchLinks }] = createResource(async () => (await api.vault.shares.get()).data?.shares ?? [])
  // Downloads through the links happen elsewhere: their counts and states are fetched again now and then, and when
  // the person comes back to the tab.
  const relist = () => document.visibilityState === 'visible' && void refetchLinks()
  const linkTimer = setInterval(relist, 10_000)
  document.addEventListener('visibilitychange', relist)
  onCleanup(() => {
    clearInterval(linkTimer)
    document.removeEventListener('visibilitychange', relist)
  })

  const [listing, { refetch: refetchList }] = createResource(
    () => ({ ...sort(), offset: page() * PAGE }),
    async ({ by, order, offset }) => {
      const { data, error } = await api.vault.files.get({ query: { sort: by, order, offset, limit: PAGE } })
      if (error) throw new Error(errorMessage(error))
      return data
    },
  )
  const [usage, { refetch: refetchUsage }] = createResource(async () => {
    const { data } = await api.vault.usage.get()
    return data ?? undefined
  })
  const refresh = () => {
    void refetchList()
    void refetchUsage()
  }
  const uploads = createUploads(refresh)

  const sortBy = (by: Sort) =>
    setSort((current) => ({ by, order: current.by === by ? (current.order === 'asc' ? 'desc' : 'asc') : by === 'name' ? 'asc' : 'desc' }))
  const arrow = (by: Sort) => (sort().by === by ? (sort().order === 'asc' ? ' ▲' : ' ▼') : '')

  const remove = async (file: PublicFile) => {
    setConfirming(undefined)
    const { error } = await api.vault.files({ id: file.id }).delete()
    if (error) setError(errorMessage(error))
    refresh()
  }

  const rename = async (event: SubmitEvent) => {
    event.preventDefault()
    const target = renaming()
    if (!target) return
    const { error } = await api.vault.files({ id: target.id }).patch({ name: target.name })
    if (error) return setError(errorMessage(error))
    setRenaming(undefined)
    refresh()
  }

  const quotaShare = () => {
    const u = usage()
    return u && u.quotaBytes > 0 ? Math.min(1, u.usedBytes / u.quotaBytes) : 0
  }

  return (
    <section class="vault">
      <header class="vault-header">
        <h1>Vault</h1>
        <Show when={usage()}>
          {(u) => (
            <div class="quota" title={`${u().files} files`}>
              <div class="meter" role="meter" aria-label="Storage used" aria-valuemin={0} aria-valuemax={u().quotaBytes} aria-valuenow={u().usedBytes}>
                <div class="meter-fill" classList={{ high: quotaShare() > 0.9 }} style={{ width: `${quotaShare() * 100}%` }} />
              </div>
              <span class="muted" data-testid="quota">
                {formatBytes(u().usedBytes)} of {formatBytes(u().quotaBytes)} used
              </span>
            </div>
          )}
        </Show>
      </header>

      <Show when={error()}>
        <p class="error banner" role="alert">
          {error()} <button class="link" onClick={() => setError(undefined)}>dismiss</button>
        </p>
      </Show>

      <label
        class="dropzone"
        classList={{ dragging: dragging() }}
        onDragOver={(e) => {
          e.preventDefault()
          setDragging(true)
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault()
          setDragging(false)
          if (e.dataTransfer?.files.length) uploads.add(e.dataTransfer.files)
        }}
      >
        <input
          type="file"
          multiple
          aria-label="Choose files to upload"
          onChange={(e) => {
            if (e.currentTarget.files) uploads.add(e.currentTarget.files)
            e.currentTarget.value = ''
          }}
        />
        <strong>Drop files here</strong> or click to choose. Only you can see them.
      </label>

      <Show when={uploads.items.length > 0}>
        <ul class="uploads" aria-label="Uploads">
          <For each={uploads.items}>
            {(item) => (
              <li class="upload card" data-state={item.state}>
                <div class="upload-line">
                  <strong class="upload-name">{item.name}</strong>
                  <span class="muted">
                    {item.state === 'done'
                      ? 'done'
                      : item.state === 'failed'
                        ? `failed: ${item.error}`
                        : item.state === 'paused'
                          ? `paused at ${formatBytes(item.sent)}`
                          : `${formatBytes(item.sent)} of ${formatBytes(item.total)} · ${formatBytes(item.speed)}/s · ${formatDuration(
                              item.speed > 0 ? (item.total - item.sent) / item.speed : Infinity,
                            )} left`}
                  </span>
                  <span class="upload-actions">
                    <Show when={item.state === 'uploading'}>
                      <button class="secondary" onClick={() => uploads.pause(item.key)}>Pause</button>
                    </Show>
                    <Show when={item.state === 'paused'}>
                      <button class="secondary" onClick={() => uploads.resume(item.key)}>Resume</button>
                    </Show>
                    <Show when={item.state === 'uploading' || item.state === 'paused'}>
                      <button class="secondary" onClick={() => uploads.cancel(item.key)}>Cancel</button>
                    </Show>
                    <Show when={item.state === 'done' || item.state === 'failed'}>
                      <button class="link" onClick={() => uploads.dismiss(item.key)}>dismiss</button>
                    </Show>
                  </span>
                </div>
                <progress max={item.total || 1} value={item.state === 'done' ? item.total || 1 : item.sent} aria-label={`Upload of ${item.name}`} />
              </li>
            )}
          </For>
        </ul>
      </Show>

      <table class="files card">
        <thead>
          <tr>
            <th>
              <button class="link" onClick={() => sortBy('name')}>Name{arrow('name')}</button>
            </th>
            <th class="num">
              <button class="link" onClick={() => sortBy('size')}>Size{arrow('size')}</button>
            </th>
            <th>
              <button class="link" onClick={() => sortBy('created')}>Added{arrow('created')}</button>
            </th>
            <th />
          </tr>
        </thead>
        <tbody data-testid="files">
          <For each={listing()?.files ?? []} fallback={<tr><td colSpan={4} class="muted empty">{listing.loading ? 'Loading…' : 'No files yet.'}</td></tr>}>
            {(file) => (
              <tr data-file-id={file.id}>
                <td class="file-name">
                  <Show when={renaming()?.id === file.id} fallback={<span>{file.name}</span>}>
                    <form class="rename" onSubmit={rename}>
                      <input aria-label="New name" value={renaming()!.name} onInput={(e) => setRenaming({ id: file.id, name: e.currentTarget.value })} autofocus />
                      <button type="submit">Save</button>
                      <button type="button" class="secondary" onClick={() => setRenaming(undefined)}>Cancel</button>
                    </form>
                  </Show>
                </td>
                <td class="num">{formatBytes(file.size)}</td>
                <td>{formatWhen(file.createdAt)}</td>
                <td class="file-actions">
                  <a class="button secondary" href={`/api/vault/files/${file.id}/content`} download={file.name}>
                    Download
                  </a>
                  <button class="secondary" onClick={() => setSharing(file)}>Share</button>
                  <button class="secondary" onClick={() => setRenaming({ id: file.id, name: file.name })}>Rename</button>
                  <button class="secondary danger" onClick={() => setConfirming(file)}>Delete</button>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
      <Pager page={page()} total={listing()?.total ?? 0} size={PAGE} onPage={setPage} />

      <Show when={(links()?.length ?? 0) > 0}>
        <section class="card shared-links" data-testid="share-links">
          <h2>Share links</h2>
          <table class="list">
            <thead>
              <tr>
                <th>File</th>
                <th class="num">Downloads</th>
                <th>Until</th>
                <th>State</th>
                <th />
              </tr>
            </thead>
            <tbody>
              <For each={links() ?? []}>
                {(link) => (
                  <tr data-share={link.id} data-state={link.state}>
                    <td class="file-name">
                      {link.fileName}
                      <Show when={link.hasPassword}>
                        <span class="badge">password</span>
                      </Show>
                    </td>
                    <td class="num">
                      {link.downloads}
                      {link.maxDownloads !== null ? ` / ${link.maxDownloads}` : ''}
                    </td>
                    <td>{formatWhen(link.expiresAt)}</td>
                    <td>{link.state.replace('_', ' ')}</td>
                    <td class="row-actions">
                      <Show when={link.state === 'live'}>
                        <button
                          class="secondary danger"
                          onClick={async () => {
                            const { error } = await api.vault.shares({ id: link.id }).delete()
                            if (error) setError(errorMessage(error))
                            void refetchLinks()
                          }}
                        >
                          Revoke
                        </button>
                      </Show>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </section>
      </Show>

      <Show when={sharing()}>
        {(file) => (
          <ShareDialog
            file={file()}
            onDone={() => {
              setSharing(undefined)
              void refetchLinks()
            }}
          />
        )}
      </Show>

      <Show when={confirming()}>
        {(file) => (
          <div class="modal-backdrop">
            <div class="card modal" role="dialog" aria-modal="true" aria-label="Delete file">
              <p>
                Delete <strong>{file().name}</strong> ({formatBytes(file().size)})? This cannot be undone.
              </p>
              <div class="modal-actions">
                <button class="secondary" onClick={() => setConfirming(undefined)}>Keep it</button>
                <button class="danger" onClick={() => remove(file())}>Delete</button>
              </div>
            </div>
          </div>
        )}
      </Show>
    </section>
  )
}

const EXPIRIES: Array<[string, number]> = [
  ['1 hour', 3600],
  ['1 day', 86_400],
  ['7 days', 7 * 86_400],
  ['30 days', 30 * 86_400],
]

/** Makes a share link for one file: how long it lives, how many downloads, an optional password; then its URL. */
function ShareDialog(props: { file: PublicFile; onDone: () => void }) {
  const [expiry, setExpiry] = createSignal(7 * 86_400)
  const [limit, setLimit] = createSignal('')
  const [password, setPassword] = createSignal('')
  const [url, setUrl] = createSignal<string>()
  const [error, setError] = createSignal<string>()
  const create = async (event: SubmitEvent) => {
    event.preventDefault()
    setError(undefined)
    const { data, error } = await api.vault.files({ id: props.file.id }).shares.post({
      expiresInSeconds: expiry(),
      ...(limit() ? { maxDownloads: Number(limit()) } : {}),
      ...(password() ? { password: password() } : {}),
    })
    if (error) return setError(errorMessage(error))
    setUrl(data.share.url)
  }
  return (
    <div class="modal-backdrop">
      <div class="card modal share-dialog" role="dialog" aria-modal="true" aria-label="Share file">
        <h2>Share “{props.file.name}”</h2>
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
                <button type="button" class="secondary" onClick={props.onDone}>
                  Cancel
                </button>
                <button type="submit">Create link</button>
              </div>
            </form>
          }
        >
          {(link) => (
            <>
              <p class="muted">Anyone with this link can download the file{password() ? ' with the password' : ''}. You can revoke it any time.</p>
              <CopyField value={link()} label="Share link" testId="share-url" />
              <div class="modal-actions">
                <button onClick={props.onDone}>Done</button>
              </div>
            </>
          )}
        </Show>
      </div>
    </div>
  )
}
