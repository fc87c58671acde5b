// A link to hand on (an invite, a share): shown in full, selected on focus, with a Copy button that says when it
// worked.
import { createSignal } from 'solid-js'

/** Puts text on the clipboard; whether it worked (a browser may refuse without a user gesture or permission). */
export function copyText(text: string): Promise<boolean> {
  return navigator.clipboard?.writeText(text).then(
    () => true,
    () => false,
  ) ?? Promise.resolve(false)
}

export function CopyField(props: { value: string; label: string; testId?: string }) {
  const [copied, setCopied] = createSignal(false)
  return (
    <p class="copy-field">
      <input readonly aria-label={props.label} value={props.value} data-testid={props.testId} onFocus={(e) => e.currentTarget.select()} />
      <button class="secondary" onClick={async () => setCopied(await copyText(props.value))}>
        {copied() ? 'Copied' : 'Copy'}
      </button>
    </p>
  )
}
