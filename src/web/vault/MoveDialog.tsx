// Choosing where a file or folder goes: the folder tree is walked one level at a time (the top level first), and
// "Move here" moves the item into the folder shown. The server refuses a folder moved into itself or below it.
import { createResource, createSignal, For, Show } from 'solid-js'
import FolderIcon from 'lucide-solid/icons/folder'
import { api, errorMessage } from '../api'
import type { Shareable } from './ShareDialog'

export function MoveDialog(props: { item: Shareable; from: string | null; onDone: (moved: boolean) => void }) {
  const [at, setAt] = createSignal<string | null>(props.from)
  const [error, setError] = createSignal<string>()
  // The source is an object, so the top level (null) is fetched too.
  const [shown] = createResource(
    () => ({ folder: at() }),
    async ({ folder }) => {
      const { data, error } = await api.vault.files.get({ query: { ...(folder ? { folder } : {}), limit: 1 } })
      if (error) setError(errorMessage(error))
      return data ?? undefined
    },
  )
  const move = async () => {
    setError(undefined)
    const target = at()
    const { error } =
      props.item.kind === 'file'
        ? await api.vault.files({ id: props.item.id }).patch({ folderId: target })
        : await api.vault.folders({ id: props.item.id }).patch({ parentId: target })
    if (error) return setError(errorMessage(error))
    props.onDone(true)
  }
  return (
    <div class="modal-backdrop">
      <div class="card modal move-dialog" role="dialog" aria-modal="true" aria-label={`Move ${props.item.kind}`}>
        <h2>Move “{props.item.name}”</h2>
        <nav class="breadcrumbs" aria-label="Destination">
          <button class="link" onClick={() => setAt(null)}>
            Vault
          </button>
          <For each={shown.latest?.path ?? []}>
            {(step) => (
              <>
                <span aria-hidden="true">/</span>
                <button class="link" onClick={() => setAt(step.id)}>
                  {step.name}
                </button>
              </>
            )}
          </For>
        </nav>
        <ul class="folder-picker" aria-label="Folders here">
          <For each={(shown.latest?.folders ?? []).filter((f) => f.id !== props.item.id)} fallback={<li class="muted">No folders here.</li>}>
            {(folder) => (
              <li>
                <button class="secondary" onClick={() => setAt(folder.id)}>
                  <FolderIcon aria-hidden="true" /> {folder.name}
                </button>
              </li>
            )}
          </For>
        </ul>
        <Show when={error()}>
          <p class="error" role="alert">
            {error()}
          </p>
        </Show>
        <div class="modal-actions">
          <button class="secondary" onClick={() => props.onDone(false)}>
            Cancel
          </button>
          <button onClick={move} disabled={at() === props.from}>
            Move here
          </button>
        </div>
      </div>
    </div>
  )
}
