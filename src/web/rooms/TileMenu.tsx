// A tile's options: pin it to the stage (or take it off), show it full screen, this person's volume here, the
// connection's details, hiding the self-view, and, for hosts, what they can do to the member.
import { For, Show } from 'solid-js'
import type { RemoteMember } from './call-store'
import { Dialog } from '../ui/Dialog'
import { describeQuality, GRADE_LABEL, type Quality } from './quality'

export interface TileMenuProps {
  /** Whose tile, as shown. */
  title: string
  pinned: boolean
  onPin: () => void
  onFullscreen: () => void
  /** A remote camera tile: its volume here (0-1). */
  volume?: number
  onVolume?: (volume: number) => void
  quality?: Quality
  /** Our own camera tile. */
  onHideSelf?: () => void
  /** Host actions on a remote member (only shown to hosts). */
  host?: {
    member: RemoteMember
    mute: (source: 'mic' | 'camera' | 'screen') => void
    make: () => void
    kick: () => void
    lowerHand?: () => void
  }
  onClose: () => void
}

export function TileMenu(props: TileMenuProps) {
  /** The action first: it reads this menu's tile, which is gone once the menu closes. */
  const act = (action: () => void) => {
    action()
    props.onClose()
  }
  return (
    <Dialog class="tile-menu" label={`Options for ${props.title}`} onClose={props.onClose}>
      <h2>{props.title}</h2>
      <button class="secondary" onClick={() => act(props.onPin)}>
        {props.pinned ? 'Unpin' : 'Pin to the stage'}
      </button>
      <button class="secondary" onClick={() => act(props.onFullscreen)}>
        Full screen
      </button>
      <Show when={props.onHideSelf}>
        <button class="secondary" onClick={() => act(props.onHideSelf!)}>
          Hide self view
        </button>
      </Show>
      <Show when={props.onVolume}>
        <label class="volume">
          Volume for you
          <input
            type="range"
            min="0"
            max="100"
            step="5"
            value={Math.round((props.volume ?? 1) * 100)}
            onInput={(e) => props.onVolume!(Number(e.currentTarget.value) / 100)}
            aria-valuetext={`${Math.round((props.volume ?? 1) * 100)} %`}
            data-testid="volume"
          />
        </label>
      </Show>
      <Show when={props.quality}>
        {(q) => <ConnectionDetails quality={q()} />}
      </Show>
      <Show when={props.host}>
        {(host) => (
          <div class="host-actions" role="group" aria-label="Host actions">
            <h3>Host actions</h3>
            <Show when={host().member.media.mic}>
              <button class="secondary" onClick={() => act(() => host().mute('mic'))}>Mute microphone</button>
            </Show>
            <Show when={host().member.media.camera}>
              <button class="secondary" onClick={() => act(() => host().mute('camera'))}>Turn off camera</button>
            </Show>
            <Show when={host().member.media.screen}>
              <button class="secondary" onClick={() => act(() => host().mute('screen'))}>Stop screen share</button>
            </Show>
            <Show when={host().lowerHand}>
              <button class="secondary" onClick={() => act(host().lowerHand!)}>Lower hand</button>
            </Show>
            <Show when={!host().member.host}>
              <button class="secondary" onClick={() => act(host().make)}>Make host</button>
            </Show>
            <button class="secondary danger" onClick={() => act(host().kick)}>Remove from call</button>
          </div>
        )}
      </Show>
      <button class="secondary" onClick={() => props.onClose()}>
        Close
      </button>
    </Dialog>
  )
}

/** Round trip, loss, bitrate and frame rate of one path, as numbers a person can act on. */
export function ConnectionDetails(props: { quality: Quality }) {
  return (
    <div class="connection-details" data-testid="connection-details" data-grade={props.quality.grade}>
      <h3>{GRADE_LABEL[props.quality.grade]}</h3>
      <ul>
        <For each={describeQuality(props.quality)}>{(line) => <li>{line}</li>}</For>
      </ul>
    </div>
  )
}
