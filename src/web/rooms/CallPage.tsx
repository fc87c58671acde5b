// The call view: a responsive grid of tiles (ourselves first), controls for microphone, camera, screen share and
// devices, the room's chat beside it, and leave.
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
import Ellipsis from 'lucide-solid/icons/ellipsis'
import { createSignal, For, onCleanup, onMount, Show } from 'solid-js'
import { user } from '../auth/session'
import { ChatView } from '../chat/ChatView'
import { createCall, type RemoteMember } from './call-store'
import { rememberRoom, validRoomName } from './names'
import { Tile } from './Tile'

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
        {(name) => <Call name={name} onLeft={() => navigate('/rooms')} />}
      </Show>
    </Show>
  )
}

function Call(props: { name: string; onLeft: () => void }) {
  const call = createCall(props.name, user)
  const [chatOpen, setChatOpen] = createSignal(true)
  const [settingsOpen, setSettingsOpen] = createSignal(false)
  const [audioBlocked, setAudioBlocked] = createSignal(false)
  const [copied, setCopied] = createSignal(false)
  /** The member whose host menu is open. */
  const [menuFor, setMenuFor] = createSignal<string>()
  const [confirmEnd, setConfirmEnd] = createSignal(false)
  /** A host action from the member menu: the member is read before the menu closes (its view goes with it). */
  const act = (id: string, action: (id: string) => void) => {
    setMenuFor()
    action(id)
  }
  onMount(() => {
    rememberRoom(props.name)
    call.start()
  })
  onCleanup(() => call.dispose())

  const local = call.local
  const tiles = () => 1 + call.state.members.length + call.state.members.filter((m) => m.media.screen).length + (local.state().screen ? 1 : 0)
  const columns = () => Math.ceil(Math.sqrt(tiles()))

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
      <Show when={call.state.host && call.state.members.find((m) => m.id === menuFor())}>
        {(m) => (
          <div class="modal-backdrop" onClick={(e) => e.target === e.currentTarget && setMenuFor()}>
            <div class="card modal tile-menu" role="dialog" aria-modal="true" aria-label={`Host actions for ${m().user.username}`}>
              <h2>{m().user.username}</h2>
              <Show when={m().media.mic}>
                <button class="secondary" onClick={() => act(m().id, (id) => call.host.mute(id, 'mic'))}>Mute microphone</button>
              </Show>
              <Show when={m().media.camera}>
                <button class="secondary" onClick={() => act(m().id, (id) => call.host.mute(id, 'camera'))}>Turn off camera</button>
              </Show>
              <Show when={m().media.screen}>
                <button class="secondary" onClick={() => act(m().id, (id) => call.host.mute(id, 'screen'))}>Stop screen share</button>
              </Show>
              <Show when={!m().host}>
                <button class="secondary" onClick={() => act(m().id, call.host.make)}>Make host</button>
              </Show>
              <button class="secondary danger" onClick={() => act(m().id, call.host.kick)}>Remove from call</button>
              <button class="secondary" onClick={() => setMenuFor()}>Cancel</button>
            </div>
          </div>
        )}
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
      <Show when={audioBlocked()}>
        <p class="banner" role="status">
          Your browser blocked the sound of this call. <button onClick={unblockAudio}>Turn sound on</button>
        </p>
      </Show>

      <div class="call-body">
        <div class="call-grid" style={{ '--columns': columns() }} data-testid="call-grid">
          <Tile
            name={user()?.username ?? 'you'}
            stream={local.stream}
            version={local.tracks().camera ? 1 : 0}
            kind="camera"
            self
            cameraOn={local.state().camera}
            micOn={local.state().mic}
            speaking={call.selfSpeaking()}
            host={call.state.host}
          />
          <Show when={local.tracks().screen}>
            {(track) => <Tile name={user()?.username ?? 'you'} stream={new MediaStream([track()])} kind="screen" self cameraOn micOn={false} speaking={false} />}
          </Show>
          <For each={call.state.members}>
            {(m) => (
              <>
                <Tile
                  name={m.user.username}
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
                  micOn={m.media.mic}
                  speaking={call.speaking(m)}
                  notice={notice(m)}
                  stats={m.stats}
                  playAudio
                  onAudioBlocked={() => setAudioBlocked(true)}
                  onFirstFrame={() => call.firstFrame(m.id)}
                  host={m.host}
                  actions={
                    call.state.host ? (
                      <>
                        <button
                          class="tile-menu-button"
                          aria-label={`Host actions for ${m.user.username}`}
                          aria-haspopup="dialog"
                          onClick={() => setMenuFor(menuFor() === m.id ? undefined : m.id)}
                        >
                          <Ellipsis aria-hidden="true" />
                        </button>
                      </>
                    ) : undefined
                  }
                />
                <Show when={m.media.screen && (void m.streams, call.streams(m.id).meshScreen ?? call.streams(m.id).sfuScreen)}>
                  <Tile
                    name={m.user.username}
                    memberId={m.id}
                    stream={(void m.streams, call.streams(m.id).meshScreen)}
                    sfuStream={(void m.streams, call.streams(m.id).sfuScreen)}
                    prefer={call.state.mode}
                    version={m.streams}
                    kind="screen"
                    cameraOn
                    micOn={false}
                    speaking={false}
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

      <footer class="call-controls">
        <button classList={{ off: !local.state().mic }} aria-pressed={!local.state().mic} onClick={() => local.toggleMic()} data-testid="toggle-mic">
          {local.state().mic ? <Mic aria-hidden="true" /> : <MicOff aria-hidden="true" />}
          <span>{local.state().mic ? 'Mute' : 'Unmute'}</span>
        </button>
        <button
          classList={{ off: !local.state().camera }}
          aria-pressed={!local.state().camera}
          onClick={() => void local.toggleCamera()}
          data-testid="toggle-camera"
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
        <button class="secondary" onClick={() => setSettingsOpen(!settingsOpen())} aria-expanded={settingsOpen()}>
          <Settings aria-hidden="true" />
          <span>Devices</span>
        </button>
        <button class="secondary" onClick={() => setChatOpen(!chatOpen())} aria-expanded={chatOpen()}>
          <MessageSquare aria-hidden="true" />
          <span>Chat</span>
        </button>
        <button class="danger" onClick={leave} data-testid="leave">
          <PhoneOff aria-hidden="true" />
          <span>Leave</span>
        </button>
        <Show when={settingsOpen()}>
          <div class="device-settings card">
            <label>
              Camera
              <select value={local.cameraId() ?? ''} onChange={(e) => void local.chooseCamera(e.currentTarget.value)} data-testid="camera-select">
                <For each={local.devices().cameras}>{(d, i) => <option value={d.deviceId}>{d.label || `Camera ${i() + 1}`}</option>}</For>
              </select>
            </label>
            <label>
              Microphone
              <select value={local.micId() ?? ''} onChange={(e) => void local.chooseMicrophone(e.currentTarget.value)} data-testid="mic-select">
                <For each={local.devices().microphones}>{(d, i) => <option value={d.deviceId}>{d.label || `Microphone ${i() + 1}`}</option>}</For>
              </select>
            </label>
          </div>
        </Show>
      </footer>
    </section>
  )
}
