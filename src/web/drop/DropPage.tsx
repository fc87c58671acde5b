// What someone opening a file drop link sees, logged in or not: whose folder the files go to, how much the link
// still takes and until when, and a place to drop or choose files, uploaded with tus (resumable, with progress).
// Only this browser's own uploads are listed; nothing of the folder is shown. An ended link says why.
import { createResource, Show } from 'solid-js'
import { useParams } from '@solidjs/router'
import { fetchLinkInfo, LinkEnded, type LinkEnd } from '../share/LinkInfo'
import { formatBytes, formatWhen } from '../ui/format'
import { createUploads } from '../vault/uploads'
import { DropZone, UploadList } from '../vault/UploadList'

interface DropInfo {
  folderName: string
  owner: string
  expiresAt: string
  bytesLeft: number
  maxFileBytes: number
}

const ENDED_TITLE: Record<string, string> = {
  drop_closed: 'This upload link was closed',
  drop_expired: 'This upload link has expired',
  drop_full: 'This upload link is full',
  drop_not_found: 'No such upload link',
}

export function DropPage() {
  const params = useParams<{ token: string }>()
  const base = () => `/d/${encodeURIComponent(params.token)}`
  const [info, { refetch }] = createResource(
    () => params.token,
    () => fetchLinkInfo<DropInfo>(`${base()}/info`, 'drop'),
  )
  const uploads = createUploads(() => void refetch(), { endpoint: `${base()}/uploads` })
  return (
    <main class="auth-page">
      <section class="card share-card drop-card" data-testid="drop-page">
        <p class="brand">PartyRoom</p>
        <Show when={info.latest} fallback={<p class="muted">Loading…</p>}>
          {(loaded) => (
            <Show
              when={loaded().ok ? (loaded() as { info: DropInfo }).info : undefined}
              fallback={<LinkEnded end={loaded() as LinkEnd} titles={ENDED_TITLE} testId="drop-ended" />}
            >
              {(drop) => (
                <>
                  <h1 class="share-name">
                    Send files to {drop().owner}
                  </h1>
                  <p class="muted" data-testid="drop-meta">
                    They go into “{drop().folderName}”. This link takes {formatBytes(drop().bytesLeft)} more, files of up to {formatBytes(drop().maxFileBytes)}, until{' '}
                    {formatWhen(drop().expiresAt)}.
                  </p>
                  <DropZone uploads={uploads}>
                    <strong>Drop files here</strong> or click to choose. You see only what you send.
                  </DropZone>
                  <UploadList uploads={uploads} />
                </>
              )}
            </Show>
          )}
        </Show>
      </section>
    </main>
  )
}
