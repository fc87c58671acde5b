// One tile of the call grid: a member's camera (or its initial when the camera is off) or a screen share, its
// name, microphone state, who is speaking, and how its connection is doing.
//
// A remote tile can hold two paths at once, the peer-to-peer one and the SFU one, while the room switches
// between them: both play, the preferred one is shown as soon as it presents a frame (until then the other one
// stays on screen), and the tile reports that moment so the call can close the old path. Nobody sees a black
// tile during a switch.
//
// data-frames-shown counts the frames this tile presented (requestVideoFrameCallback), data-frames-decoded and
// data-audio-packets are what getStats reports for the path shown: the numbers tests and the stats tooltip use.
import { createEffect, createSignal, For, onCleanup, onMount, Show } from 'solid-js'
import MicOff from 'lucide-solid/icons/mic-off'
import Ellipsis from 'lucide-solid/icons/ellipsis'
import Hand from 'lucide-solid/icons/hand'
import Pin from 'lucide-solid/icons/pin'
import Signal from 'lucide-solid/icons/signal'
import SignalMedium from 'lucide-solid/icons/signal-medium'
import SignalLow from 'lucide-solid/icons/signal-low'
import type { MediaMode } from '../../rooms/protocol'
import { GRADE_LABEL, type Quality } from './quality'
import { useOutput } from './speaker-test'

export interface TileProps {
  name: string
  /** The mesh path (or the only one: self-view, our screen). */
  stream: MediaStream | undefined
  /** The SFU path. */
  sfuStream?: MediaStream | undefined
  /** Which path to show when both are there. */
  prefer?: MediaMode
  /** Bumped when the streams' tracks change. */
  version?: number
  kind: 'camera' | 'screen'
  self?: boolean
  cameraOn: boolean
  /** False while the SFU does not send us this camera (outside our last-N): the name shows instead. */
  forwarded?: boolean
  /** Not on the grid's current page (or outside the speaker view's strip): hidden, its sound still plays. */
  offPage?: boolean
  /** Its place in the grid (CSS order). */
  order?: number
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
  /** The preferred path presented its first frame. */
  onPathReady?: (path: MediaMode) => void
  /** The tile's width and whether it is on screen, when either changes. */
  onView?: (visible: boolean, width: number) => void
  /** The simulcast layer asked for on the SFU. */
  layer?: number
  /** This member hosts the call. */
  host?: boolean
  /** `<member or self>:<camera|screen>`: how layouts and menus name this tile. */
  tileKey: string
  /** On the stage (large), and whether it was pinned there. */
  stage?: boolean
  pinned?: boolean
  /** Its place in the raised-hands queue (1 = first), when its hand is up. */
  hand?: number
  /** Reactions floating over it now. */
  reactions?: Array<{ emoji: string; seq: number }>
  /** How its media reaches us (our own tile: how ours leaves). */
  quality?: Quality
  /** The volume its audio plays at here (0-1), and the output device. */
  volume?: number
  sinkId?: string
  /** Opens this tile's options (pin, full screen, volume, connection, host actions). */
  onMenu?: () => void
  /** Opens the connection details. */
  onQuality?: () => void
}

type Path = MediaMode

/** How a tile is named on screen and to screen readers (its caption, its menu): "Ann", "Ann (you)", "Ann (screen)". */
export const tileLabel = (name: string, kind: 'camera' | 'screen', self?: boolean) => (kind === 'screen' ? `${name} (screen)` : self ? `${name} (you)` : name)

/** Frames a new path must present before it replaces the old one: a first key frame alone can be followed by a
 * stall while the SFU settles on a simulcast layer, and the old picture is better than a frozen one. */
const READY_FRAMES = 5

