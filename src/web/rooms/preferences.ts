// What this browser chose last time on the pre-join screen and in the call's settings: join with the camera and
// the microphone on or off, which devices, the browser's noise suppression and echo cancellation, and whether the
// self-view shows. Kept in localStorage; anything unreadable falls back to the defaults.
import { createSignal } from 'solid-js'

export interface MediaPreferences {
  camera: boolean
  mic: boolean
  cameraId?: string
  micId?: string
  /** The audio output (HTMLMediaElement.setSinkId), where the browser lets a page choose it. */
  speakerId?: string
  noiseSuppression: boolean
  echoCancellation: boolean
  /** Show our own camera among the tiles. */
  selfView: boolean
}

const KEY = 'partyroom.media'
const DEFAULTS: MediaPreferences = { camera: true, mic: true, noiseSuppression: true, echoCancellation: true, selfView: true }

function read(): MediaPreferences {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Record<string, unknown>
    const flag = (name: keyof MediaPreferences) => (typeof stored[name] === 'boolean' ? (stored[name] as boolean) : (DEFAULTS[name] as boolean))
    const id = (name: keyof MediaPreferences) => (typeof stored[name] === 'string' && (stored[name] as string).length <= 256 ? (stored[name] as string) : undefined)
    return {
      camera: flag('camera'),
      mic: flag('mic'),
      cameraId: id('cameraId'),
      micId: id('micId'),
      speakerId: id('speakerId'),
      noiseSuppression: flag('noiseSuppression'),
      echoCancellation: flag('echoCancellation'),
      selfView: flag('selfView'),
    }
  } catch {
    return { ...DEFAULTS }
  }
}

const [preferences, setPreferences] = createSignal<MediaPreferences>(read())

export { preferences }

/** Changes some choices, and remembers them for the next call. */
export function choose(change: Partial<MediaPreferences>) {
  const next = { ...preferences(), ...change }
  setPreferences(next)
  try {
    localStorage.setItem(KEY, JSON.stringify(next))
  } catch {
    // Storage full or refused: the choice holds for this page only.
  }
}
