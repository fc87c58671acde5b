// A video call as this page lives it: join the room (and rejoin, keeping our place, when the socket comes back),
// one Peer per other member, our own media, what each member shows (camera, mic, screen, speaking, connection),
// and the room's chat. Phases are marked with performance.mark so the join can be measured (bench/call-join.ts).
import { createEffect, createSignal, on } from 'solid-js'
import { createStore, produce } from 'solid-js/store'
import type { CallMember, IceServer, MediaState, MemberConnection, ServerMessage, UserRef } from '../../rooms/protocol'
import { onServerMessage, send, status } from '../socket/connection'
import { createChat } from '../chat/chat-store'
import { createLocalMedia } from './local-media'
import { Peer } from './peer'

export interface MemberStats {
  framesDecoded: number
  audioPackets: number
  width: number
  height: number
  fps: number
  audioLevel: number
}

export interface RemoteMember {
  id: string
  user: UserRef
  media: MediaState
  /** The member's socket, as the server sees it. */
  connection: MemberConnection
  /** Our peer connection to it. */
  peer: RTCPeerConnectionState | 'waiting'
  /** Bumped when its streams change, so tiles re-attach them. */
  streams: number
  stats: MemberStats
}

export type CallPhase = 'joining' | 'joined' | 'left' | 'refused'

const noStats = (): MemberStats => ({ framesDecoded: 0, audioPackets: 0, width: 0, height: 0, fps: 0, audioLevel: 0 })
/** Audio level (0-1) above which a member counts as speaking. */
const SPEAKING = 0.02

