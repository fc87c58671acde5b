// The message box: emoji, attachments, @mention completion from the people of the room, and the reply and edit
// modes (a bar above the box says which, Escape leaves it).
import { createMemo, createResource, createSignal, For, Show } from 'solid-js'
import Smile from 'lucide-solid/icons/face-slightly-smiling'
import SendHorizontal from 'lucide-solid/icons/send-horizontal'
import Paperclip from 'lucide-solid/icons/paperclip'
import X from 'lucide-solid/icons/x'
import type { ChatAttachment, ChatMessage, UserRef } from '../../rooms/protocol'
import { limits } from '../socket/connection'
import { formatBytes } from '../ui/format'

export type ComposerMode = { kind: 'reply'; message: ChatMessage } | { kind: 'edit'; message: ChatMessage } | undefined

/** Most names the completion list shows. */
const SUGGESTIONS = 6

export function Composer(props: {
  mode: ComposerMode
  onCancelMode: () => void
  /** People who may be mentioned here (present, and authors of the messages held), without the writer. */
  people: () => UserRef[]
  /** Everyone else whose name starts with a prefix, when the room is readable by everyone (the global chat). */
  lookup?: (prefix: string) => Promise<UserRef[]>
  staged?: ChatAttachment
  onUnstage: () => void
  onAttach: () => void
  onEmoji: () => void
  onTyping: () => void
  onSubmit: (text: string) => void
  /** The writer, never offered. */
  self?: number
  /** Up arrow in an empty box: edit your last message. */
  onEditLast: () => void
  ref: (api: { insert(text: string): void; focus(): void; set(text: string): void }) => void
}) {
  const [draft, setDraft] = createSignal('')
  const [caret, setCaret] = createSignal(0)
  const [selected, setSelected] = createSignal(0)
  const [dismissed, setDismissed] = createSignal<string>()
  let input: HTMLTextAreaElement | undefined

  props.ref({
    insert: (text) => {
      setDraft((d) => d + text)
      input?.focus()
    },
    focus: () => input?.focus(),
    set: (text) => {
      setDraft(text)
      queueMicrotask(() => {
        input?.focus()
        input?.setSelectionRange(text.length, text.length)
      })
    },
  })

  /** The @word being typed at the caret, if any. */
  const partial = createMemo(() => {
    const before = draft().slice(0, caret())
    const match = /(?:^|[^\p{L}\p{N}_.@-])@([A-Za-z0-9_.-]{0,32})$/u.exec(before)
    return match ? { word: match[1]!, start: before.length - match[1]!.length - 1 } : undefined
  })
  const [found] = createResource(
    () => (props.lookup && partial()?.word ? partial()!.word : undefined),
    (prefix) => props.lookup!(prefix).catch(() => [] as UserRef[]),
  )
  const suggestions = createMemo(() => {
    const p = partial()
    if (!p || dismissed() === `${p.start}:${p.word}`) return []
    const word = p.word.toLowerCase()
    const local = props.people().filter((u) => u.username.toLowerCase().startsWith(word))
    const known = new Set(local.map((u) => u.id))
    const others = (found.latest ?? []).filter((u) => !known.has(u.id) && u.username.toLowerCase().startsWith(word))
    return [...local, ...others].filter((u) => u.id !== props.self).slice(0, SUGGESTIONS)
  })
  const complete = (person: UserRef) => {
    const p = partial()
    if (!p) return
    const text = draft()
    const next = `${text.slice(0, p.start)}@${person.username} ${text.slice(caret())}`
    const at = p.start + person.username.length + 2
    setDraft(next)
    setSelected(0)
    queueMicrotask(() => {
      input?.focus()
      input?.setSelectionRange(at, at)
      setCaret(at)
    })
  }

  const submit = (event?: Event) => {
    event?.preventDefault()
    const text = draft()
    if (!text.trim() && !props.staged) return
    props.onSubmit(text)
    setDraft('')
    input?.focus()
  }
  const length = () => [...draft()].length
  const track = () => setCaret(input?.selectionStart ?? draft().length)

  return (
    <>
      <Show when={props.mode}>
        {(mode) => (
          <p class="composer-mode" data-testid="composer-mode">
            <span>
              {mode().kind === 'reply' ? 'Replying to ' : 'Editing your message'}
              <Show when={mode().kind === 'reply'}>
                <strong>{mode().message.author.username}</strong>: <span class="muted">{mode().message.text.slice(0, 80)}</span>
              </Show>
            </span>
            <button type="button" class="link" aria-label={mode().kind === 'reply' ? 'Cancel the reply' : 'Cancel editing'} onClick={() => (setDraft(''), props.onCancelMode())}>
              <X aria-hidden="true" />
            </button>
          </p>
        )}
      </Show>
      <Show when={props.staged}>
        {(a) => (
          <p class="staged" data-testid="staged-attachment">
            <Paperclip aria-hidden="true" /> <span class="attachment-name">{a().name}</span> <span class="muted">{formatBytes(a().size)}</span>
            <button type="button" class="link" aria-label={`Remove the attachment ${a().name}`} onClick={props.onUnstage}>
              <X aria-hidden="true" />
            </button>
          </p>
        )}
      </Show>
      <form class="composer" onSubmit={submit}>
        <Show when={suggestions().length > 0}>
          <ul class="mention-list card" role="listbox" aria-label="People to mention" data-testid="mention-suggestions">
            <For each={suggestions()}>
              {(person, index) => (
                <li
                  role="option"
                  aria-selected={index() === selected()}
                  classList={{ selected: index() === selected() }}
                  onMouseDown={(e) => {
                    e.preventDefault()
                    complete(person)
                  }}
                >
                  @{person.username}
                </li>
              )}
            </For>
          </ul>
        </Show>
        <button type="button" class="secondary icon" aria-label="Insert emoji" title="Insert emoji" onClick={props.onEmoji}>
          <Smile aria-hidden="true" />
        </button>
        <button type="button" class="secondary icon" aria-label="Attach a file" title="Attach a file" onClick={props.onAttach}>
          <Paperclip aria-hidden="true" />
        </button>
        <textarea
          ref={input}
          rows={1}
          placeholder={props.mode?.kind === 'edit' ? 'Edit your message…' : 'Write a message… (**bold**, _italic_, `code`, @name)'}
          aria-label="Message"
          aria-autocomplete="list"
          value={draft()}
          onInput={(e) => {
            setDraft(e.currentTarget.value)
            track()
            props.onTyping()
          }}
          onClick={track}
          onKeyUp={(e) => {
            if (e.key === 'ArrowLeft' || e.key === 'ArrowRight' || e.key === 'Home' || e.key === 'End') track()
          }}
          onKeyDown={(e) => {
            const list = suggestions()
            if (list.length > 0) {
              if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
                e.preventDefault()
                setSelected((i) => (i + (e.key === 'ArrowDown' ? 1 : list.length - 1)) % list.length)
                return
              }
              if (e.key === 'Enter' || e.key === 'Tab') {
                e.preventDefault()
                complete(list[Math.min(selected(), list.length - 1)]!)
                return
              }
              if (e.key === 'Escape') {
                e.preventDefault()
                const p = partial()!
                setDismissed(`${p.start}:${p.word}`)
                return
              }
            }
            if (e.key === 'Escape' && props.mode) {
              e.preventDefault()
              setDraft('')
              props.onCancelMode()
              return
            }
            if (e.key === 'ArrowUp' && draft() === '' && !props.mode) {
              e.preventDefault()
              props.onEditLast()
              return
            }
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) submit(e)
          }}
        />
        <button type="submit" disabled={(!draft().trim() && !props.staged) || length() > limits().maxMessageLength}>
          <SendHorizontal aria-hidden="true" />
          <span>{props.mode?.kind === 'edit' ? 'Save' : 'Send'}</span>
        </button>
      </form>
      <Show when={length() > limits().maxMessageLength * 0.9}>
        <p class="muted counter" classList={{ error: length() > limits().maxMessageLength }}>
          {length()} / {limits().maxMessageLength}
        </p>
      </Show>
    </>
  )
}
