// A room's page: the pre-join screen (preview, meter, devices, who is here), then the call: tiles in a grid or in
// speaker view (a stage and a strip; a pin or a screen share takes the stage), controls for microphone, camera,
// screen share, hand, reactions, layout and devices, keyboard shortcuts, the raised-hands queue, the room's chat
// beside it, and leave.
import { useNavigate, useParams } from '@solidjs/router'
import Mic from 'lucide-solid/icons/mic'
import MicOff from 'lucide-solid/icons/mic-off'
import Video from 'lucide-solid/icons/video'
import VideoOff from 'lucide-solid/icons/video-off'
import MonitorUp from 'lucide-solid/icons/monitor-up'
import MonitorOff from 'lucide-solid/icons/monitor-off'
import Settings from 'lucide-solid/icons/settings'
import MessageSquare from 'lucide-solid/icons/message-square'
import PhoneOff from 'lucide-solid/icons/phone-off'
import Lock from 'lucide-solid/icons/lock'
import LockOpen from 'lucide-solid/icons/lock-open'
import Hand from 'lucide-solid/icons/hand'
import Smile from 'lucide-solid/icons/party-popper'
import LayoutGrid from 'lucide-solid/icons/layout-grid'
import Presentation from 'lucide-solid/icons/presentation'
import Keyboard from 'lucide-solid/icons/keyboard'
import ChevronLeft from 'lucide-solid/icons/chevron-left'
import ChevronRight from 'lucide-solid/icons/chevron-right'
import { createEffect, createMemo, createSignal, For, onCleanup, onMount, Show } from 'solid-js'
import { CALL_REACTIONS } from '../../rooms/constants'
import type { CallReaction } from '../../rooms/protocol'
import { user } from '../auth/session'
import { ChatView } from '../chat/ChatView'
import { createCall, type RemoteMember } from './call-store'
import { DeviceSettings } from './DeviceSettings'
import { pageOf, stageOf, tileKey, type Layout, type TileKey } from './layout'
import { createLevelMeter } from './level-meter'
import { createLocalMedia, type LocalMedia } from './local-media'
import { rememberRoom, validRoomName } from './names'
import { choose, preferences } from './preferences'
import { PreJoin } from './PreJoin'
import { keyName, SHORTCUTS, useShortcuts } from './shortcuts'
import { Tile, tileLabel } from './Tile'
import { ConnectionDetails, TileMenu } from './TileMenu'
import { Dialog } from '../ui/Dialog'

const REACTION_NAMES: Record<CallReaction, string> = { '👍': 'Thumbs up', '👏': 'Applause', '😂': 'Laughing', '😮': 'Surprised', '❤️': 'Heart', '🎉': 'Celebrate' }
/** Our level above which, while muted, we are probably talking to nobody. */
const TALKING_WHILE_MUTED = 0.03
/** How long the "you are muted" hint stays, and how long before it may show again. */
const MUTED_HINT_MS = 5000
const MUTED_HINT_AGAIN_MS = 20_000

/** The name as the person typed it (the router hands it over percent-encoded). */
const readable = (name: string) => {
  try {
    return decodeURIComponent(name)
  } catch {
    return name
  }
}

export function CallPage() {
  const params = useParams<{ name: string }>()
  const navigate = useNavigate()
  return (
    <Show when={validRoomName(params.name)} fallback={<p class="error">“{readable(params.name)}” is not a room name. Room names use letters, digits, - and _.</p>}>
      {/* A new room name means a new call: keyed, so the old one is left and disposed. */}
      <Show when={params.name} keyed>
        {(name) => <RoomPage name={name} onLeft={() => navigate('/rooms')} />}
      </Show>
    </Show>
  )
}

/** One room's stay: our media is acquired once for the pre-join screen and handed to the call. */
function RoomPage(props: { name: string; onLeft: () => void }) {
  const local = createLocalMedia()
  const ready = local.start()
  const [joined, setJoined] = createSignal(false)
  onCleanup(() => local.stop())
  return (
    <Show when={joined()} fallback={<PreJoin room={props.name} local={local} onJoin={() => setJoined(true)} />}>
      <Call name={props.name} local={local} mediaReady={ready} onLeft={props.onLeft} />
    </Show>
  )
}

