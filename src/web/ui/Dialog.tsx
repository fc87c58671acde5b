// A modal dialog that closes the ways people expect: its backdrop clicked, Escape pressed; the first control inside
// takes the focus when it opens, so a keyboard user starts in it.
import type { JSX } from 'solid-js'

export function Dialog(props: { label?: string; labelledBy?: string; class?: string; onClose: () => void; children: JSX.Element }) {
  return (
    <div class="modal-backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()} onKeyDown={(e) => e.key === 'Escape' && props.onClose()}>
      <div
        ref={(el) => queueMicrotask(() => el.querySelector<HTMLElement>('button, input, select, textarea')?.focus())}
        class={`card modal ${props.class ?? ''}`}
        role="dialog"
        aria-modal="true"
        aria-label={props.label}
        aria-labelledby={props.labelledBy}
      >
        {props.children}
      </div>
    </div>
  )
}
