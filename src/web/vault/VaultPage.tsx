// The vault: "My files" (folders with breadcrumbs, uploads into the folder shown, preview, rename, move, delete,
// share with people or by link, a folder as a zip) and "Shared with me" (what others shared, read-only).
import { createEffect, createResource, createSignal, For, on, onCleanup, Show } from 'solid-js'
import { A, useLocation, useSearchParams } from '@solidjs/router'
import { api, errorMessage } from '../api'
import type { PublicFile, PublicFolder } from '../../server/vault/views'
import { createUploads } from './uploads'
import { formatBytes, formatWhen } from '../ui/format'
import { Pager } from '../ui/Pager'
import { DropZone, UploadList } from './UploadList'
import { FileTable, nextSort, type SortState } from './FileTable'
import { PreviewDialog, type Previewed } from './Preview'
import { ShareDialog, type Shareable } from './ShareDialog'
import { MoveDialog } from './MoveDialog'
import { SharedWithMe } from './SharedWithMe'

export const PAGE = 50

export function VaultPage() {
  const location = useLocation()
  const [usage, { refetch: refetchUsage }] = createResource(async () => {
    const { data } = await api.vault.usage.get()
    return data ?? undefined
  })
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
      <nav class="tabs" aria-label="Vault sections">
        <A href="/vault" end>
          My files
        </A>
        <A href="/vault/shared">Shared with me</A>
      </nav>
      <Show when={location.pathname.startsWith('/vault/shared')} fallback={<MyFiles onChange={() => void refetchUsage()} />}>
        <SharedWithMe />
      </Show>
    </section>
  )
}

type Item = { kind: 'file'; file: PublicFile } | { kind: 'folder'; folder: PublicFolder }

