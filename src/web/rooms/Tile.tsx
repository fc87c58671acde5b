// One tile of the call grid: a member's camera (or its initial when the camera is off) or a screen share, its
// name, microphone state, who is speaking, and how its connection is doing. The data-* attributes carry what the
// tile shows in numbers (frames decoded, audio packets) for tests and the stats tooltip.
import { createEffect, onCleanup, Show } from 'solid-js'

export interface TileProps {
  name: string
  stream: MediaStream | undefined
  /** Bumped when the stream's tracks change. */
  version?: number
  kind: 'camera' | 'screen'
  self?: boolean
  cameraOn: boolean
  micOn: boolean
  speaking: boolean
  /** Shown over the video: "Connecting…", "Reconnecting…". */
  notice?: string
  memberId?: string
  stats?: { framesDecoded: number; audioPackets: number; width: number; height: number; fps: number }
  /** Play this member's audio (remote camera tiles only); reports when the browser blocks autoplay. */
  playAudio?: boolean
  onAudioBlocked?: () => void
  /** Called once, when the first frame of this tile's video is presented. */
  onFirstFrame?: () => void
}

export function Tile(props: TileProps) {
  let video: HTMLVideoElement | undefined
  let audio: HTMLAudioElement | undefined

  createEffect(() => {
    void props.version
    const stream = props.stream
    if (video && video.srcObject !== stream) video.srcObject = stream ?? null
    if (audio && props.playAudio && audio.srcObject !== stream) {
      audio.srcObject = stream ?? null
      audio.play().catch(() => props.onAudioBlocked?.())
    }
  })
  const watchFirstFrame = (element: HTMLVideoElement) => {
    video = element
    if (props.onFirstFrame && 'requestVideoFrameCallback' in element) element.requestVideoFrameCallback(() => props.onFirstFrame?.())
  }
  onCleanup(() => {
    if (video) video.srcObject = null
    if (audio) audio.srcObject = null
  })

  const showVideo = () => props.kind === 'screen' || props.cameraOn
  const statsLine = () =>
    props.stats && props.stats.width > 0 ? `${props.stats.width}×${props.stats.height} · ${Math.round(props.stats.fps)} fps` : ''

  return (
    <figure
      class="call-tile"
      classList={{ speaking: props.speaking, self: props.self, screen: props.kind === 'screen', 'camera-off': !showVideo() }}
      data-testid="call-tile"
      data-member={props.memberId ?? 'self'}
      data-kind={props.kind}
      data-name={props.name}
      data-camera={props.cameraOn ? 'on' : 'off'}
      data-mic={props.micOn ? 'on' : 'off'}
      data-frames-decoded={props.stats?.framesDecoded ?? 0}
      data-audio-packets={props.stats?.audioPackets ?? 0}
      data-notice={props.notice ?? ''}
      title={statsLine()}
    >
      <video ref={watchFirstFrame} autoplay playsinline muted classList={{ hidden: !showVideo(), mirrored: props.self && props.kind === 'camera' }} />
      <Show when={props.playAudio}>
        <audio ref={audio} autoplay />
      </Show>
      <Show when={!showVideo()}>
        <div class="avatar" aria-hidden="true">
          {props.name.slice(0, 1).toUpperCase()}
        </div>
      </Show>
      <Show when={props.notice}>
        <div class="tile-notice" role="status">
          {props.notice}
        </div>
      </Show>
      <figcaption>
        <Show when={props.kind === 'camera' && !props.micOn}>
          <span class="mic-off" title="microphone off" aria-label="microphone off">
            🔇
          </span>
        </Show>
        {props.kind === 'screen' ? `${props.name} (screen)` : props.self ? `${props.name} (you)` : props.name}
      </figcaption>
    </figure>
  )
}
