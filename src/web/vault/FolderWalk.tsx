// Walking the owner's folder tree inside a dialog, one level at a time (the top level first): breadcrumbs lead back
// up, a button per folder goes in. The move dialog picks a destination with it; the chat's attach dialog a file.
import { createResource, createSignal, For, Show, type JSX } from 'solid-js'
import FolderIcon from 'lucide-solid/icons/folder'
import { api, errorMessage } from '../api'

/** Where the walk is and what is there (`limit` files of it, newest first). */
export function createFolderWalk(start: string | null, limit: number, onError: (message: string) => void) {
  const [at, open] = createSignal<string | null>(start)
  // The source is an object, so the top level (null) is fetched too.
  const [listing, { refetch }] = createResource(
    () => ({ folder: at() }),
    async ({ folder }) => {
      const { data, error } = await api.vault.files.get({ query: { ...(folder ? { folder } : {}), sort: 'created', order: 'desc', limit } })
      if (error) onError(errorMessage(error))
      return data ?? undefined
    },
  )
  return { at, open, listing, refetch }
}

export type FolderWalkState = ReturnType<typeof createFolderWalk>

export function FolderWalk(props: {
  walk: FolderWalkState
  /** The top level's name in the breadcrumbs. */
  root: string
  label: string
  listLabel: string
  /** A folder not to offer (the one being moved). */
  exclude?: string
  /** Shown when the level has no folders and `children` nothing either. */
  empty: string
  hasOthers?: boolean
  /** More entries after the folders (the files of the level). */
  children?: JSX.Element
}) {
  const folders = () => (props.walk.listing.latest?.folders ?? []).filter((f) => f.id !== props.exclude)
  return (
    <>
      <nav class="breadcrumbs" aria-label={props.label}>
        <button class="link" onClick={() => props.walk.open(null)}>
          {props.root}
        </button>
        <For each={props.walk.listing.latest?.path ?? []}>
          {(step) => (
            <>
              <span aria-hidden="true">/</span>
              <button class="link" onClick={() => props.walk.open(step.id)}>
                {step.name}
              </button>
            </>
          )}
        </For>
      </nav>
      <ul class="folder-picker" aria-label={props.listLabel}>
        <For each={folders()}>
          {(folder) => (
            <li>
              <button class="secondary" onClick={() => props.walk.open(folder.id)}>
                <FolderIcon aria-hidden="true" /> {folder.name}
              </button>
            </li>
          )}
        </For>
        {props.children}
        <Show when={!props.walk.listing.loading && folders().length === 0 && !props.hasOthers}>
          <li class="muted">{props.empty}</li>
        </Show>
      </ul>
    </>
  )
}
