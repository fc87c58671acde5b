// Files in chat. Attaching: pick a file from your vault (folders open in place) or upload one on the spot; a share
// of it is made for the chat and goes with the message. Showing: an image as a thumbnail that opens the preview,
// any other file as a card with its name, size and Download; a file whose share was revoked or which was deleted
// shows as gone (also when that is found out on a click, or when its thumbnail no longer loads).
import { createResource, createSignal, For, Show } from 'solid-js'
import FolderIcon from 'lucide-solid/icons/folder'
import FileIcon from 'lucide-solid/icons/file'
import { api, errorMessage } from '../api'
import type { ChatAttachment } from '../../rooms/protocol'
import type { PublicFile } from '../../server/vault/views'
import { previewKind } from '../../vault/preview'
import { formatBytes } from '../ui/format'
import { createUploads } from '../vault/uploads'
import { DropZone, UploadList } from '../vault/UploadList'
import { hasThumbnail, PreviewDialog } from '../vault/Preview'

const contentOf = (attachment: ChatAttachment) => `/api/chat/attachments/${attachment.shareId}/content`

/** Makes the chat share of one of the user's files. */
async function attach(file: { id: string }): Promise<ChatAttachment> {
  const { data, error } = await api.vault.files({ id: file.id }).shares.post({ chat: true })
  if (error) throw new Error(errorMessage(error))
  const { data: found } = await api.vault.files({ id: file.id }).get()
  const info = found?.file
  return { shareId: data.share.id, name: info?.name ?? data.share.fileName, size: info?.size ?? 0, contentType: info?.contentType ?? 'application/octet-stream', live: true }
}

export function AttachDialog(props: { onAttach: (attachment: ChatAttachment) => void; onClose: () => void }) {
  const [folder, setFolder] = createSignal<string | null>(null)
  const [error, setError] = createSignal<string>()
  const [busy, setBusy] = createSignal(false)
  // The source is an object, so the top level (null) is fetched too.
  const [listing, { refetch }] = createResource(
    () => ({ folder: folder() }),
    async ({ folder }) => {
      const { data, error } = await api.vault.files.get({ query: { ...(folder ? { folder } : {}), sort: 'created', order: 'desc', limit: 30 } })
      if (error) setError(errorMessage(error))
      return data ?? undefined
    },
  )
  const choose = async (file: { id: string }) => {
    setBusy(true)
    setError(undefined)
    try {
      props.onAttach(await attach(file))
    } catch (failure) {
      setError((failure as Error).message)
    } finally {
      setBusy(false)
    }
  }
  const uploads = createUploads(
    (fileId) => {
      void refetch()
      if (fileId) void choose({ id: fileId })
    },
    { folderId: folder, thumbnails: true },
  )
  return (
    <div class="modal-backdrop">
      <div class="card modal attach-dialog" role="dialog" aria-modal="true" aria-label="Attach a file">
        <h2>Attach a file</h2>
        <DropZone uploads={uploads}>
          <strong>Upload a file</strong> from this device: it goes into your vault and into the message.
        </DropZone>
        <UploadList uploads={uploads} />
        <h3>From your vault</h3>
        <nav class="breadcrumbs" aria-label="Vault folder">
          <button class="link" onClick={() => setFolder(null)}>
            My files
          </button>
          <For each={listing.latest?.path ?? []}>
            {(step) => (
              <>
                <span aria-hidden="true">/</span>
                <button class="link" onClick={() => setFolder(step.id)}>
                  {step.name}
                </button>
              </>
            )}
          </For>
        </nav>
        <ul class="folder-picker" aria-label="Files to attach">
          <For each={listing.latest?.folders ?? []}>
            {(f) => (
              <li>
                <button class="secondary" onClick={() => setFolder(f.id)}>
                  <FolderIcon aria-hidden="true" /> {f.name}
                </button>
              </li>
            )}
          </For>
          <For each={listing.latest?.files ?? []}>
            {(file: PublicFile) => (
              <li>
                <button class="secondary" disabled={busy()} onClick={() => void choose(file)} aria-label={`Attach ${file.name}`}>
                  <FileIcon aria-hidden="true" /> <span class="grow">{file.name}</span> <span class="muted">{formatBytes(file.size)}</span>
                </button>
              </li>
            )}
          </For>
          <Show when={!listing.loading && (listing.latest?.folders.length ?? 0) + (listing.latest?.files.length ?? 0) === 0}>
            <li class="muted">Nothing here yet.</li>
          </Show>
        </ul>
        <Show when={error()}>
          <p class="error" role="alert">
            {error()}
          </p>
        </Show>
        <div class="modal-actions">
          <button class="secondary" onClick={props.onClose}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  )
}

/** An attachment as a message shows it. */
export function AttachmentView(props: { attachment: ChatAttachment }) {
  const [gone, setGone] = createSignal(!props.attachment.live)
  const [previewing, setPreviewing] = createSignal(false)
  const a = () => props.attachment
  const image = () => hasThumbnail(a())
  /** Asks for the first byte before opening: a share revoked since the message was shown answers 410. */
  const stillThere = async () => {
    const response = await fetch(contentOf(a()), { headers: { range: 'bytes=0-0' } })
    await response.body?.cancel()
    if (response.status === 410 || response.status === 404) setGone(true)
    return response.ok
  }
  return (
    <Show
      when={!gone()}
      fallback={
        <p class="attachment gone" data-testid="attachment" data-state="gone">
          <FileIcon aria-hidden="true" /> {a().name} — no longer shared
        </p>
      }
    >
      <div class="attachment" data-testid="attachment" data-state="live">
        <Show
          when={image()}
          fallback={
            <div class="attachment-card">
              <FileIcon aria-hidden="true" />
              <span class="attachment-name">{a().name}</span>
              <span class="muted">{formatBytes(a().size)}</span>
              <Show when={previewKind(a().contentType)}>
                <button class="link" onClick={async () => (await stillThere()) && setPreviewing(true)}>
                  Preview
                </button>
              </Show>
              <button
                class="link"
                onClick={async () => {
                  if (!(await stillThere())) return
                  const link = document.createElement('a')
                  link.href = contentOf(a())
                  link.download = a().name
                  link.click()
                }}
              >
                Download
              </button>
            </div>
          }
        >
          <button class="attachment-thumb" onClick={() => setPreviewing(true)} aria-label={`Open ${a().name}`}>
            <img src={`${contentOf(a())}?inline=1`} alt={a().name} loading="lazy" decoding="async" onError={() => setGone(true)} />
          </button>
        </Show>
      </div>
      <Show when={previewing()}>
        <PreviewDialog file={{ ...a(), src: contentOf(a()) }} onClose={() => setPreviewing(false)} />
      </Show>
    </Show>
  )
}
