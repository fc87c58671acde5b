// One folder's contents as a table: its folders first (a click opens them), then a page of its files (a click on
// a previewable one opens the preview; images show a thumbnail), sortable by name, size and date. The owner's
// vault and "Shared with me" pass their own actions.
import { createSignal, For, onCleanup, onMount, Show, type JSX } from 'solid-js'
import FolderIcon from 'lucide-solid/icons/folder'
import FileIcon from 'lucide-solid/icons/file'
import type { PublicFile, PublicFolder } from '../../server/vault/views'
import { previewKind } from '../../vault/preview'
import { formatBytes, formatWhen } from '../ui/format'
import { canThumbnail, thumbnailFromStored } from './thumbnails'

export type Sort = 'created' | 'name' | 'size'
export type SortState = { by: Sort; order: 'asc' | 'desc' }

export function nextSort(current: SortState, by: Sort): SortState {
  return { by, order: current.by === by ? (current.order === 'asc' ? 'desc' : 'asc') : by === 'name' ? 'asc' : 'desc' }
}

export function FileTable(props: {
  folders: PublicFolder[]
  files: PublicFile[]
  loading: boolean
  empty: string
  sort: SortState
  onSort: (by: Sort) => void
  folderHref: (folder: PublicFolder) => string
  /** The file's content URL (its download). */
  fileSrc: (file: PublicFile) => string
  onPreview: (file: PublicFile) => void
  /** Where a file's stored thumbnail is. */
  thumbnailSrc: (file: PublicFile) => string
  /** The owner's list: an image without a thumbnail gets one made (once) by this browser. */
  makeThumbnails?: boolean
  /** Replaces the name cell (renaming in place). */
  nameEditor?: (item: { id: string }) => JSX.Element | undefined
  folderActions: (folder: PublicFolder) => JSX.Element
  fileActions: (file: PublicFile) => JSX.Element
}) {
  const arrow = (by: Sort) => (props.sort.by === by ? (props.sort.order === 'asc' ? ' ▲' : ' ▼') : '')
  return (
    <table class="files card">
      <thead>
        <tr>
          <th>
            <button class="link" onClick={() => props.onSort('name')}>
              Name{arrow('name')}
            </button>
          </th>
          <th class="num">
            <button class="link" onClick={() => props.onSort('size')}>
              Size{arrow('size')}
            </button>
          </th>
          <th class="when">
            <button class="link" onClick={() => props.onSort('created')}>
              Added{arrow('created')}
            </button>
          </th>
          <th>
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody data-testid="files">
        <For each={props.folders}>
          {(folder) => (
            <tr data-folder-id={folder.id}>
              <td class="file-name">
                <Show when={props.nameEditor?.(folder)} fallback={
                  <a class="item-name" href={props.folderHref(folder)}>
                    <FolderIcon class="item-icon folder-icon" aria-hidden="true" />
                    <span>{folder.name}</span>
                  </a>
                }>
                  {(editor) => editor()}
                </Show>
              </td>
              <td class="num muted">folder</td>
              <td class="when">{formatWhen(folder.createdAt)}</td>
              <td class="file-actions">{props.folderActions(folder)}</td>
            </tr>
          )}
        </For>
        <For
          each={props.files}
          fallback={
            <Show when={props.folders.length === 0}>
              <tr>
                <td colSpan={4} class="muted empty">
                  {props.loading ? 'Loading…' : props.empty}
                </td>
              </tr>
            </Show>
          }
        >
          {(file) => (
            <tr data-file-id={file.id}>
              <td class="file-name">
                <Show when={props.nameEditor?.(file)} fallback={
                  <Show
                    when={previewKind(file.contentType)}
                    fallback={
                      <span class="item-name">
                        <FileIcon class="item-icon" aria-hidden="true" />
                        <span>{file.name}</span>
                      </span>
                    }
                  >
                    <button class="link item-name" onClick={() => props.onPreview(file)} aria-label={`Preview ${file.name}`}>
                      <Thumbnail file={file} src={props.thumbnailSrc(file)} make={props.makeThumbnails === true} />
                      <span>{file.name}</span>
                    </button>
                  </Show>
                }>
                  {(editor) => editor()}
                </Show>
              </td>
              <td class="num">{formatBytes(file.size)}</td>
              <td class="when">{formatWhen(file.createdAt)}</td>
              <td class="file-actions">{props.fileActions(file)}</td>
            </tr>
          )}
        </For>
      </tbody>
    </table>
  )
}

/** A file's small picture: the stored thumbnail, or (in its owner's list) one made now from the image; an icon
 * while there is none. */
function Thumbnail(props: { file: PublicFile; src: string; make: boolean }) {
  const [url, setUrl] = createSignal<string | undefined>(props.file.hasThumbnail ? props.src : undefined)
  let made: string | undefined
  onMount(() => {
    if (props.file.hasThumbnail || !props.make || !canThumbnail(props.file)) return
    thumbnailFromStored(props.file)
      .then((blob) => setUrl((made = URL.createObjectURL(blob))))
      .catch(() => {})
  })
  onCleanup(() => made && URL.revokeObjectURL(made))
  return (
    <Show when={url()} fallback={<FileIcon class="item-icon" aria-hidden="true" />}>
      {(src) => <img class="thumb" src={src()} alt="" decoding="async" />}
    </Show>
  )
}