export function Tile(props: TileProps) {
  const videos: Partial<Record<Path, HTMLVideoElement>> = {}
  let audio: HTMLAudioElement | undefined
  let figure: HTMLElement | undefined
  const [ready, setReady] = createSignal<Record<Path, boolean>>({ mesh: false, sfu: false })
  const [framesShown, setFramesShown] = createSignal(0)
  let firstFrameSeen = false

  const streamOf = (path: Path) => (path === 'sfu' ? props.sfuStream : props.stream)
  const hasVideo = (path: Path) => (streamOf(path)?.getVideoTracks().length ?? 0) > 0
  const preferred = (): Path => props.prefer ?? 'mesh'
  const other = (): Path => (preferred() === 'sfu' ? 'mesh' : 'sfu')
  /** The path on screen: the preferred one once it has a frame (or when the other has nothing to show). */
  const shown = (): Path => {
    void props.version
    if (ready()[preferred()] || !hasVideo(other()) || !ready()[other()]) return hasVideo(preferred()) || !hasVideo(other()) ? preferred() : other()
    return other()
  }

  const presented: Record<Path, number> = { mesh: 0, sfu: 0 }
  const watch = (path: Path, video: HTMLVideoElement) => {
    if (!('requestVideoFrameCallback' in video)) return
    const onFrame = () => {
      if (!video.isConnected) return
      if (video.srcObject) presented[path]++
      // The first frame a person sees of this tile (bench/call-join.ts): the path on screen presented it.
      if (video.srcObject && path === shown() && !firstFrameSeen) {
        firstFrameSeen = true
        props.onFirstFrame?.()
      }
      if (video.srcObject && presented[path] >= READY_FRAMES) {
        // The effect below reports readiness of the preferred path.
        if (!ready()[path]) setReady({ ...ready(), [path]: true })
        if (path === shown()) setFramesShown((n) => n + 1)
      }
      video.requestVideoFrameCallback(onFrame)
    }
    video.requestVideoFrameCallback(onFrame)
  }

  const bind = (path: Path) => (video: HTMLVideoElement) => {
    videos[path] = video
    watch(path, video)
  }

  // Attach each path's stream; a path whose stream changed must show a frame again before it counts as ready.
  for (const path of ['mesh', 'sfu'] as const) {
    createEffect(() => {
      void props.version
      const stream = streamOf(path)
      const video = videos[path]
      if (!video || video.srcObject === (stream ?? null)) return
      video.srcObject = stream ?? null
      presented[path] = 0
      setReady({ ...ready(), [path]: false })
    })
  }
  // The preferred path is ready (it just became so, or a switch made a ready path the preferred one).
  createEffect(() => {
    const path = preferred()
    if (ready()[path]) props.onPathReady?.(path)
  })

  createEffect(() => {
    void props.version
    const stream = streamOf(shown())
    if (audio && props.playAudio && audio.srcObject !== (stream ?? null)) {
      audio.srcObject = stream ?? null
      if (stream) audio.play().catch(() => props.onAudioBlocked?.())
    }
  })
  // Per-person volume and the chosen speaker: this page's own, nobody else hears a difference.
  createEffect(() => {
    if (audio) audio.volume = Math.max(0, Math.min(1, props.volume ?? 1))
  })
  createEffect(() => {
    const sink = props.sinkId
    if (audio) void useOutput(audio, sink)
  })

  onMount(() => {
    if (!figure || !props.onView) return
    let visible = true
    let width = figure.clientWidth
    const report = () => props.onView?.(visible, width)
    const resize = new ResizeObserver(([entry]) => {
      const next = Math.round(entry!.contentRect.width)
      if (Math.abs(next - width) < 20) return
      width = next
      report()
    })
    const intersect = new IntersectionObserver(([entry]) => {
      if (entry!.isIntersecting === visible) return
      visible = entry!.isIntersecting
      report()
    })
    resize.observe(figure)
    intersect.observe(figure)
    report()
    onCleanup(() => {
      resize.disconnect()
      intersect.disconnect()
    })
  })
  onCleanup(() => {
    for (const video of Object.values(videos)) if (video) video.srcObject = null
    if (audio) audio.srcObject = null
  })

  const showVideo = () => props.kind === 'screen' || (props.cameraOn && props.forwarded !== false)
  const statsLine = () =>
    props.stats && props.stats.width > 0 ? `${props.stats.width}×${props.stats.height} · ${Math.round(props.stats.fps)} fps · ${shown()}` : ''
  const label = () => tileLabel(props.name, props.kind, props.self)
  const QualityIcon = () => {
    const grade = props.quality?.grade
    return grade === 'poor' ? <SignalLow aria-hidden="true" /> : grade === 'fair' ? <SignalMedium aria-hidden="true" /> : <Signal aria-hidden="true" />
  }

  return (
    <figure
      ref={figure}
      class="call-tile"
      classList={{ speaking: props.speaking, self: props.self, screen: props.kind === 'screen', 'camera-off': !showVideo(), stage: props.stage, 'off-page': props.offPage }}
      style={props.order !== undefined ? { order: props.order } : undefined}
      data-tile-key={props.tileKey}
      data-stage={props.stage ? 'yes' : 'no'}
      data-hand={props.hand ?? ''}
      data-quality={props.quality?.grade ?? ''}
      data-volume={props.volume ?? 1}
      data-testid="call-tile"
      data-member={props.memberId ?? 'self'}
      data-kind={props.kind}
      data-name={props.name}
      data-camera={props.cameraOn ? 'on' : 'off'}
      data-forwarded={props.forwarded === false ? 'no' : 'yes'}
      data-speaking={props.speaking ? 'yes' : 'no'}
      data-mic={props.micOn ? 'on' : 'off'}
      data-path={shown()}
      data-frames-shown={framesShown()}
      data-frames-decoded={props.stats?.framesDecoded ?? 0}
      data-layer={props.layer ?? ''}
      data-resolution={props.stats?.width ? `${props.stats.width}x${props.stats.height}` : ''}
      data-audio-packets={props.stats?.audioPackets ?? 0}
      data-notice={props.notice ?? ''}
      data-host={props.host ? 'yes' : 'no'}
      title={statsLine()}
    >
      <video
        ref={bind('mesh')}
        autoplay
        playsinline
        muted
        classList={{ hidden: !showVideo(), mirrored: props.self && props.kind === 'camera', behind: shown() !== 'mesh' }}
      />
      <video ref={bind('sfu')} autoplay playsinline muted classList={{ hidden: !showVideo() || !props.sfuStream, behind: shown() !== 'sfu' }} />
      <Show when={props.playAudio}>
        <audio ref={audio} autoplay data-testid="tile-audio" />
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
      <div class="tile-actions">
        <Show when={props.quality}>
          {(q) => (
            <button
              class="tile-quality"
              classList={{ [q().grade]: true }}
              aria-label={`${GRADE_LABEL[q().grade]}${props.self ? ' (yours)' : ''}: details`}
              title={GRADE_LABEL[q().grade]}
              aria-haspopup="dialog"
              onClick={() => props.onQuality?.()}
              data-testid="tile-quality"
            >
              <QualityIcon />
            </button>
          )}
        </Show>
        <Show when={props.onMenu}>
          <button class="tile-menu-button" aria-label={`Options for ${label()}`} aria-haspopup="dialog" onClick={() => props.onMenu?.()}>
            <Ellipsis aria-hidden="true" />
          </button>
        </Show>
      </div>
      <Show when={props.hand}>
        <div class="tile-hand" data-testid="tile-hand" role="img" aria-label={`hand raised, number ${props.hand} in the queue`}>
          <Hand aria-hidden="true" />
          <span>{props.hand}</span>
        </div>
      </Show>
      <div class="tile-reactions" aria-hidden="true">
        <For each={props.reactions ?? []}>{(r) => <span class="reaction-float" data-testid="reaction-float">{r.emoji}</span>}</For>
      </div>
      <figcaption>
        <Show when={props.pinned}>
          <span class="pin-badge" title="pinned" role="img" aria-label="pinned">
            <Pin aria-hidden="true" />
          </span>
        </Show>
        <Show when={props.kind === 'camera' && props.host}>
          <span class="host-badge" data-testid="host-badge">host</span>
        </Show>
        <Show when={props.kind === 'camera' && !props.micOn}>
          <span class="mic-off" title="microphone off" role="img" aria-label="microphone off">
            <MicOff aria-hidden="true" />
          </span>
        </Show>
        <span class="tile-name" title={label()}>
          {label()}
        </span>
      </figcaption>
    </figure>
  )
}
