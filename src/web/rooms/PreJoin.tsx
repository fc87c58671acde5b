// Before the call: see yourself, hear your microphone move the meter, test the speaker, choose devices, and join
// with the camera or the microphone off. The choices are remembered for the next call. Who is already in the room
// (names only) is shown, asked of the server every few seconds.
import Mic from 'lucide-solid/icons/mic'
import MicOff from 'lucide-solid/icons/mic-off'
import Video from 'lucide-solid/icons/video'
import VideoOff from 'lucide-solid/icons/video-off'
import Volume2 from 'lucide-solid/icons/volume-2'
import { createSignal, For, onCleanup, onMount, Show } from 'solid-js'
import type { ServerMessage } from '../../rooms/protocol'
import { onServerMessage, send, status } from '../socket/connection'
import type { LocalMedia } from './local-media'
import { createLevelMeter } from './level-meter'
import { choose, preferences } from './preferences'
import { DeviceSettings } from './DeviceSettings'
import { playTestSound } from './speaker-test'

/** How often the pre-join screen asks who is in the room. */
const PEEK_EVERY_MS = 5000

type Peek = Extract<ServerMessage, { type: 'room.peek' }>

export function PreJoin(props: { room: string; local: LocalMedia; onJoin: () => void }) {
  const local = props.local
  const level = createLevelMeter(() => local.tracks().audio)
  const [peek, setPeek] = createSignal<Peek>()
  const [testing, setTesting] = createSignal(false)

  onMount(() => {
    const ask = () => {
      if (status() === 'online') send({ type: 'room.peek', room: props.room })
    }
    const unsubscribe = onServerMessage((frame) => {
      if (frame.type === 'hello') ask()
      else if (frame.type === 'room.peek' && frame.room === props.room) setPeek(frame)
    })
    ask()
    const timer = setInterval(ask, PEEK_EVERY_MS)
    onCleanup(() => {
      clearInterval(timer)
      unsubscribe()
    })
  })

  /** The moment a person first sees themselves: bench/call-join.ts reads it. */
  const onPreview = (video: HTMLVideoElement) => {
    const mark = () => performance.mark('call:prejoin-preview')
    if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback(mark)
    else mark()
  }

  const toggleCamera = async () => {
    await local.toggleCamera()
    choose({ camera: local.state().camera })
  }
  const toggleMic = async () => {
    await local.toggleMic()
    choose({ mic: local.state().mic })
  }
  const testSpeaker = async () => {
    setTesting(true)
    await playTestSound(preferences().speakerId).catch(() => undefined)
    setTesting(false)
  }

  const who = () => {
    const p = peek()
    if (!p) return 'Checking who is here…'
    if (p.people.length === 0) return 'Nobody is here yet.'
    const names = p.people.slice(0, 5).join(', ')
    const more = p.people.length > 5 ? ` and ${p.people.length - 5} more` : ''
    return `${names}${more} ${p.people.length === 1 ? 'is' : 'are'} here.`
  }
  const full = () => {
    const p = peek()
    return p !== undefined && p.members >= p.maxMembers
  }
  const blockedText = () => {
    const { camera, mic } = local.blocked()
    if (!camera && !mic) return undefined
    const what = camera && mic ? 'the camera and the microphone' : camera ? 'the camera' : 'the microphone'
    return what
  }

  return (
    <section class="prejoin" data-testid="prejoin">
      <h1>{props.room}</h1>
      <p class="muted" data-testid="prejoin-people" aria-live="polite">
        {who()}
        <Show when={peek()?.locked}> This room is locked: a host lets you in.</Show>
        <Show when={full()}> The room is full.</Show>
      </p>
      <div class="prejoin-body">
        <div class="prejoin-preview card">
          <div class="preview-frame">
            <Show
              when={local.state().camera}
              fallback={
                <div class="preview-off" data-testid="preview-off">
                  {local.blocked().camera ? 'Camera blocked' : 'Camera is off'}
                </div>
              }
            >
              <video
                ref={(el) => (el.srcObject = local.stream)}
                autoplay
                playsinline
                muted
                class="mirrored"
                data-testid="preview"
                onLoadedData={(e) => onPreview(e.currentTarget)}
                aria-label="Your camera preview"
              />
            </Show>
          </div>
          <div class="prejoin-toggles">
            <button classList={{ off: !local.state().mic }} aria-pressed={!local.state().mic} onClick={() => void toggleMic()} data-testid="prejoin-mic">
              {local.state().mic ? <Mic aria-hidden="true" /> : <MicOff aria-hidden="true" />}
              <span>{local.state().mic ? 'Microphone on' : 'Microphone off'}</span>
            </button>
            <button classList={{ off: !local.state().camera }} aria-pressed={!local.state().camera} onClick={() => void toggleCamera()} data-testid="prejoin-camera">
              {local.state().camera ? <Video aria-hidden="true" /> : <VideoOff aria-hidden="true" />}
              <span>{local.state().camera ? 'Camera on' : 'Camera off'}</span>
            </button>
          </div>
          <div class="level-row">
            <span id="mic-level-label">Microphone level</span>
            <meter
              aria-labelledby="mic-level-label"
              min={0}
              max={1}
              low={0.05}
              high={0.6}
              optimum={0.2}
              value={Math.min(1, level() * 4)}
              data-testid="mic-level"
              data-level={level().toFixed(3)}
            />
          </div>
        </div>
        <div class="prejoin-side card">
          <Show when={blockedText()}>
            {(what) => (
              <div class="error blocked" role="alert" data-testid="media-blocked">
                <p>
                  <strong>Your browser blocked {what()} for this site.</strong> To allow it, click the camera or lock icon
                  in the address bar, choose <em>Allow</em> for {what()}, then press Try again. You can also join
                  without them: others will see your name and can still chat with you.
                </p>
                <button class="secondary small" onClick={() => void local.start()}>Try again</button>
              </div>
            )}
          </Show>
          <DeviceSettings local={local} />
          <button class="secondary" onClick={() => void testSpeaker()} disabled={testing()} data-testid="speaker-test">
            <Volume2 aria-hidden="true" />
            <span>{testing() ? 'Playing a test sound…' : 'Test speaker'}</span>
          </button>
          <button class="join-now" onClick={() => props.onJoin()} disabled={full()} data-testid="join-now">
            Join now
          </button>
          <a href="/rooms">Back to rooms</a>
        </div>
      </div>
    </section>
  )
}
