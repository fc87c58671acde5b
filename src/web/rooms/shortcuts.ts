// The call's keyboard shortcuts: single keys, as in Jitsi Meet, ignored while typing (in the chat, a field, a
// select) and with Ctrl, Alt or Meta held, so the browser's own shortcuts are untouched. Listed in the help
// dialog from this same table.
import { onCleanup } from 'solid-js'

export type ShortcutAction = 'mic' | 'camera' | 'hand' | 'layout' | 'chat' | 'leave' | 'help'

export const SHORTCUTS: ReadonlyArray<{ key: string; shift?: boolean; label: string; action: ShortcutAction }> = [
  { key: 'm', label: 'Mute or unmute the microphone', action: 'mic' },
  { key: 'v', label: 'Turn the camera on or off', action: 'camera' },
  { key: 'h', label: 'Raise or lower your hand', action: 'hand' },
  { key: 'g', label: 'Switch between grid and speaker view', action: 'layout' },
  { key: 'c', label: 'Show or hide the chat', action: 'chat' },
  { key: 'l', shift: true, label: 'Leave the call', action: 'leave' },
  { key: '?', label: 'Show these shortcuts', action: 'help' },
]

/** How a shortcut is written in the help dialog. */
export const keyName = (s: (typeof SHORTCUTS)[number]) => (s.shift ? `Shift + ${s.key.toUpperCase()}` : s.key.toUpperCase())

function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName) || target.closest('[role=dialog]') !== null
}

/** Calls `run` for each shortcut pressed while the component lives. */
export function useShortcuts(run: (action: ShortcutAction) => void) {
  const onKey = (event: KeyboardEvent) => {
    if (event.ctrlKey || event.altKey || event.metaKey || event.repeat || typing(event.target)) return
    const key = event.key.toLowerCase()
    const shortcut = SHORTCUTS.find((s) => (s.key === '?' ? event.key === '?' : s.key === key && Boolean(s.shift) === event.shiftKey))
    if (!shortcut) return
    event.preventDefault()
    run(shortcut.action)
  }
  document.addEventListener('keydown', onKey)
  onCleanup(() => document.removeEventListener('keydown', onKey))
}
