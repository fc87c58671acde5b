// Where files are dropped or chosen, and the uploads under way with progress, speed, time left, pause, resume and
// cancel: the owner's vault and a file drop page show the same.
import { createSignal, For, Show, type JSX } from 'solid-js'
import { formatBytes, formatDuration } from '../ui/format'
import type { createUploads } from './uploads'

type Uploads = ReturnType<typeof createUploads>

export function DropZone(props: { uploads: Uploads; children: JSX.Element }) {
  const [dragging, setDragging] = createSignal(false)
  return (
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
        if (e.dataTransfer?.files.length) props.uploads.add(e.dataTransfer.files)
      }}
    >
      <input
        type="file"
        multiple
        aria-label="Choose files to upload"
        onChange={(e) => {
          if (e.currentTarget.files) props.uploads.add(e.currentTarget.files)
          e.currentTarget.value = ''
        }}
      />
      {props.children}
    </label>
  )
}

export function UploadList(props: { uploads: Uploads }) {
  const uploads = () => props.uploads
  return (
    <Show when={uploads().items.length > 0}>
      <ul class="uploads" aria-label="Uploads">
        <For each={uploads().items}>
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
                    <button class="secondary" onClick={() => uploads().pause(item.key)}>
                      Pause
                    </button>
                  </Show>
                  <Show when={item.state === 'paused'}>
                    <button class="secondary" onClick={() => uploads().resume(item.key)}>
                      Resume
                    </button>
                  </Show>
                  <Show when={item.state === 'uploading' || item.state === 'paused'}>
                    <button class="secondary" onClick={() => uploads().cancel(item.key)}>
                      Cancel
                    </button>
                  </Show>
                  <Show when={item.state === 'done' || item.state === 'failed'}>
                    <button class="link" onClick={() => uploads().dismiss(item.key)}>
                      dismiss
                    </button>
                  </Show>
                </span>
              </div>
              <progress max={item.total || 1} value={item.state === 'done' ? item.total || 1 : item.sent} aria-label={`Upload of ${item.name}`} />
            </li>
          )}
        </For>
      </ul>
    </Show>
  )
}
