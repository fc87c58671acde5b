// A file shown in place: images, audio and video (the player seeks through Range requests), PDF in the browser's
// viewer, plain text. The server sends these types for display only when asked (?inline=1) and never SVG or HTML,
// and every stored file carries a sandboxing Content-Security-Policy, so nothing stored runs as a page of ours.
// Text is fetched (its first 256 KiB) and shown as text, never parsed as markup.
import { createResource, Match, Show, Switch } from 'solid-js'
import { formatBytes } from '../ui/format'

import { previewKind } from '../../vault/preview'

const TEXT_BYTES = 256 * 1024

/** Images small enough to show as a thumbnail in a list (the browser scales them down). */
export function hasThumbnail(file: { contentType: string; size: number }): boolean {
  return previewKind(file.contentType) === 'image' && file.size <= 8 * 1024 * 1024
}

export interface Previewed {
  name: string
  size: number
  contentType: string
  /** The file's content URL (without ?inline). */
  src: string
}

/** The preview itself, for a dialog or a page. */
export function PreviewBody(props: { file: Previewed }) {
  const inline = () => `${props.file.src}${props.file.src.includes('?') ? '&' : '?'}inline=1`
  const kind = () => previewKind(props.file.contentType)
  const [text] = createResource(
    () => (kind() === 'text' ? inline() : undefined),
    async (url) => {
      const response = await fetch(url, { headers: { range: `bytes=0-${TEXT_BYTES - 1}` } })
      if (!response.ok) throw new Error(`the server answered ${response.status}`)
      return new TextDecoder().decode(await response.arrayBuffer())
    },
  )
  return (
    <div class="preview" data-testid="preview" data-kind={kind() ?? 'none'}>
      <Switch fallback={<p class="muted">No preview for this type of file ({props.file.contentType}). Download it to open it.</p>}>
        <Match when={kind() === 'image'}>
          <img src={inline()} alt={props.file.name} />
        </Match>
        <Match when={kind() === 'video'}>
          <video src={inline()} controls preload="metadata" aria-label={props.file.name} />
        </Match>
        <Match when={kind() === 'audio'}>
          <audio src={inline()} controls preload="metadata" aria-label={props.file.name} />
        </Match>
        <Match when={kind() === 'pdf'}>
          <iframe src={inline()} title={props.file.name} />
        </Match>
        <Match when={kind() === 'text'}>
          <Show when={!text.error} fallback={<p class="error">Could not load the text: {String(text.error?.message ?? text.error)}</p>}>
            <pre class="preview-text" tabindex="0">{text() ?? 'Loading…'}</pre>
            <Show when={props.file.size > TEXT_BYTES}>
              <p class="muted">The first {formatBytes(TEXT_BYTES)} of {formatBytes(props.file.size)} are shown.</p>
            </Show>
          </Show>
        </Match>
      </Switch>
    </div>
  )
}

/** The preview in a dialog, with Download and Close. */
export function PreviewDialog(props: { file: Previewed; onClose: () => void }) {
  return (
    <div class="modal-backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div
        class="card modal preview-dialog"
        role="dialog"
        aria-modal="true"
        aria-label={`Preview of ${props.file.name}`}
        onKeyDown={(e) => e.key === 'Escape' && props.onClose()}
      >
        <header class="preview-header">
          <h2>{props.file.name}</h2>
          <span class="muted">{formatBytes(props.file.size)}</span>
        </header>
        <PreviewBody file={props.file} />
        <div class="modal-actions">
          <a class="button secondary" href={props.file.src} download={props.file.name}>
            Download
          </a>
          <button onClick={props.onClose} autofocus>
            Close
          </button>
        </div>
      </div>
    </div>
  )
}
