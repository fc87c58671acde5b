// Camera, microphone and speaker choice, and the browser's noise suppression and echo cancellation: on the
// pre-join screen and in the call's settings. Every choice is remembered for the next call.
import { For, Show } from 'solid-js'
import type { LocalMedia } from './local-media'
import { choose, preferences } from './preferences'

/** Whether this browser lets a page pick the audio output. */
export const canChooseSpeaker = typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype

export function DeviceSettings(props: { local: LocalMedia }) {
  const local = props.local
  return (
    <div class="device-fields">
      <label>
        Camera
        <select
          value={local.cameraId() ?? preferences().cameraId ?? ''}
          onChange={(e) => {
            choose({ cameraId: e.currentTarget.value })
            void local.chooseCamera(e.currentTarget.value)
          }}
          data-testid="camera-select"
        >
          <Show when={local.devices().cameras.length === 0}>
            <option value="">No camera found</option>
          </Show>
          <For each={local.devices().cameras}>{(d, i) => <option value={d.deviceId}>{d.label || `Camera ${i() + 1}`}</option>}</For>
        </select>
      </label>
      <label>
        Microphone
        <select
          value={local.micId() ?? preferences().micId ?? ''}
          onChange={(e) => {
            choose({ micId: e.currentTarget.value })
            void local.chooseMicrophone(e.currentTarget.value)
          }}
          data-testid="mic-select"
        >
          <Show when={local.devices().microphones.length === 0}>
            <option value="">No microphone found</option>
          </Show>
          <For each={local.devices().microphones}>{(d, i) => <option value={d.deviceId}>{d.label || `Microphone ${i() + 1}`}</option>}</For>
        </select>
      </label>
      <Show when={canChooseSpeaker && local.devices().speakers.length > 0}>
        <label>
          Speaker
          <select value={preferences().speakerId ?? ''} onChange={(e) => choose({ speakerId: e.currentTarget.value || undefined })} data-testid="speaker-select">
            <For each={local.devices().speakers}>{(d, i) => <option value={d.deviceId === 'default' ? '' : d.deviceId}>{d.label || `Speaker ${i() + 1}`}</option>}</For>
          </select>
        </label>
      </Show>
      <label class="check">
        <input
          type="checkbox"
          checked={preferences().noiseSuppression}
          onChange={(e) => {
            choose({ noiseSuppression: e.currentTarget.checked })
            void local.applyAudioProcessing()
          }}
          data-testid="noise-suppression"
        />
        Noise suppression
      </label>
      <label class="check">
        <input
          type="checkbox"
          checked={preferences().echoCancellation}
          onChange={(e) => {
            choose({ echoCancellation: e.currentTarget.checked })
            void local.applyAudioProcessing()
          }}
          data-testid="echo-cancellation"
        />
        Echo cancellation
      </label>
    </div>
  )
}
