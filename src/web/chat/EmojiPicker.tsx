// The emoji picker is emoji-picker-element (a maintained web component), fed from emoji data we serve ourselves:
// a self-hosted server must not depend on a CDN.
import { onCleanup, onMount } from 'solid-js'
import dataSource from 'emoji-picker-element-data/en/emojibase/data.json?url'

declare module 'solid-js' {
  namespace JSX {
    interface IntrinsicElements {
      'emoji-picker': JSX.HTMLAttributes<HTMLElement> & { 'data-source'?: string }
    }
  }
}

export function EmojiPicker(props: { onPick: (emoji: string) => void; onClose: () => void }) {
  let element: HTMLElement | undefined
  const picked = (event: Event) => {
    const unicode = (event as CustomEvent<{ unicode?: string }>).detail.unicode
    if (unicode) props.onPick(unicode)
  }
  const escape = (event: KeyboardEvent) => event.key === 'Escape' && props.onClose()
  onMount(async () => {
    await import('emoji-picker-element')
    element?.addEventListener('emoji-click', picked)
    document.addEventListener('keydown', escape)
  })
  onCleanup(() => {
    element?.removeEventListener('emoji-click', picked)
    document.removeEventListener('keydown', escape)
  })
  return (
    <div class="emoji-popover" role="dialog" aria-label="Emoji picker">
      <emoji-picker ref={element} data-source={dataSource} />
    </div>
  )
}
