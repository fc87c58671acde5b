// "Shared with me": what other people shared with this person, with the owner's name. A shared folder opens
// read-only (its subfolders too, breadcrumbs starting at what was shared); files preview and download; a folder
// downloads as a zip. The person may drop an item from their list; nothing of the owner's can be changed here.
import { createEffect, createResource, createSignal, For, on, Show } from 'solid-js'
import { useSearchParams } from '@solidjs/router'
import FolderIcon from 'lucide-solid/icons/folder'
import FileIcon from 'lucide-solid/icons/file'
import { api, errorMessage } from '../api'
import { previewKind } from '../../vault/preview'
import { formatBytes, formatWhen } from '../ui/format'
import { Pager } from '../ui/Pager'
import { FileTable, nextSort, type SortState } from './FileTable'
import { PreviewDialog, type Previewed } from './Preview'

const PAGE = 50
const fileSrc = (id: string) => `/api/vault/shared/files/${id}/content`
const zipSrc = (id: string) => `/api/vault/shared/folders/${id}/zip`

export function SharedWithMe() {
  const [params] = useSearchParams<{ folder?: string }>()
  const [error, setError] = createSignal<string>()
  const [previewing, setPreviewing] = createSignal<Previewed>()
  return (
    <>
      <Show when={error()}>
        <p class="error banner" role="alert">
          {error()}{' '}
          <button class="link" onClick={() => setError(undefined)}>
            dismiss
          </button>
        </p>
      </Show>
      <Show when={params.folder} keyed fallback={<SharedList onError={setError} onPreview={setPreviewing} />}>
        {(folder) => <SharedFolder folderId={folder} onError={setError} onPreview={setPreviewing} />}
      </Show>
      <Show when={previewing()}>{(file) => <PreviewDialog file={file()} onClose={() => setPreviewing(undefined)} />}</Show>
    </>
  )
}

function SharedList(props: { onError: (message: string) => void; onPreview: (file: Previewed) => void }) {
  const [failed, setFailed] = createSignal<string>()
  const [shared, { refetch }] = createResource(async () => {
    const { data, error } = await api.vault.shared.get()
    setFailed(error ? errorMessage(error) : undefined)
    return data?.shared ?? []
  })
  const drop = async (id: string) => {
    const { error } = await api.vault.grants({ id }).delete()
    if (error) props.onError(errorMessage(error))
    void refetch()
  }
  return (
    <table class="files card" data-testid="shared-with-me">
      <thead>
        <tr>
          <th>Name</th>
          <th>Owner</th>
          <th class="num">Size</th>
          <th class="when">Shared</th>
          <th>
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        <For
          each={shared() ?? []}
          fallback={
            <tr>
              <td colSpan={5} class="muted empty">
                {shared.loading ? 'Loading…' : failed() ? `Could not load: ${failed()}` : 'Nothing has been shared with you yet.'}
              </td>
            </tr>
          }
        >
          {(item) => (
            <tr data-grant={item.id}>
              <td class="file-name">
                <Show
                  when={item.folder}
                  fallback={
                    <Show
                      when={item.file && previewKind(item.file.contentType)}
                      fallback={
                        <span class="item-name">
                          <FileIcon class="item-icon" aria-hidden="true" />
                          <span>{item.file?.name}</span>
                        </span>
                      }
                    >
                      <button class="link item-name" onClick={() => props.onPreview({ ...item.file!, src: fileSrc(item.file!.id) })} aria-label={`Preview ${item.file!.name}`}>
                        <FileIcon class="item-icon" aria-hidden="true" />
                        <span>{item.file!.name}</span>
                      </button>
                    </Show>
                  }
                >
                  {(folder) => (
                    <a class="item-name" href={`/vault/shared?folder=${folder().id}`}>
                      <FolderIcon class="item-icon folder-icon" aria-hidden="true" />
                      <span>{folder().name}</span>
                    </a>
                  )}
                </Show>
              </td>
              <td>{item.owner.username}</td>
              <td class="num">{item.file ? formatBytes(item.file.size) : <span class="muted">folder</span>}</td>
              <td class="when">{formatWhen(item.createdAt)}</td>
              <td class="file-actions">
                <Show
                  when={item.folder}
                  fallback={
                    <a class="button secondary" href={fileSrc(item.file!.id)} download={item.file!.name}>
                      Download
                    </a>
                  }
                >
                  {(folder) => (
                    <a class="button secondary" href={zipSrc(folder().id)} download={`${folder().name}.zip`}>
                      Download as zip
                    </a>
                  )}
                </Show>
                <button class="secondary" onClick={() => drop(item.id)} aria-label={`Remove ${item.file?.name ?? item.folder?.name} from my list`}>
                  Remove
                </button>
              </td>
            </tr>
          )}
        </For>
      </tbody>
    </table>
  )
}

function SharedFolder(props: { folderId: string; onError: (message: string) => void; onPreview: (file: Previewed) => void }) {
  const [sort, setSort] = createSignal<SortState>({ by: 'name', order: 'asc' })
  const [page, setPage] = createSignal(0)
  createEffect(on(() => props.folderId, () => setPage(0), { defer: true }))
  const [failed, setFailed] = createSignal<string>()
  const [listing] = createResource(
    () => ({ ...sort(), offset: page() * PAGE, id: props.folderId }),
    async ({ by, order, offset, id }) => {
      const { data, error } = await api.vault.shared.folders({ id }).get({ query: { sort: by, order, offset, limit: PAGE } })
      setFailed(error ? errorMessage(error) : undefined)
      return data ?? undefined
    },
  )
  return (
    <>
      <div class="folder-bar">
        <nav class="breadcrumbs" aria-label="Folder">
          <a href="/vault/shared">Shared with me</a>
          <For each={listing.latest?.path ?? []}>
            {(step) => (
              <>
                <span aria-hidden="true">/</span>
                <a href={`/vault/shared?folder=${step.id}`} aria-current={step.id === props.folderId ? 'page' : undefined}>
                  {step.name}
                </a>
              </>
            )}
          </For>
        </nav>
        <div class="folder-tools">
          <Show when={listing.latest?.folder}>
            {(folder) => (
              <a class="button secondary" href={zipSrc(folder().id)} download={`${folder().name}.zip`}>
                Download as zip
              </a>
            )}
          </Show>
        </div>
      </div>
      <Show when={failed()}>
        <p class="error" role="alert">
          This folder is not shared with you (any more).
        </p>
      </Show>
      <FileTable
        folders={listing.latest?.folders ?? []}
        files={listing.latest?.files ?? []}
        loading={listing.loading}
        empty="This folder is empty."
        sort={sort()}
        onSort={(by) => setSort((current) => nextSort(current, by))}
        folderHref={(folder) => `/vault/shared?folder=${folder.id}`}
        fileSrc={(file) => fileSrc(file.id)}
        onPreview={(file) => props.onPreview({ ...file, src: fileSrc(file.id) })}
        thumbnailSrc={(file) => `/api/vault/shared/files/${file.id}/thumbnail`}
        folderActions={(folder) => (
          <a class="button secondary" href={zipSrc(folder.id)} download={`${folder.name}.zip`} aria-label={`Download ${folder.name} as zip`}>
            Zip
          </a>
        )}
        fileActions={(file) => (
          <a class="button secondary" href={fileSrc(file.id)} download={file.name}>
            Download
          </a>
        )}
      />
      <Pager page={page()} total={listing.latest?.total ?? 0} size={PAGE} onPage={setPage} />
    </>
  )
}
