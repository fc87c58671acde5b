// This page's own camera, microphone and screen: acquired once (as the pre-join screen's choices say), switched on
// and off, moved to another device. Turning the camera off stops it (its light goes out); turning the microphone
// off only disables the track, so unmuting is instant and the level meter still hears a voice while muted.
// Everything is reactive so the controls and the self-view follow.
import { createSignal } from 'solid-js'
import type { LocalTracks } from './peer'
import type { MediaState } from '../../rooms/protocol'
import { preferences } from './preferences'

export interface Devices {
  cameras: MediaDeviceInfo[]
  microphones: MediaDeviceInfo[]
  speakers: MediaDeviceInfo[]
}

/** Which sources the browser refused to this site (the person, or a policy): the page explains how to allow them. */
export interface Blocked {
  camera: boolean
  mic: boolean
}

const isRefusal = (e: unknown) => (e as { name?: string }).name === 'NotAllowedError' || (e as { name?: string }).name === 'SecurityError'

const VIDEO: MediaTrackConstraints = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24 } }

export function createLocalMedia() {
  const stream = new MediaStream()
  const [tracks, setTracks] = createSignal<LocalTracks>({ audio: null, camera: null, screen: null })
  const [micOn, setMicOn] = createSignal(true)
  const [error, setError] = createSignal<string>()
  const [devices, setDevices] = createSignal<Devices>({ cameras: [], microphones: [], speakers: [] })
  const [blocked, setBlocked] = createSignal<Blocked>({ camera: false, mic: false })
  /** The browser's own processing of the microphone, as chosen. */
  const audioConstraints = (deviceId?: string): MediaTrackConstraints => {
    const { noiseSuppression, echoCancellation, micId } = preferences()
    const id = deviceId ?? micId
    // A remembered device is only preferred: it may be unplugged since.
    return { noiseSuppression, echoCancellation, autoGainControl: true, ...(id ? { deviceId: deviceId ? { exact: id } : { ideal: id } } : {}) }
  }
  const videoConstraints = (deviceId?: string): MediaTrackConstraints => {
    const id = deviceId ?? cameraId() ?? preferences().cameraId
    return { ...VIDEO, ...(id ? { deviceId: deviceId ? { exact: id } : { ideal: id } } : {}) }
  }
  const refused = (source: keyof Blocked, e: unknown) => {
    if (isRefusal(e)) setBlocked({ ...blocked(), [source]: true })
  }
  const allowed = (source: keyof Blocked) => {
    if (blocked()[source]) setBlocked({ ...blocked(), [source]: false })
  }
  let started = false
  let processing: Promise<void> = Promise.resolve()
  const [cameraId, setCameraId] = createSignal<string>()
  const [micId, setMicId] = createSignal<string>()

  const state = (): MediaState => ({ camera: tracks().camera !== null, mic: tracks().audio !== null && micOn(), screen: tracks().screen !== null })

  const replaceInStream = (kind: 'audio' | 'video', track: MediaStreamTrack | null) => {
    for (const old of stream.getTracks().filter((t) => t.kind === kind)) stream.removeTrack(old)
    if (track) stream.addTrack(track)
  }

  /** A new microphone or camera track in place of the old one (stopped): in the stream, the tracks, and as the
   * device in use; a track at all means the browser allows that source. */
  const useMicrophone = (audio: MediaStreamTrack) => {
    if (tracks().audio !== audio) tracks().audio?.stop()
    allowed('mic')
    replaceInStream('audio', audio)
    setMicId(audio.getSettings().deviceId)
    setTracks({ ...tracks(), audio })
  }
  const useCamera = (camera: MediaStreamTrack) => {
    if (tracks().camera !== camera) tracks().camera?.stop()
    allowed('camera')
    replaceInStream('video', camera)
    setCameraId(camera.getSettings().deviceId)
    setTracks({ ...tracks(), camera })
  }

  const refreshDevices = async () => {
    const all = await navigator.mediaDevices.enumerateDevices()
    setDevices({
      cameras: all.filter((d) => d.kind === 'videoinput' && d.deviceId),
      microphones: all.filter((d) => d.kind === 'audioinput' && d.deviceId),
      speakers: all.filter((d) => d.kind === 'audiooutput' && d.deviceId),
    })
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

    blocked,

    /**
     * Asks for what the pre-join choices want, together (one permission prompt): the microphone always (muted if
     * chosen so, which lets the meter work), the camera only when it is to be on (its light stays off otherwise).
     * Either may fail alone. Safe to call again ("Try again" after allowing them in the browser).
     */
    async start() {
      const wanted = preferences()
      const current = tracks()
      let audio = current.audio
      let camera = current.camera
      const wantCamera = wanted.camera && !camera
      const wantAudio = !audio
      if (!wantAudio && !wantCamera) return
      try {
        const media = await navigator.mediaDevices.getUserMedia({ audio: wantAudio ? audioConstraints() : false, video: wantCamera ? videoConstraints() : false })
        if (wantAudio) audio = media.getAudioTracks()[0] ?? null
        if (wantCamera) camera = media.getVideoTracks()[0] ?? null
      } catch {
        // Try each alone, so a missing camera does not cost the microphone.
        if (wantAudio) {
          audio = await navigator.mediaDevices.getUserMedia({ audio: audioConstraints() }).then(
            (m) => m.getAudioTracks()[0] ?? null,
            (e) => (refused('mic', e), isRefusal(e) || setError('Microphone unavailable: others will not hear you'), null),
          )
        }
        if (wantCamera) {
          camera = await navigator.mediaDevices.getUserMedia({ video: videoConstraints() }).then(
            (m) => m.getVideoTracks()[0] ?? null,
            (e) => (refused('camera', e), isRefusal(e) || setError(`Camera unavailable: ${describe(e)}`), null),
          )
        }
      }
      if (wantAudio && audio) {
        audio.enabled = wanted.mic
        setMicOn(wanted.mic)
        useMicrophone(audio)
      }
      if (wantCamera && camera) useCamera(camera)
      void refreshDevices()
      if (!started) navigator.mediaDevices.addEventListener('devicechange', refreshDevices)
      started = true
    },

    /** The browser's noise suppression and echo cancellation, as now chosen, on the microphone being sent. Chromium
     * does not change a live track's processing (applyConstraints leaves it as it was), so the microphone is opened
     * again with the new settings and swapped in, muted or not as it was. */
    applyAudioProcessing() {
      // One change at a time, each against the track the one before it left: two quick clicks end as chosen.
      processing = processing.then(async () => {
        const audio = tracks().audio
        if (!audio) return
        const { noiseSuppression, echoCancellation } = preferences()
        const now = audio.getSettings()
        if (now.noiseSuppression === noiseSuppression && now.echoCancellation === echoCancellation) return
        const deviceId = now.deviceId ?? micId()
        if (deviceId) await this.chooseMicrophone(deviceId)
      })
      return processing
    },

    async toggleMic() {
      const audio = tracks().audio
      if (!audio) {
        // None yet (refused, or no device then): ask again, on.
        try {
          const fresh = (await navigator.mediaDevices.getUserMedia({ audio: audioConstraints() })).getAudioTracks()[0]!
          setMicOn(true)
          useMicrophone(fresh)
          void refreshDevices()
        } catch (e) {
          refused('mic', e)
          setError(`Microphone unavailable: ${describe(e)}`)
        }
        return
      }
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
        useCamera((await navigator.mediaDevices.getUserMedia({ video: videoConstraints() })).getVideoTracks()[0]!)
        void refreshDevices()
      } catch (e) {
        refused('camera', e)
        setError(`Camera unavailable: ${describe(e)}`)
      }
    },

    async chooseCamera(deviceId: string) {
      try {
        // With the camera off, the choice waits for it to be turned on.
        if (!tracks().camera) return void setCameraId(deviceId)
        useCamera((await navigator.mediaDevices.getUserMedia({ video: videoConstraints(deviceId) })).getVideoTracks()[0]!)
      } catch (e) {
        setError(`That camera could not be used: ${describe(e)}`)
      }
    },

    async chooseMicrophone(deviceId: string) {
      try {
        const audio = (await navigator.mediaDevices.getUserMedia({ audio: audioConstraints(deviceId) })).getAudioTracks()[0]!
        audio.enabled = micOn()
        useMicrophone(audio)
      } catch (e) {
        setError(`That microphone could not be used: ${describe(e)}`)
      }
    },

    /** A host turned one of our sources off: it goes off here (and only we turn it back on). */
    turnOff(source: 'mic' | 'camera' | 'screen') {
      if (source === 'mic' && micOn()) void this.toggleMic()
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
