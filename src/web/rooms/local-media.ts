// This page's own camera, microphone and screen: acquired once, switched on and off, moved to another device.
// Turning the camera off stops it (its light goes out); turning the microphone off only disables the track, so
// unmuting is instant. Everything is reactive so the controls and the self-view follow.
import { createSignal } from 'solid-js'
import type { LocalTracks } from './peer'
import type { MediaState } from '../../rooms/protocol'

export interface Devices {
  cameras: MediaDeviceInfo[]
  microphones: MediaDeviceInfo[]
}

const VIDEO: MediaTrackConstraints = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24 } }

export function createLocalMedia() {
  const stream = new MediaStream()
  const [tracks, setTracks] = createSignal<LocalTracks>({ audio: null, camera: null, screen: null })
  const [micOn, setMicOn] = createSignal(true)
  const [error, setError] = createSignal<string>()
  const [devices, setDevices] = createSignal<Devices>({ cameras: [], microphones: [] })
  const [cameraId, setCameraId] = createSignal<string>()
  const [micId, setMicId] = createSignal<string>()

  const state = (): MediaState => ({ camera: tracks().camera !== null, mic: tracks().audio !== null && micOn(), screen: tracks().screen !== null })

  const replaceInStream = (kind: 'audio' | 'video', track: MediaStreamTrack | null) => {
    for (const old of stream.getTracks().filter((t) => t.kind === kind)) stream.removeTrack(old)
    if (track) stream.addTrack(track)
  }

  const refreshDevices = async () => {
    const all = await navigator.mediaDevices.enumerateDevices()
    setDevices({ cameras: all.filter((d) => d.kind === 'videoinput'), microphones: all.filter((d) => d.kind === 'audioinput') })
  }

  const describe = (e: unknown) => {
    const name = (e as { name?: string }).name
    if (name === 'NotAllowedError') return 'permission to use it was refused'
    if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'no such device was found'
    if (name === 'NotReadableError') return 'another application is using it'
    return String((e as Error).message ?? e)
  }

  return {
    stream,
    tracks,
    state,
    error,
    clearError: () => setError(undefined),
    devices,
    cameraId,
    micId,
    micOn,

    /** Asks for camera and microphone together (one permission prompt); either may fail alone. */
    async start() {
      let audio: MediaStreamTrack | null = null
      let camera: MediaStreamTrack | null = null
      try {
        const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: VIDEO })
        audio = media.getAudioTracks()[0] ?? null
        camera = media.getVideoTracks()[0] ?? null
      } catch {
        // Try each alone, so a missing camera does not cost the microphone.
        audio = await navigator.mediaDevices.getUserMedia({ audio: true }).then((m) => m.getAudioTracks()[0] ?? null, () => null)
        camera = await navigator.mediaDevices
          .getUserMedia({ video: VIDEO })
          .then((m) => m.getVideoTracks()[0] ?? null, (e) => (setError(`Camera unavailable: ${describe(e)}`), null))
        if (!audio) setError('Microphone unavailable: others will not hear you')
      }
      replaceInStream('audio', audio)
      replaceInStream('video', camera)
      setCameraId(camera?.getSettings().deviceId)
      setMicId(audio?.getSettings().deviceId)
      setTracks({ audio, camera, screen: null })
      void refreshDevices()
      navigator.mediaDevices.addEventListener('devicechange', refreshDevices)
    },

    toggleMic() {
      const audio = tracks().audio
      if (!audio) return setError('No microphone: choose one in the device settings')
      audio.enabled = !micOn()
      setMicOn(!micOn())
    },

    async toggleCamera() {
      const current = tracks().camera
      if (current) {
        current.stop()
        replaceInStream('video', null)
        setTracks({ ...tracks(), camera: null })
        return
      }
      try {
        const video = cameraId() ? { ...VIDEO, deviceId: { exact: cameraId()! } } : VIDEO
        const camera = (await navigator.mediaDevices.getUserMedia({ video })).getVideoTracks()[0]!
        replaceInStream('video', camera)
        setTracks({ ...tracks(), camera })
      } catch (e) {
        setError(`Camera unavailable: ${describe(e)}`)
      }
    },

    async chooseCamera(deviceId: string) {
      try {
        const camera = (await navigator.mediaDevices.getUserMedia({ video: { ...VIDEO, deviceId: { exact: deviceId } } })).getVideoTracks()[0]!
        tracks().camera?.stop()
        replaceInStream('video', camera)
        setCameraId(deviceId)
        setTracks({ ...tracks(), camera })
      } catch (e) {
        setError(`That camera could not be used: ${describe(e)}`)
      }
    },

    async chooseMicrophone(deviceId: string) {
      try {
        const audio = (await navigator.mediaDevices.getUserMedia({ audio: { deviceId: { exact: deviceId } } })).getAudioTracks()[0]!
        audio.enabled = micOn()
        tracks().audio?.stop()
        replaceInStream('audio', audio)
        setMicId(deviceId)
        setTracks({ ...tracks(), audio })
      } catch (e) {
        setError(`That microphone could not be used: ${describe(e)}`)
      }
    },

    /** A host turned one of our sources off: it goes off here (and only we turn it back on). */
    turnOff(source: 'mic' | 'camera' | 'screen') {
      if (source === 'mic' && micOn()) this.toggleMic()
      else if (source === 'camera' && tracks().camera) void this.toggleCamera()
      else if (source === 'screen' && tracks().screen) void this.toggleScreen()
    },

    async toggleScreen() {
      const current = tracks().screen
      if (current) {
        current.stop()
        setTracks({ ...tracks(), screen: null })
        return
      }
      try {
        const screen = (await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false })).getVideoTracks()[0]!
        screen.contentHint = 'detail'
        // The browser's own "Stop sharing" button ends the track.
        screen.addEventListener('ended', () => {
          if (tracks().screen === screen) setTracks({ ...tracks(), screen: null })
        })
        setTracks({ ...tracks(), screen })
      } catch (e) {
        if ((e as { name?: string }).name !== 'NotAllowedError') setError(`Screen sharing failed: ${describe(e)}`)
      }
    },

    stop() {
      navigator.mediaDevices.removeEventListener('devicechange', refreshDevices)
      const { audio, camera, screen } = tracks()
      for (const track of [audio, camera, screen]) track?.stop()
      setTracks({ audio: null, camera: null, screen: null })
    },
  }
}

export type LocalMedia = ReturnType<typeof createLocalMedia>