export function createCall(room: string, me: () => UserRef | null) {
  const local = createLocalMedia()
  const [state, setState] = createStore({
    phase: 'joining' as CallPhase,
    reason: '',
    self: undefined as string | undefined,
    members: [] as RemoteMember[],
    maxMembers: 0,
    error: undefined as string | undefined,
  })
  const [selfLevel, setSelfLevel] = createSignal(0)
  const peers = new Map<string, Peer>()
  let iceServers: IceServer[] = []
  const chat = createChat(room, me, { joinOnConnect: false })
  const mediaReady = local.start()

  const mark = (name: string) => performance.mark(`call:${name}`)
  mark('start')

  const update = (id: string, change: (m: RemoteMember) => void) =>
    setState(
      'members',
      (m) => m.id === id,
      produce((m) => change(m)),
    )

  const join = () => {
    mark('join-sent')
    send({ type: 'room.join', room, media: local.state(), ...(state.self ? { resume: state.self } : {}) })
  }

  const createPeer = (member: CallMember | RemoteMember, polite: boolean, initiator: boolean) => {
    const peer = new Peer(
      member.id,
      polite,
      iceServers,
      local.tracks(),
      local.stream,
      {
        signal: (message) => send({ type: 'room.signal', room, to: member.id, ...message }),
        media: () => update(member.id, (m) => void m.streams++),
        connection: (peerState) => update(member.id, (m) => void (m.peer = peerState)),
        mark: (phase) => mark(`${phase}:${member.id}`),
      },
      initiator,
    )
    peers.set(member.id, peer)
    return peer
  }

  const closePeer = (id: string) => {
    peers.get(id)?.close()
    peers.delete(id)
  }

  const fromServer = (member: CallMember): RemoteMember => ({
    id: member.id,
    user: member.user,
    media: member.media,
    connection: member.connection,
    peer: 'waiting',
    streams: 0,
    stats: noStats(),
  })

  /** Roles toward each member, as the server decided them. */
  const polite = new Map<string, boolean>()

  const handle = async (frame: ServerMessage) => {
    if (frame.type === 'hello') {
      // A new socket: take our place again (the server keeps it for a while after a drop).
      if (state.phase === 'joining' || state.phase === 'joined') join()
      return
    }
    if (!('room' in frame) || frame.room !== room) return
    switch (frame.type) {
      case 'room.joined': {
        mark('joined')
        iceServers = frame.iceServers
        if (!frame.resumed) for (const id of [...peers.keys()]) closePeer(id)
        const listed = new Set(frame.members.map((m) => m.id))
        for (const id of [...peers.keys()]) if (!listed.has(id)) closePeer(id)
        for (const m of frame.members) polite.set(m.id, m.polite)
        setState({
          phase: 'joined',
          self: frame.self,
          maxMembers: frame.maxMembers,
          members: frame.members.map((m) => {
            const known = state.members.find((x) => x.id === m.id)
            return known && peers.has(m.id) ? { ...known, media: m.media, connection: m.connection } : fromServer(m)
          }),
        })
        chat.start()
        await mediaReady
        // We are the newest member toward everyone listed (or we came back): we make the offers.
        for (const m of frame.members) if (!peers.has(m.id)) createPeer(m, m.polite, true)
        return
      }
      case 'room.member-joined':
        polite.set(frame.member.id, frame.member.polite)
        setState('members', (list) => [...list.filter((m) => m.id !== frame.member.id), fromServer(frame.member)])
        // The newcomer offers; our connection to it is made when its offer arrives.
        return
      case 'room.member-left':
        closePeer(frame.member)
        setState('members', (list) => list.filter((m) => m.id !== frame.member))
        return
      case 'room.member-connection': {
        update(frame.member, (m) => void (m.connection = frame.connection))
        const peer = peers.get(frame.member)
        // Back on its socket: if the media path broke meanwhile, renegotiate it now that signals can flow.
        if (frame.connection === 'connected' && peer && peer.pc.connectionState !== 'connected' && !peer.polite) peer.restartIce()
        return
      }
      case 'room.media':
        update(frame.member, (m) => void (m.media = frame.media))
        return
      case 'room.signal': {
        await mediaReady
        const member = state.members.find((m) => m.id === frame.from)
        if (!member) return
        const peer = peers.get(frame.from) ?? createPeer(member, polite.get(frame.from) ?? true, false)
        peer.receive(frame)
        return
      }
      case 'room.left':
        if (state.phase !== 'left') leaveLocally(frame.reason)
        return
      case 'error':
        if (frame.about === 'room.join' && state.phase === 'joining') {
          setState({ phase: 'refused', reason: frame.message })
          local.stop()
        } else if (frame.about?.startsWith('room.') && frame.code !== 'member_reconnecting' && frame.code !== 'rate_limited') {
          setState('error', frame.message)
        }
        return
    }
  }
  const unsubscribe = onServerMessage((frame) => void handle(frame))

  // Our media changed: swap tracks in every connection, and tell the others what we now show.
  createEffect(
    on(local.tracks, (tracks) => {
      for (const peer of peers.values()) peer.setTracks(tracks)
    }),
  )
  let sentState = ''
  createEffect(() => {
    const media = local.state()
    const key = JSON.stringify(media)
    if (state.phase !== 'joined' || key === sentState) return
    sentState = key
    send({ type: 'room.media', room, media })
  })

  // Stats twice a second: what each tile decodes and hears, and who is speaking.
  const poll = setInterval(async () => {
    for (const [id, peer] of peers) {
      const stats = noStats()
      const report = await peer.pc.getStats().catch(() => undefined)
      if (!report) continue
      const cameraTrackId = peer.camera.getVideoTracks()[0]?.id
      report.forEach((s) => {
        if (s.type !== 'inbound-rtp') return
        if (s.kind === 'audio') {
          stats.audioPackets += s.packetsReceived ?? 0
          stats.audioLevel = Math.max(stats.audioLevel, s.audioLevel ?? 0)
        } else if (s.kind === 'video' && (s.trackIdentifier === cameraTrackId || cameraTrackId === undefined)) {
          stats.framesDecoded += s.framesDecoded ?? 0
          stats.width = s.frameWidth ?? stats.width
          stats.height = s.frameHeight ?? stats.height
          stats.fps = s.framesPerSecond ?? stats.fps
        }
      })
      update(id, (m) => void (m.stats = stats))
      // Our own level, from what the first connection sends.
      if (id === peers.keys().next().value) {
        let level = 0
        report.forEach((s) => {
          if (s.type === 'media-source' && s.kind === 'audio') level = s.audioLevel ?? 0
        })
        setSelfLevel(local.micOn() ? level : 0)
      }
    }
  }, 500)

  const leaveLocally = (reason: string) => {
    for (const id of [...peers.keys()]) closePeer(id)
    local.stop()
    setState({ phase: 'left', reason, members: [] })
  }

  const onPageHide = () => send({ type: 'room.leave', room })
  addEventListener('pagehide', onPageHide)

  return {
    state,
    local,
    chat,
    online: () => status() === 'online',
    selfSpeaking: () => selfLevel() > SPEAKING,
    speaking: (m: RemoteMember) => m.media.mic && m.stats.audioLevel > SPEAKING,
    peer: (id: string) => peers.get(id),
    /** A tile presented the first frame of a member's camera. */
    firstFrame: (id: string) => mark(`first-frame:${id}`),
    clearError: () => setState('error', undefined),
    leave() {
      if (state.phase === 'joined') send({ type: 'room.leave', room })
      leaveLocally('you left')
    },
    dispose() {
      removeEventListener('pagehide', onPageHide)
      clearInterval(poll)
      unsubscribe()
      if (state.phase === 'joined' || state.phase === 'joining') {
        send({ type: 'room.leave', room })
        leaveLocally('you left')
      }
      chat.dispose()
    },
    /** Joins now if the socket is already up (the hello handler covers later connections). */
    start() {
      if (status() === 'online') join()
    },
  }
}

export type Call = ReturnType<typeof createCall>
