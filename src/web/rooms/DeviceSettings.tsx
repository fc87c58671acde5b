// Camera, microphone and speaker choice, and the browser's noise suppression and echo cancellation: on the
// pre-join screen and in the call's settings. Every choice is remembered for the next call.
import { For, Show } from 'solid-js'
import type { LocalMedia } from './local-media'
import { choose, preferences } from './preferences'

/** Whether this browser lets a page pick the audio output. */
export const canChooseSpeaker = typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype

/** The browser's own processing of the microphone, each a checkbox applied to the live track. */
const PROCESSING = [
  { key: 'noiseSuppression', label: 'Noise suppression', testId: 'noise-suppression' },
  { key: 'echoCancellation', label: 'Echo cancellation', testId: 'echo-cancellation' },
] as const

export function DeviceSettings(props: { local: LocalMedia }) {
  const local = props.local
  return (
    <div class="device-fields">
      <DeviceSelect
        label="Camera"
        none="No camera found"
        devices={local.devices().cameras}
        value={local.cameraId() ?? preferences().cameraId ?? ''}
        onChoose={(id) => {
          choose({ cameraId: id })
          void local.chooseCamera(id)
        }}
        testId="camera-select"
      />
      <DeviceSelect
        label="Microphone"
        none="No microphone found"
        devices={local.devices().microphones}
        value={local.micId() ?? preferences().micId ?? ''}
        onChoose={(id) => {
          choose({ micId: id })
          void local.chooseMicrophone(id)
        }}
        testId="mic-select"
      />
      <Show when={canChooseSpeaker && local.devices().speakers.length > 0}>
        <label>
          Speaker
          <select value={preferences().speakerId ?? ''} onChange={(e) => choose({ speakerId: e.currentTarget.value || undefined })} data-testid="speaker-select">
            <For each={local.devices().speakers}>{(d, i) => <option value={d.deviceId === 'default' ? '' : d.deviceId}>{d.label || `Speaker ${i() + 1}`}</option>}</For>
          </select>
        </label>
      </Show>
      <For each={PROCESSING}>
        {(option) => (
          <label class="check">
            <input
              type="checkbox"
              checked={preferences()[option.key]}
              onChange={(e) => {
                choose({ [option.key]: e.currentTarget.checked })
                void local.applyAudioProcessing()
              }}
              data-testid={option.testId}
            />
            {option.label}
          </label>
        )}
      </For>
    </div>
  )
}

/** One device list: its devices by label (or "Camera 2" while the browser hides labels), or that there is none. */
function DeviceSelect(props: { label: string; none: string; devices: MediaDeviceInfo[]; value: string; onChoose: (id: string) => void; testId: string }) {
  return (
    <label>
      {props.label}
      <select value={props.value} onChange={(e) => props.onChoose(e.currentTarget.value)} data-testid={props.testId}>
        <Show when={props.devices.length === 0}>
          <option value="">{props.none}</option>
        </Show>
        <For each={props.devices}>{(d, i) => <option value={d.deviceId}>{d.label || `${props.label} ${i() + 1}`}</option>}</For>
      </select>
    </label>
  )
}