function MyFiles(props: { onChange: () => void }) {
  const [params] = useSearchParams<{ folder?: string }>()
  const folderId = () => params.folder || null
  const [sort, setSort] = createSignal<SortState>({ by: 'created', order: 'desc' })
  const [page, setPage] = createSignal(0)
  const [error, setError] = createSignal<string>()
  const [confirming, setConfirming] = createSignal<Item>()
  const [renaming, setRenaming] = createSignal<{ kind: 'file' | 'folder'; id: string; name: string }>()
  const [sharing, setSharing] = createSignal<Shareable>()
  const [moving, setMoving] = createSignal<Shareable>()
  const [previewing, setPreviewing] = createSignal<Previewed>()
  const [newFolder, setNewFolder] = createSignal<string>()

  const [listing, { refetch: refetchList }] = createResource(
    () => ({ ...sort(), offset: page() * PAGE, folder: folderId() }),
    async ({ by, order, offset, folder }) => {
      const { data, error } = await api.vault.files.get({ query: { sort: by, order, offset, limit: PAGE, ...(folder ? { folder } : {}) } })
      // A folder deleted meanwhile (in another tab) says so instead of leaving an empty page.
      if (error) setError(errorMessage(error))
      return data ?? undefined
    },
  )
  const [links, { refetch: refetchLinks }] = createResource(async () => (await api.vault.shares.get()).data?.shares ?? [])
  const [grants, { refetch: refetchGrants }] = createResource(async () => (await api.vault.grants.get()).data?.grants ?? [])
  // Downloads through the links happen elsewhere: their counts and states are fetched again now and then, and when
  // the person comes back to the tab.
  const relist = () => document.visibilityState === 'visible' && void refetchLinks()
  const linkTimer = setInterval(relist, 10_000)
  document.addEventListener('visibilitychange', relist)
  onCleanup(() => {
    clearInterval(linkTimer)
    document.removeEventListener('visibilitychange', relist)
  })

  const refresh = () => {
    void refetchList()
    props.onChange()
  }
  const uploads = createUploads(refresh, { folderId, thumbnails: true })
  // Another folder starts at its first page.
  createEffect(on(folderId, () => setPage(0), { defer: true }))

  const remove = async (item: Item) => {
    setConfirming(undefined)
    const { error } =
      item.kind === 'file'
        ? await api.vault.files({ id: item.file.id }).delete()
        : await api.vault.folders({ id: item.folder.id }).delete(undefined, { query: { recursive: 'true' } })
    if (error) setError(errorMessage(error))
    refresh()
    void refetchGrants()
    void refetchLinks()
  }

  const rename = async (event: SubmitEvent) => {
    event.preventDefault()
    const target = renaming()
    if (!target) return
    const { error } =
      target.kind === 'file'
        ? await api.vault.files({ id: target.id }).patch({ name: target.name })
        : await api.vault.folders({ id: target.id }).patch({ name: target.name })
    if (error) return setError(errorMessage(error))
    setRenaming(undefined)
    refresh()
  }

  const createFolder = async (event: SubmitEvent) => {
    event.preventDefault()
    const { error } = await api.vault.folders.post({ name: newFolder() ?? '', parentId: folderId() })
    if (error) return setError(errorMessage(error))
    setNewFolder(undefined)
    refresh()
  }

  const here = () => listing.latest?.folder

  return (
    <>
      <div class="folder-bar">
        <nav class="breadcrumbs" aria-label="Folder">
          <a href="/vault" aria-current={folderId() === null ? 'page' : undefined}>
            My files
          </a>
          <For each={listing.latest?.path ?? []}>
            {(step) => (
              <>
                <span aria-hidden="true">/</span>
                <a href={`/vault?folder=${step.id}`} aria-current={step.id === folderId() ? 'page' : undefined}>
                  {step.name}
                </a>
              </>
            )}
          </For>
        </nav>
        <div class="folder-tools">
          <Show when={here()}>
            {(folder) => (
              <a class="button secondary" href={`/api/vault/folders/${folder().id}/zip`} download={`${folder().name}.zip`}>
                Download as zip
              </a>
            )}
          </Show>
          <button class="secondary" onClick={() => setNewFolder('')}>
            New folder
          </button>
        </div>
      </div>

      <Show when={newFolder() !== undefined}>
        <form class="rename new-folder" onSubmit={createFolder}>
          <input aria-label="Folder name" placeholder="Folder name" value={newFolder()} onInput={(e) => setNewFolder(e.currentTarget.value)} autofocus required maxLength={255} />
          <button type="submit">Create</button>
          <button type="button" class="secondary" onClick={() => setNewFolder(undefined)}>
            Cancel
          </button>
        </form>
      </Show>

      <Show when={error()}>
        <p class="error banner" role="alert">
          {error()}{' '}
          <button class="link" onClick={() => setError(undefined)}>
            dismiss
          </button>
        </p>
      </Show>

      <DropZone uploads={uploads}>
        <strong>Drop files here</strong> or click to choose. {here() ? `They go into “${here()!.name}”.` : 'Only you can see them.'}
      </DropZone>
      <UploadList uploads={uploads} />

      <FileTable
        folders={listing.latest?.folders ?? []}
        files={listing.latest?.files ?? []}
        loading={listing.loading}
        empty={folderId() ? 'This folder is empty.' : 'No files yet.'}
        sort={sort()}
        onSort={(by) => setSort((current) => nextSort(current, by))}
        folderHref={(folder) => `/vault?folder=${folder.id}`}
        fileSrc={(file) => `/api/vault/files/${file.id}/content`}
        onPreview={(file) => setPreviewing({ ...file, src: `/api/vault/files/${file.id}/content` })}
        thumbnailSrc={(file) => `/api/vault/files/${file.id}/thumbnail`}
        makeThumbnails
        nameEditor={(item) =>
          renaming()?.id === item.id ? (
            <form class="rename" onSubmit={rename}>
              <input aria-label="New name" value={renaming()!.name} onInput={(e) => setRenaming({ ...renaming()!, name: e.currentTarget.value })} autofocus />
              <button type="submit">Save</button>
              <button type="button" class="secondary" onClick={() => setRenaming(undefined)}>
                Cancel
              </button>
            </form>
          ) : undefined
        }
        folderActions={(folder) => (
          <>
            <a class="button secondary" href={`/api/vault/folders/${folder.id}/zip`} download={`${folder.name}.zip`} aria-label={`Download ${folder.name} as zip`}>
              Zip
            </a>
            <button class="secondary" onClick={() => setSharing({ kind: 'folder', id: folder.id, name: folder.name })}>
              Share
            </button>
            <button class="secondary" onClick={() => setRenaming({ kind: 'folder', id: folder.id, name: folder.name })}>
              Rename
            </button>
            <button class="secondary" onClick={() => setMoving({ kind: 'folder', id: folder.id, name: folder.name })}>
              Move
            </button>
            <button class="secondary danger" onClick={() => setConfirming({ kind: 'folder', folder })}>
              Delete
            </button>
          </>
        )}
        fileActions={(file) => (
          <>
            <a class="button secondary" href={`/api/vault/files/${file.id}/content`} download={file.name}>
              Download
            </a>
            <button class="secondary" onClick={() => setSharing({ kind: 'file', id: file.id, name: file.name })}>
              Share
            </button>
            <button class="secondary" onClick={() => setRenaming({ kind: 'file', id: file.id, name: file.name })}>
              Rename
            </button>
            <button class="secondary" onClick={() => setMoving({ kind: 'file', id: file.id, name: file.name })}>
              Move
            </button>
            <button class="secondary danger" onClick={() => setConfirming({ kind: 'file', file })}>
              Delete
            </button>
          </>
        )}
      />
      <Pager page={page()} total={listing.latest?.total ?? 0} size={PAGE} onPage={setPage} />

      <Show when={(grants()?.length ?? 0) > 0}>
        <section class="card shared-links" data-testid="grants">
          <h2>Shared with people</h2>
          <table class="list">
            <thead>
              <tr>
                <th>Item</th>
                <th>With</th>
                <th>Since</th>
                <th>
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              <For each={grants() ?? []}>
                {(grant) => (
                  <tr data-grant={grant.id}>
                    <td class="file-name">{grant.file?.name ?? `${grant.folder?.name ?? ''}/`}</td>
                    <td>{grant.recipient.username}</td>
                    <td>{formatWhen(grant.createdAt)}</td>
                    <td class="row-actions">
                      <button
                        class="secondary danger"
                        onClick={async () => {
                          const { error } = await api.vault.grants({ id: grant.id }).delete()
                          if (error) setError(errorMessage(error))
                          void refetchGrants()
                        }}
                      >
                        Stop sharing
                      </button>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </section>
      </Show>

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
                <th>
                  <span class="visually-hidden">Actions</span>
                </th>
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
        {(item) => (
          <ShareDialog
            item={item()}
            onDone={() => {
              setSharing(undefined)
              void refetchLinks()
              void refetchGrants()
            }}
          />
        )}
      </Show>

      <Show when={moving()}>
        {(item) => (
          <MoveDialog
            item={item()}
            from={folderId()}
            onDone={(moved) => {
              setMoving(undefined)
              if (moved) refresh()
            }}
          />
        )}
      </Show>

      <Show when={previewing()}>{(file) => <PreviewDialog file={file()} onClose={() => setPreviewing(undefined)} />}</Show>

      <Show when={confirming()}>
        {(item) => (
          <div class="modal-backdrop">
            <div class="card modal" role="dialog" aria-modal="true" aria-label={item().kind === 'file' ? 'Delete file' : 'Delete folder'}>
              <Show
                when={item().kind === 'folder'}
                fallback={
                  <p>
                    Delete <strong>{(item() as { file: PublicFile }).file.name}</strong> ({formatBytes((item() as { file: PublicFile }).file.size)})? This cannot be undone.
                  </p>
                }
              >
                <p>
                  Delete the folder <strong>{(item() as { folder: PublicFolder }).folder.name}</strong> and everything in it? This cannot be undone.
                </p>
              </Show>
              <div class="modal-actions">
                <button class="secondary" onClick={() => setConfirming(undefined)}>
                  Keep it
                </button>
                <button class="danger" onClick={() => remove(item())}>
                  Delete
                </button>
              </div>
            </div>
          </div>
        )}
      </Show>
    </>
  )
}

