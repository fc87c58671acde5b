// Choosing where a file or folder goes: the folder tree is walked one level at a time (the top level first), and
// "Move here" moves the item into the folder shown. The server refuses a folder moved into itself or below it.
import { createSignal, Show } from 'solid-js'
import { api, errorMessage } from '../api'
import { createFolderWalk, FolderWalk } from './FolderWalk'
import type { Shareable } from './ShareDialog'

export function MoveDialog(props: { item: Shareable; from: string | null; onDone: (moved: boolean) => void }) {
  const [error, setError] = createSignal<string>()
  const walk = createFolderWalk(props.from, 1, setError)
  const move = async () => {
    setError(undefined)
    const target = walk.at()
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
        <FolderWalk walk={walk} root="Vault" label="Destination" listLabel="Folders here" exclude={props.item.id} empty="No folders here." />
        <Show when={error()}>
          <p class="error" role="alert">
            {error()}
          </p>
        </Show>
        <div class="modal-actions">
          <button class="secondary" onClick={() => props.onDone(false)}>
            Cancel
          </button>
          <button onClick={move} disabled={walk.at() === props.from}>
            Move here
          </button>
        </div>
      </div>
    </div>
  )
}
