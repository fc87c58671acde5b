// Files in chat. Attaching: pick a file from your vault (folders open in place) or upload one on the spot; a share
// of it is made for the chat and goes with the message. Showing: an image as a thumbnail that opens the preview,
// any other file as a card with its name, size and Download; a file whose share was revoked or which was deleted
// shows as gone (also when that is found out on a click, or when its thumbnail no longer loads).
import { createSignal, For, Show } from 'solid-js'
import FileIcon from 'lucide-solid/icons/file'
import { api, errorMessage } from '../api'
import type { ChatAttachment } from '../../rooms/protocol'
import type { PublicFile } from '../../server/vault/views'
import { previewKind } from '../../vault/preview'
import { formatBytes } from '../ui/format'
import { createUploads } from '../vault/uploads'
import { DropZone, UploadList } from '../vault/UploadList'
import { createFolderWalk, FolderWalk } from '../vault/FolderWalk'
import { hasThumbnail, PreviewDialog } from '../vault/Preview'

const contentOf = (attachment: ChatAttachment) => `/api/chat/attachments/${attachment.shareId}/content`

/** Makes the chat share of one of the user's files: one listed (its details at hand) or one just uploaded (asked). */
async function attach(file: PublicFile | { id: string }): Promise<ChatAttachment> {
  const { data, error } = await api.vault.files({ id: file.id }).shares.post({ chat: true })
  if (error) throw new Error(errorMessage(error))
  const info = 'contentType' in file ? file : (await api.vault.files({ id: file.id }).get()).data?.file
  return { shareId: data.share.id, name: info?.name ?? data.share.fileName, size: info?.size ?? 0, contentType: info?.contentType ?? 'application/octet-stream', live: true }
}

export function AttachDialog(props: { onAttach: (attachment: ChatAttachment) => void; onClose: () => void }) {
  const [error, setError] = createSignal<string>()
  const [busy, setBusy] = createSignal(false)
  const walk = createFolderWalk(null, 30, setError)
  const choose = async (file: PublicFile | { id: string }) => {
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
      void walk.refetch()
      if (fileId) void choose({ id: fileId })
    },
    { folderId: walk.at, thumbnails: true },
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
        <FolderWalk
          walk={walk}
          root="My files"
          label="Vault folder"
          listLabel="Files to attach"
          empty="Nothing here yet."
          hasOthers={(walk.listing.latest?.files.length ?? 0) > 0}
        >
          <For each={walk.listing.latest?.files ?? []}>
            {(file: PublicFile) => (
              <li>
                <button class="secondary" disabled={busy()} onClick={() => void choose(file)}>
                  <FileIcon aria-hidden="true" />{' '}
                  <span class="grow">
                    <span class="visually-hidden">Attach </span>
                    {file.name}
                  </span> <span class="muted">{formatBytes(file.size)}</span>
                </button>
              </li>
            )}
          </For>
        </FolderWalk>
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