function Call(props: { name: string; local: LocalMedia; mediaReady: Promise<void>; onLeft: () => void }) {
  const call = createCall(props.name, user, props.local, props.mediaReady)
  // Beside the call on a wide screen; on a phone the chat takes the call's place while open, so it starts closed.
  const narrow = matchMedia('(max-width: 800px)')
  const [chatOpen, setChatOpen] = createSignal(!narrow.matches)
  const [settingsOpen, setSettingsOpen] = createSignal(false)
  const [audioBlocked, setAudioBlocked] = createSignal(false)
  const [copied, setCopied] = createSignal(false)
  /** The tile whose options are open, and the tile whose connection details are. */
  const [menuFor, setMenuFor] = createSignal<TileKey>()
  const [qualityFor, setQualityFor] = createSignal<TileKey>()
  const [confirmEnd, setConfirmEnd] = createSignal(false)
  const [reactionsOpen, setReactionsOpen] = createSignal(false)
  const [helpOpen, setHelpOpen] = createSignal(false)
  const [layout, setLayout] = createSignal<Layout>('grid')
  const [pinned, setPinned] = createSignal<TileKey>()
  const [unpinnedScreens, setUnpinnedScreens] = createSignal<ReadonlySet<TileKey>>(new Set())
  /** Per-person volume, this page only. */
  const [volumes, setVolumes] = createSignal<Record<string, number>>({})
  onMount(() => {
    rememberRoom(props.name)
    call.start()
  })
  onCleanup(() => call.dispose())

  const local = call.local
  const selfView = () => preferences().selfView
  /** Every tile on the page, in order: ours first, then each member's camera and screen. */
  const tileKeys = createMemo(() => {
    const keys: TileKey[] = []
    if (selfView()) keys.push(tileKey('self', 'camera'))
    if (local.state().screen) keys.push(tileKey('self', 'screen'))
    // The members whose camera we receive come first (on the SFU of a large room, the last-N: the latest speakers),
    // so the first page of the grid shows video and a new speaker moves onto it; each group keeps join order.
    const members = [...call.state.members]
    const received = members.filter((m) => call.forwarded(m.id))
    for (const m of [...received, ...members.filter((m) => !call.forwarded(m.id))]) {
      keys.push(tileKey(m.id, 'camera'))
      if (m.media.screen) keys.push(tileKey(m.id, 'screen'))
    }
    return keys
  })
  /** Where a tile goes in the grid (CSS order: the tiles stay where they are in the DOM, their streams attached). */
  const orderOf = (key: TileKey) => tileKeys().indexOf(key)
  const screens = createMemo(() => tileKeys().filter((k) => k.endsWith(':screen')))
  const stage = createMemo(() =>
    stageOf({
      layout: layout(),
      tiles: tileKeys(),
      pinned: pinned(),
      screens: screens(),
      unpinnedScreens: unpinnedScreens(),
      speaker: call.state.speaker ? tileKey(call.state.speaker, 'camera') : undefined,
    }),
  )
  // A large room: the grid shows a page of tiles at a time; the speaker view's strip shows the members whose camera
  // we receive (the SFU's last-N). Tiles off the page stay mounted but hidden: their sound plays, their video pauses.
  const [isNarrow, setNarrow] = createSignal(narrow.matches)
  const onNarrow = () => setNarrow(narrow.matches)
  narrow.addEventListener('change', onNarrow)
  onCleanup(() => narrow.removeEventListener('change', onNarrow))
  const pageSize = () => (isNarrow() ? 6 : 16)
  const [page, setPage] = createSignal(0)
  const memberOfKey = (key: TileKey) => key.slice(0, key.lastIndexOf(':'))
  const shown = createMemo(() =>
    pageOf({
      tiles: tileKeys(),
      stage: stage(),
      page: page(),
      pageSize: pageSize(),
      received: (key) => key.startsWith('self:') || key.endsWith(':screen') || call.forwarded(memberOfKey(key)),
    }),
  )
  const onPage = (key: TileKey) => shown().tiles.includes(key)
  const columns = () => Math.ceil(Math.sqrt(Math.max(1, shown().tiles.length)))
  const stripCount = () => Math.max(1, shown().tiles.length - 1)
  // The SFU sends a pinned member's camera whoever speaks (again to each new media server of the room).
  createEffect(() => {
    void call.state.epoch
    const key = pinned()
    call.pin(key && !key.startsWith('self:') ? [memberOfKey(key)] : [])
  })
  /** A pin or an unpin: a screen share taken off the stage stays off until pinned again. */
  const togglePin = (key: TileKey) => {
    if (pinned() === key || (key.endsWith(':screen') && stage() === key)) {
      setPinned()
      if (key.endsWith(':screen')) setUnpinnedScreens(new Set([...unpinnedScreens(), key]))
    } else {
      setPinned(key)
      if (unpinnedScreens().has(key)) setUnpinnedScreens(new Set([...unpinnedScreens()].filter((k) => k !== key)))
    }
  }
  const fullscreen = (key: TileKey) => {
    const tile = document.querySelector<HTMLElement>(`[data-tile-key="${CSS.escape(key)}"]`)
    void tile?.requestFullscreen?.().catch(() => undefined)
  }
  const handOf = (member: string | undefined) => {
    const at = member ? call.state.hands.indexOf(member) : -1
    return at < 0 ? undefined : at + 1
  }
  const myHand = () => call.state.self !== undefined && call.state.hands.includes(call.state.self)
  const reactionsOf = (member: string) => call.state.reactions.filter((r) => r.member === member)
  const nameOf = (member: string) => (member === call.state.self ? `${user()?.username ?? 'you'} (you)` : (call.state.members.find((m) => m.id === member)?.user.username ?? 'someone'))

  // "You are muted": speaking into a muted microphone, heard by a meter on a copy of the track.
  // Measured only while muted: an unmuted call pays nothing for it.
  const level = createLevelMeter(() => (local.state().mic ? null : local.tracks().audio))
  const [mutedHint, setMutedHint] = createSignal(false)
  let hintUntil = 0
  let loudSince = 0
  createEffect(() => {
    // (The meter hears anything only while the microphone is muted.)
    const loud = level() > TALKING_WHILE_MUTED && call.state.phase === 'joined'
    const now = performance.now()
    if (!loud) loudSince = 0
    else if (!loudSince) loudSince = now
    // Half a second of voice, not a cough; and not again right after it was shown.
    if (loud && now - loudSince > 400 && !mutedHint() && now > hintUntil) {
      setMutedHint(true)
      hintUntil = now + MUTED_HINT_AGAIN_MS
      setTimeout(() => setMutedHint(false), MUTED_HINT_MS)
    }
  })
  createEffect(() => {
    if (local.state().mic) setMutedHint(false)
  })

  const toggleMic = () => void local.toggleMic()
  const toggleHand = () => call.hand(!myHand())
  useShortcuts((action) => {
    if (call.state.phase !== 'joined') return
    if (action === 'mic') toggleMic()
    else if (action === 'camera') void local.toggleCamera()
    else if (action === 'hand') toggleHand()
    else if (action === 'layout') setLayout(layout() === 'grid' ? 'speaker' : 'grid')
    else if (action === 'chat') setChatOpen(!chatOpen())
    else if (action === 'leave') leave()
    else if (action === 'help') setHelpOpen(true)
  })

  const notice = (m: RemoteMember) => {
    if (m.connection === 'reconnecting') return 'Reconnecting…'
    void m.streams
    const streams = call.streams(m.id)
    // On the SFU (or while switching), a member is there as soon as either path carries it.
    if (call.state.mode === 'sfu' || streams.sfu) {
      // (A consumer's track is there before its media: with no path to the SFU it never plays.)
      if (call.state.sfuNoPath && !(streams.mesh && m.peer === 'connected')) return 'Cannot connect'
      return streams.sfu || (streams.mesh && m.peer === 'connected') ? undefined : 'Connecting…'
    }
    if (m.noPath) return 'Cannot connect'
    if (m.peer === 'disconnected' || m.peer === 'failed') return 'Reconnecting…'
    if (m.peer === 'waiting' || m.peer === 'new' || m.peer === 'connecting') return 'Connecting…'
    return undefined
  }

  /** No way through for this page's media: to the SFU, or to every member it has a peer connection with. */
  const noPath = () =>
    call.state.mode === 'sfu' ? call.state.sfuNoPath : call.state.members.length > 0 && call.state.members.every((m) => m.noPath)

  const copyLink = async () => {
    await navigator.clipboard?.writeText(location.href).catch(() => undefined)
    setCopied(true)
    setTimeout(() => setCopied(false), 2000)
  }

  const leave = () => {
    call.leave()
    props.onLeft()
  }

  const unblockAudio = () => {
    for (const audio of document.querySelectorAll<HTMLAudioElement>('.call-tile audio')) void audio.play()
    setAudioBlocked(false)
  }

  return (
    <section class="call" classList={{ 'chat-open': chatOpen() }} data-testid="call" data-phase={call.state.phase} data-mode={call.state.mode}>
      <header class="call-header">
        <h1>{props.name}</h1>
        <span class="muted" data-testid="member-count">
          {call.state.phase === 'joined' ? `${call.state.members.length + 1} of ${call.state.maxMembers}` : call.state.phase === 'joining' ? 'joining…' : ''}
        </span>
        <Show when={call.state.phase === 'joined'}>
          <span class="muted mode" data-testid="media-mode" title={call.state.mode === 'sfu' ? 'media goes through the server' : 'media goes straight between browsers'}>
            {call.state.mode === 'sfu' ? 'via server' : 'peer-to-peer'}
          </span>
        </Show>
        <Show when={call.state.phase === 'joined' && call.state.relayed}>
          <span class="muted mode" data-testid="relayed" title="your network lets this call through only by a relay (TURN) server, which adds a little delay">
            relayed
          </span>
        </Show>
        <Show when={call.state.phase === 'joined' && call.state.locked}>
          <span class="muted mode" data-testid="locked" title="newcomers wait until a host lets them in">
            locked
          </span>
        </Show>
        <button class="secondary small" onClick={copyLink}>
          {copied() ? 'Link copied' : 'Copy link'}
        </button>
        <Show when={call.state.phase === 'joined' && call.state.host}>
          <span class="host-tools" data-testid="host-tools">
            <button class="secondary small" onClick={() => call.host.lock(!call.state.locked)} data-testid="toggle-lock">
              {call.state.locked ? <LockOpen aria-hidden="true" /> : <Lock aria-hidden="true" />}
              <span>{call.state.locked ? 'Unlock' : 'Lock'}</span>
            </button>
            <button class="secondary small" onClick={() => call.host.muteAll()}>
              Mute all
            </button>
            <button class="secondary small danger" onClick={() => setConfirmEnd(true)}>
              End for all
            </button>
          </span>
        </Show>
        <Show when={!call.online()}>
          <span class="status status-offline">reconnecting to the server…</span>
        </Show>
      </header>

      <Show when={call.state.phase === 'refused'}>
        <p class="error banner" role="alert">
          Could not join: {call.state.reason}. <a href="/rooms">Back to rooms</a>
        </p>
      </Show>
      <Show when={call.state.phase === 'left' && call.state.reason !== 'you left'}>
        <p class="banner" role="status" data-testid="left-reason">
          <Show when={call.state.leftCode} fallback={<>You left the call: {call.state.reason}. </>}>
            {call.state.reason}.{' '}
          </Show>
          <Show when={call.state.leftCode !== 'kicked'}>
            <button class="link" onClick={() => location.reload()}>Join again</button>
          </Show>
        </p>
      </Show>
      <Show when={call.state.phase === 'waiting'}>
        <div class="card waiting" role="status" data-testid="waiting">
          <p>
            <strong>This room is locked.</strong> Waiting for a host to let you in…
          </p>
          <button class="secondary" onClick={leave}>Leave</button>
        </div>
      </Show>
      <Show when={call.state.notice}>
        <p class="banner" role="status" data-testid="host-notice">
          {call.state.notice} <button class="link" onClick={() => call.clearNotice()}>dismiss</button>
        </p>
      </Show>
      <Show when={call.state.host && call.state.lobby.length > 0}>
        <div class="card lobby" data-testid="lobby">
          <strong>Waiting to join:</strong>
          <For each={call.state.lobby}>
            {(w) => (
              <span class="lobby-entry" data-waiting={w.user.username}>
                {w.user.username}
                <button class="small" onClick={() => call.host.admit(w.id)}>Admit</button>
                <button class="secondary small" onClick={() => call.host.deny(w.id)}>Deny</button>
              </span>
            )}
          </For>
        </div>
      </Show>
      <Show when={menuFor()}>
        {(key) => {
          const [member, kind] = key().split(':') as [string, 'camera' | 'screen']
          const remote = () => call.state.members.find((m) => m.id === member)
          const title = () => tileLabel(member === 'self' ? (user()?.username ?? 'you') : (remote()?.user.username ?? ''), kind, member === 'self')
          return (
            <TileMenu
              title={title()}
              pinned={pinned() === key() || (kind === 'screen' && stage() === key())}
              onPin={() => togglePin(key())}
              onFullscreen={() => fullscreen(key())}
              volume={kind === 'camera' && remote() ? (volumes()[member] ?? 1) : undefined}
              onVolume={kind === 'camera' && remote() ? (v) => setVolumes({ ...volumes(), [member]: v }) : undefined}
              quality={kind === 'camera' ? (member === 'self' ? call.state.uplink : remote()?.quality) : undefined}
              onHideSelf={member === 'self' && kind === 'camera' ? () => choose({ selfView: false }) : undefined}
              host={
                call.state.host && remote() && kind === 'camera'
                  ? {
                      member: remote()!,
                      mute: (source) => call.host.mute(member, source),
                      make: () => call.host.make(member),
                      kick: () => call.host.kick(member),
                      lowerHand: call.state.hands.includes(member) ? () => call.hand(false, member) : undefined,
                    }
                  : undefined
              }
              onClose={() => setMenuFor()}
            />
          )
        }}
      </Show>
      <Show when={qualityFor()}>
        {(key) => {
          const member = key().split(':')[0]!
          const quality = () => (member === 'self' ? call.state.uplink : call.state.members.find((m) => m.id === member)?.quality)
          return (
            <Dialog class="tile-menu" label={`Connection of ${member === 'self' ? 'your media' : nameOf(member)}`} onClose={() => setQualityFor()}>
              <h2>{member === 'self' ? 'Your connection (what you send)' : `Connection of ${nameOf(member)}`}</h2>
              <Show when={quality()}>{(q) => <ConnectionDetails quality={q()} />}</Show>
              <button class="secondary" onClick={() => setQualityFor()}>
                Close
              </button>
            </Dialog>
          )
        }}
      </Show>
      <Show when={helpOpen()}>
        <Dialog labelledBy="shortcuts-title" onClose={() => setHelpOpen(false)}>
          <h2 id="shortcuts-title">Keyboard shortcuts</h2>
          <dl class="shortcuts" data-testid="shortcuts">
            <For each={SHORTCUTS}>
              {(s) => (
                <>
                  <dt>
                    <kbd>{keyName(s)}</kbd>
                  </dt>
                  <dd>{s.label}</dd>
                </>
              )}
            </For>
          </dl>
          <p class="muted">They work whenever you are not typing in a field.</p>
          <div class="modal-actions">
            <button onClick={() => setHelpOpen(false)}>Close</button>
          </div>
        </Dialog>
      </Show>
      <Show when={confirmEnd()}>
        <div class="modal-backdrop">
          <div class="card modal" role="dialog" aria-modal="true" aria-label="End the call">
            <p>End the call for everyone in “{props.name}”? Everyone leaves it now.</p>
            <div class="modal-actions">
              <button class="secondary" onClick={() => setConfirmEnd(false)}>Keep it going</button>
              <button
                class="danger"
                onClick={() => {
                  setConfirmEnd(false)
                  call.host.end()
                }}
              >
                End for all
              </button>
            </div>
          </div>
        </div>
      </Show>
      <Show when={local.error() ?? call.state.error}>
        <p class="error banner" role="alert">
          {local.error() ?? call.state.error}{' '}
          <button class="link" onClick={() => (local.clearError(), call.clearError())}>
            dismiss
          </button>
        </p>
      </Show>
      <Show when={noPath()}>
        <p class="error banner" role="alert" data-testid="no-path">
          Cannot connect the call’s audio and video: your network seems to block them, and no relay (TURN) server could
          be reached. Try another network, or ask this server’s admin to set up TURN.
        </p>
      </Show>
      <Show when={mutedHint()}>
        <p class="banner muted-hint" role="status" data-testid="muted-hint">
          You are muted. <button class="link" onClick={toggleMic}>Unmute</button> (or press M)
        </p>
      </Show>
      <Show when={call.state.phase === 'joined' && call.state.hands.length > 0}>
        <div class="hands card" data-testid="hands">
          <strong>
            <Hand aria-hidden="true" /> Raised hands
          </strong>
          <ol aria-label="Raised hands, in order">
            <For each={call.state.hands}>
              {(member) => (
                <li data-member={member}>
                  <span>{nameOf(member)}</span>
                  <Show when={member === call.state.self}>
                    <button class="secondary small" onClick={() => call.hand(false)}>Lower</button>
                  </Show>
                  <Show when={member !== call.state.self && call.state.host}>
                    <button class="secondary small" onClick={() => call.hand(false, member)} aria-label={`Lower ${nameOf(member)}’s hand`}>
                      Lower
                    </button>
                  </Show>
                </li>
              )}
            </For>
          </ol>
        </div>
      </Show>
      <Show when={audioBlocked()}>
        <p class="banner" role="status">
          Your browser blocked the sound of this call. <button onClick={unblockAudio}>Turn sound on</button>
        </p>
      </Show>

      <div class="call-body">
        <div
          class="call-grid"
          classList={{ 'has-stage': stage() !== undefined }}
          style={{ '--columns': columns(), '--strip': stripCount() }}
          data-testid="call-grid"
          data-layout={layout()}
          data-stage={stage() ?? ''}
        >
          <Show when={selfView()}>
            <Tile
              name={user()?.username ?? 'you'}
              tileKey={tileKey('self', 'camera')}
              stream={local.stream}
              version={local.tracks().camera ? 1 : 0}
              kind="camera"
              self
              cameraOn={local.state().camera}
              micOn={local.state().mic}
              speaking={call.selfSpeaking()}
              host={call.state.host}
              stage={stage() === tileKey('self', 'camera')}
              offPage={!onPage(tileKey('self', 'camera'))}
              order={orderOf(tileKey('self', 'camera'))}
              pinned={pinned() === tileKey('self', 'camera')}
              hand={handOf(call.state.self)}
              reactions={call.state.self ? reactionsOf(call.state.self) : []}
              quality={call.state.members.length > 0 ? call.state.uplink : undefined}
              onMenu={() => setMenuFor(tileKey('self', 'camera'))}
              onQuality={() => setQualityFor(tileKey('self', 'camera'))}
            />
          </Show>
          <Show when={local.tracks().screen}>
            {(track) => (
              <Tile
                name={user()?.username ?? 'you'}
                tileKey={tileKey('self', 'screen')}
                stream={new MediaStream([track()])}
                kind="screen"
                self
                cameraOn
                micOn={false}
                speaking={false}
                stage={stage() === tileKey('self', 'screen')}
                offPage={!onPage(tileKey('self', 'screen'))}
                order={orderOf(tileKey('self', 'screen'))}
                pinned={pinned() === tileKey('self', 'screen')}
                onMenu={() => setMenuFor(tileKey('self', 'screen'))}
              />
            )}
          </Show>
          <For each={call.state.members}>
            {(m) => (
              <>
                <Tile
                  name={m.user.username}
                  tileKey={tileKey(m.id, 'camera')}
                  memberId={m.id}
                  stream={(void m.streams, call.streams(m.id).mesh)}
                  sfuStream={(void m.streams, call.streams(m.id).sfu)}
                  prefer={call.state.mode}
                  onPathReady={(path) => call.pathReady(m.id, path)}
                  onView={(visible, width) => call.view(m.id, visible, width)}
                  layer={m.layer}
                  version={m.streams}
                  kind="camera"
                  cameraOn={m.media.camera}
                  forwarded={call.forwarded(m.id)}
                  micOn={m.media.mic}
                  speaking={call.speaking(m)}
                  notice={notice(m)}
                  stats={m.stats}
                  playAudio
                  onAudioBlocked={() => setAudioBlocked(true)}
                  onFirstFrame={() => call.firstFrame(m.id)}
                  host={m.host}
                  stage={stage() === tileKey(m.id, 'camera')}
                  offPage={!onPage(tileKey(m.id, 'camera'))}
                  order={orderOf(tileKey(m.id, 'camera'))}
                  pinned={pinned() === tileKey(m.id, 'camera')}
                  hand={handOf(m.id)}
                  reactions={reactionsOf(m.id)}
                  quality={m.quality}
                  volume={volumes()[m.id] ?? 1}
                  sinkId={preferences().speakerId}
                  onMenu={() => setMenuFor(tileKey(m.id, 'camera'))}
                  onQuality={() => setQualityFor(tileKey(m.id, 'camera'))}
                />
                <Show when={m.media.screen && (void m.streams, call.streams(m.id).meshScreen ?? call.streams(m.id).sfuScreen)}>
                  <Tile
                    name={m.user.username}
                    tileKey={tileKey(m.id, 'screen')}
                    memberId={m.id}
                    stream={(void m.streams, call.streams(m.id).meshScreen)}
                    sfuStream={(void m.streams, call.streams(m.id).sfuScreen)}
                    prefer={call.state.mode}
                    version={m.streams}
                    kind="screen"
                    cameraOn
                    micOn={false}
                    speaking={false}
                    stage={stage() === tileKey(m.id, 'screen')}
                    offPage={!onPage(tileKey(m.id, 'screen'))}
                    order={orderOf(tileKey(m.id, 'screen'))}
                    pinned={pinned() === tileKey(m.id, 'screen')}
                    onMenu={() => setMenuFor(tileKey(m.id, 'screen'))}
                  />
                </Show>
              </>
            )}
          </For>
        </div>
        <Show when={chatOpen() && call.state.phase === 'joined'}>
          <aside class="call-chat card" data-testid="room-chat">
            <ChatView chat={call.chat} title="Room chat" />
          </aside>
        </Show>
      </div>
      <Show when={shown().pages > 1}>
        <nav class="grid-pager" aria-label="Pages of people" data-testid="grid-pager">
          <button onClick={() => setPage(shown().page - 1)} disabled={shown().page === 0} aria-label="Previous page" title="Previous page">
            <ChevronLeft aria-hidden="true" />
          </button>
          <span data-testid="grid-page">
            Page {shown().page + 1} of {shown().pages}
          </span>
          <button onClick={() => setPage(shown().page + 1)} disabled={shown().page >= shown().pages - 1} aria-label="Next page" title="Next page">
            <ChevronRight aria-hidden="true" />
          </button>
        </nav>
      </Show>

      <Show when={reactionsOpen()}>
        <div class="reaction-bar" role="group" aria-label="Send a reaction">
          <For each={CALL_REACTIONS}>
            {(emoji) => (
              <button class="secondary" aria-label={REACTION_NAMES[emoji]} title={REACTION_NAMES[emoji]} onClick={() => call.react(emoji)}>
                {emoji}
              </button>
            )}
          </For>
        </div>
      </Show>
      <footer class="call-controls">
        <button classList={{ off: !local.state().mic }} aria-pressed={!local.state().mic} onClick={toggleMic} data-testid="toggle-mic" aria-keyshortcuts="M">
          {local.state().mic ? <Mic aria-hidden="true" /> : <MicOff aria-hidden="true" />}
          <span>{local.state().mic ? 'Mute' : 'Unmute'}</span>
        </button>
        <button
          classList={{ off: !local.state().camera }}
          aria-pressed={!local.state().camera}
          onClick={() => void local.toggleCamera()}
          data-testid="toggle-camera"
          aria-keyshortcuts="V"
        >
          {local.state().camera ? <Video aria-hidden="true" /> : <VideoOff aria-hidden="true" />}
          <span>{local.state().camera ? 'Stop video' : 'Start video'}</span>
        </button>
        <Show when={'getDisplayMedia' in navigator.mediaDevices}>
          <button classList={{ on: local.state().screen }} onClick={() => void local.toggleScreen()} data-testid="toggle-screen">
            {local.state().screen ? <MonitorOff aria-hidden="true" /> : <MonitorUp aria-hidden="true" />}
            <span>{local.state().screen ? 'Stop sharing' : 'Share screen'}</span>
          </button>
        </Show>
        <button class="secondary icon-only" classList={{ on: myHand() }} aria-pressed={myHand()} onClick={toggleHand} data-testid="toggle-hand" aria-keyshortcuts="H" title={myHand() ? 'Lower hand (H)' : 'Raise hand (H)'}>
          <Hand aria-hidden="true" />
          <span>{myHand() ? 'Lower hand' : 'Raise hand'}</span>
        </button>
        <button class="secondary icon-only" onClick={() => setReactionsOpen(!reactionsOpen())} aria-expanded={reactionsOpen()} data-testid="toggle-reactions" title="React">
          <Smile aria-hidden="true" />
          <span>React</span>
        </button>
        <button
          class="secondary icon-only"
          onClick={() => setLayout(layout() === 'grid' ? 'speaker' : 'grid')}
          data-testid="toggle-layout"
          aria-keyshortcuts="G"
          title={layout() === 'grid' ? 'Speaker view (G)' : 'Grid view (G)'}
        >
          {layout() === 'grid' ? <Presentation aria-hidden="true" /> : <LayoutGrid aria-hidden="true" />}
          <span>{layout() === 'grid' ? 'Speaker view' : 'Grid view'}</span>
        </button>
        <button class="secondary icon-only" onClick={() => setSettingsOpen(!settingsOpen())} aria-expanded={settingsOpen()} title="Devices">
          <Settings aria-hidden="true" />
          <span>Devices</span>
        </button>
        <button class="secondary" onClick={() => setChatOpen(!chatOpen())} aria-expanded={chatOpen()} aria-keyshortcuts="C">
          <MessageSquare aria-hidden="true" />
          <span>Chat</span>
        </button>
        <button class="secondary icon-only" onClick={() => setHelpOpen(true)} aria-keyshortcuts="?" title="Keyboard shortcuts (?)">
          <Keyboard aria-hidden="true" />
          <span>Shortcuts</span>
        </button>
        <button class="danger" onClick={leave} data-testid="leave" aria-keyshortcuts="Shift+L">
          <PhoneOff aria-hidden="true" />
          <span>Leave</span>
        </button>
        <Show when={settingsOpen()}>
          <div class="device-settings card">
            <DeviceSettings local={local} />
            <label class="check">
              <input type="checkbox" checked={selfView()} onChange={(e) => choose({ selfView: e.currentTarget.checked })} data-testid="self-view" />
              Show my own video
            </label>
          </div>
        </Show>
      </footer>
    </section>
  )
}
