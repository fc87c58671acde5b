// What someone opening a file drop link sees, logged in or not: whose folder the files go to, how much the link
// still takes and until when, and a place to drop or choose files, uploaded with tus (resumable, with progress).
// Only this browser's own uploads are listed; nothing of the folder is shown. An ended link says why.
import { createResource, Show } from 'solid-js'
import { useParams } from '@solidjs/router'
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

type Loaded = { ok: true; drop: DropInfo } | { ok: false; code: string; message: string }

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
    async (): Promise<Loaded> => {
      const response = await fetch(`${base()}/info`)
      const body = (await response.json().catch(() => ({}))) as { drop?: DropInfo; error?: { code: string; message: string } }
      if (response.ok && body.drop) return { ok: true, drop: body.drop }
      return { ok: false, code: body.error?.code ?? 'unknown', message: body.error?.message ?? `the server answered ${response.status}` }
    },
  )
  const uploads = createUploads(() => void refetch(), { endpoint: `${base()}/uploads` })
  return (
    <main class="auth-page">
      <section class="card share-card drop-card" data-testid="drop-page">
        <p class="brand">PartyRoom</p>
        <Show when={info.latest} fallback={<p class="muted">Loading…</p>}>
          {(loaded) => (
            <Show
              when={loaded().ok ? (loaded() as { drop: DropInfo }).drop : undefined}
              fallback={
                <div data-testid="drop-ended" data-code={(loaded() as { code: string }).code}>
                  <h1>{ENDED_TITLE[(loaded() as { code: string }).code] ?? 'This link does not work'}</h1>
                  <p class="muted">{(loaded() as { message: string }).message}. Ask whoever sent it for a new one.</p>
                </div>
              }
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
