// A video call as this page lives it: join the room (and rejoin, keeping our place, when the socket comes back),
// one Peer per other member, our own media, what each member shows (camera, mic, screen, speaking, connection),
// and the room's chat. Phases are marked with performance.mark so the join can be measured (bench/call-join.ts).
import { createEffect, createSignal, on } from 'solid-js'
import { createStore, produce } from 'solid-js/store'
import type { CallMember, CallReaction, IceServer, MediaMode, MediaModeInfo, MediaSource, MediaState, MemberConnection, ServerMessage, UserRef, Waiting } from '../../rooms/protocol'
import { onServerMessage, send, status } from '../socket/connection'
import { createChat } from '../chat/chat-store'
import type { LocalMedia } from './local-media'
import { Peer } from './peer'
import type { SfuClient } from './sfu-client'
import { qualityBetween, type Counters, type Grade, type Quality } from './quality'

/** How long an old media path may overlap the new one after a switch before it is closed regardless. */
const SWITCH_OVERLAP_MS = 8000

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
  /** Our peer connection to it has no way through (see PathWatch). */
  noPath: boolean
  /** Bumped when its streams change, so tiles re-attach them. */
  streams: number
  /** The member the SFU's active-speaker detection names now. */
  dominant: boolean
  /** The simulcast layer asked for its camera on the SFU (0-2), from its tile's size. */
  layer?: number
  stats: MemberStats
  /** How its media reaches us (loss, round trip, bitrate, frame rate). */
  quality: Quality
  /** Runs the call (kick, mute, lock, admit, end). */
  host: boolean
}

/** A reaction someone sent, shown over their tile for a few seconds. `seq` tells two equal ones apart. */
export interface ShownReaction {
  member: string
  emoji: CallReaction
  seq: number
}

/** How long a reaction floats over a tile. */
const REACTION_SHOWN_MS = 4000
/** Most reactions floating at once on this page (beyond it the oldest goes). */
const MAX_SHOWN_REACTIONS = 30

/** `waiting`: in the lobby of a locked room until a host lets us in. */
export type CallPhase = 'joining' | 'waiting' | 'joined' | 'left' | 'refused'

const SOURCE_NAMES: Record<MediaSource, string> = { mic: 'microphone', camera: 'camera', screen: 'screen share' }

const noStats = (): MemberStats => ({ framesDecoded: 0, audioPackets: 0, width: 0, height: 0, fps: 0, audioLevel: 0 })
const unmeasured = (): Quality => ({ grade: 'unknown', loss: 0, bitrate: 0 })
const GRADE_ORDER: Grade[] = ['unknown', 'good', 'fair', 'poor']
const worse = (a: Quality, b: Quality) => (GRADE_ORDER.indexOf(b.grade) > GRADE_ORDER.indexOf(a.grade) ? b : a)
/** Audio level (0-1) above which a member counts as speaking. */
const SPEAKING = 0.02

/** `local`: our media, started by the pre-join screen; `mediaReady` settles when its first acquisition has. */
export function createCall(room: string, me: () => UserRef | null, local: LocalMedia, mediaReady: Promise<void>) {
  const [state, setState] = createStore({
    phase: 'joining' as CallPhase,
    reason: '',
    self: undefined as string | undefined,
    members: [] as RemoteMember[],
    maxMembers: 0,
    /** How the room carries media now, and since which change. */
    mode: 'mesh' as MediaMode,
    epoch: -1,
    error: undefined as string | undefined,
    /** This page has no way through to the SFU (see PathWatch). */
    sfuNoPath: false,
    /** Some of this page's media goes through a TURN relay (the selected ICE path's local end is a relay candidate). */
    relayed: false,
    /** We host this call; it is locked; who waits to be let in (told to hosts only). */
    host: false,
    locked: false,
    lobby: [] as Waiting[],
    /** Why a host took us out of the call, when one did. */
    leftCode: undefined as 'kicked' | 'denied' | 'ended' | undefined,
    /** Something a host did to us, to show for a while ("Ann turned off your microphone"). */
    notice: undefined as string | undefined,
    /** Raised hands, member ids (ours too), earliest first. */
    hands: [] as string[],
    reactions: [] as ShownReaction[],
    /** The member who spoke last (speaker view puts it on the stage). */
    speaker: undefined as string | undefined,
    /** On the SFU: the members whose camera is on but not sent to us (outside our last-N). */
    withheld: [] as string[],
    /** On the SFU: whose voice is above the speaking threshold now (it may not send us their audio). */
    speakingIds: [] as string[],
    /** How our own media leaves this page (the worst of our paths). */
    uplink: unmeasured(),
  })
  const [selfLevel, setSelfLevel] = createSignal(0)
  const peers = new Map<string, Peer>()
  let sfu: SfuClient | undefined
  /** What the SFU delivers of each member: its camera and microphone, and its screen. */
  const sfuStreams = new Map<string, { camera: MediaStream; screen?: MediaStream }>()
  let overlapTimer: ReturnType<typeof setTimeout> | undefined
  let iceServers: IceServer[] = []
  let iceRefresh: ReturnType<typeof setTimeout> | undefined
  const chat = createChat(room, me, { joinOnConnect: false })
  let reactionSeq = 0

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
        noPath: (noPath) => update(member.id, (m) => void (m.noPath = noPath)),
        mark: (phase) => mark(`${phase}:${member.id}`),
      },
      initiator,
    )
    peers.set(member.id, peer)
    return peer
  }

  const closePeer = (id: string) => {
    const peer = peers.get(id)
    if (!peer) return
    peer.close()
    peers.delete(id)
    update(id, (m) => void m.streams++)
  }

  const sfuTrack = (member: string, source: 'mic' | 'camera' | 'screen', track: MediaStreamTrack | undefined) => {
    let streams = sfuStreams.get(member)
    if (!streams) sfuStreams.set(member, (streams = { camera: new MediaStream() }))
    if (source === 'screen') streams.screen = track ? new MediaStream([track]) : undefined
    else {
      const kind = source === 'mic' ? 'audio' : 'video'
      for (const old of streams.camera.getTracks().filter((t) => t.kind === kind)) streams.camera.removeTrack(old)
      if (track) streams.camera.addTrack(track)
    }
    update(member, (m) => void m.streams++)
  }

  const stopSfu = (tellServer: boolean) => {
    sfu?.close(tellServer)
    sfu = undefined
    setState({ sfuNoPath: false, withheld: [], speakingIds: [] })
    sfuStreams.clear()
    for (const m of state.members) update(m.id, (x) => void x.streams++)
  }

  /** Onto the SFU: a new client for this epoch; the mesh keeps running until the SFU shows each member. */
  const startSfu = async (media: MediaModeInfo) => {
    stopSfu(false)
    // mediasoup-client is loaded only by rooms that reach the SFU: a small mesh call does not wait for it.
    const { SfuClient } = await import('./sfu-client')
    if (state.epoch !== media.epoch || state.phase === 'left') return
    const client = new SfuClient(room, media.epoch, media.routerRtpCapabilities, iceServers, local.tracks(), send, {
      track: (member, source, track) => sfuTrack(member, source, track),
      paused: () => undefined,
      failed: (message) => setState('error', `Media server: ${message}`),
      connection: () => undefined,
      noPath: (noPath) => {
        if (sfu === client) setState('sfuNoPath', noPath)
      },
      layer: (member, layer) => update(member, (m) => void (m.layer = layer)),
    })
    sfu = client
    mark(`sfu-start:${media.epoch}`)
    void client.start().catch((error) => {
      if (sfu === client) setState('error', `Media server: ${(error as Error).message}`)
    })
    for (const peer of peers.values()) peer.retire()
    clearTimeout(overlapTimer)
    overlapTimer = setTimeout(() => {
      if (state.mode === 'sfu') for (const id of [...peers.keys()]) closePeer(id)
    }, SWITCH_OVERLAP_MS)
  }

  /** Back to the mesh: in every pair the later joiner offers; the SFU keeps going until the mesh shows each member. */
  const startMesh = () => {
    for (const m of state.members) if (!peers.has(m.id) && polite.get(m.id)) createPeer(m, true, true)
    clearTimeout(overlapTimer)
    overlapTimer = setTimeout(() => {
      if (state.mode === 'mesh') stopSfu(true)
    }, SWITCH_OVERLAP_MS)
  }

  const applyMode = async (media: MediaModeInfo, force = false) => {
    if (media.epoch === state.epoch && !force) return
    const previous = state.mode
    setState({ mode: media.mode, epoch: media.epoch })
    mark(`mode:${media.mode}:${media.epoch}`)
    await mediaReady
    if (media.mode === 'sfu') await startSfu(media)
    else if (previous === 'sfu') startMesh()
  }

  const fromServer = (member: CallMember): RemoteMember => ({
    id: member.id,
    user: member.user,
    media: member.media,
    connection: member.connection,
    peer: 'waiting',
    noPath: false,
    streams: 0,
    dominant: false,
    stats: noStats(),
    quality: unmeasured(),
    host: member.host,
  })

  /**
   * Fresh ICE servers from the server, long before the TURN credentials expire: every later gathering uses them
   * (a new member's connection, an ICE restart after a network change or a relay restart), where expired ones would
   * be refused. An allocation already made keeps working (the relay authenticated it once). The server says when
   * to ask again.
   */
  const useIceServers = (servers: IceServer[], refreshInSeconds: number | undefined) => {
    iceServers = servers
    for (const peer of peers.values()) peer.useIceServers(servers)
    void sfu?.useIceServers(servers)
    clearTimeout(iceRefresh)
    iceRefresh = refreshInSeconds ? setTimeout(() => send({ type: 'room.ice', room }), refreshInSeconds * 1000) : undefined
  }

  /** Roles toward each member, as the server decided them. */
  const polite = new Map<string, boolean>()

  const handle = async (frame: ServerMessage) => {
    if (frame.type === 'hello') {
      // A new socket: take our place again (the server keeps it for a while after a drop).
      if (state.phase === 'joining' || state.phase === 'waiting' || state.phase === 'joined') join()
      return
    }
    if (!('room' in frame) || frame.room !== room) return
    switch (frame.type) {
      case 'room.joined': {
        mark('joined')
        useIceServers(frame.iceServers, frame.iceRefreshInSeconds)
        if (!frame.resumed) for (const id of [...peers.keys()]) closePeer(id)
        const listed = new Set(frame.members.map((m) => m.id))
        for (const id of [...peers.keys()]) if (!listed.has(id)) closePeer(id)
        for (const m of frame.members) polite.set(m.id, m.polite)
        setState({
          phase: 'joined',
          self: frame.self,
          host: frame.host,
          locked: frame.locked,
          lobby: frame.lobby,
          hands: frame.hands,
          maxMembers: frame.maxMembers,
          members: frame.members.map((m) => {
            const known = state.members.find((x) => x.id === m.id)
            return known && peers.has(m.id) ? { ...known, media: m.media, connection: m.connection, host: m.host } : fromServer(m)
          }),
        })
        chat.start()
        // Back on the SFU after a dropped socket, the server dropped our transports: set them up again. Not resumed,
        // this is a call the server started anew (the room was closed, or moved to another server in a cluster):
        // its media epochs start over, so an epoch equal to ours says nothing about our transports.
        await applyMode(frame.media, !frame.resumed || frame.media.mode === 'sfu')
        await mediaReady
        // On the mesh we are the newest member toward everyone listed (or we came back): we make the offers.
        if (frame.media.mode === 'mesh') {
          for (const m of frame.members) if (!peers.has(m.id)) createPeer(m, m.polite, true)
        }
        return
      }
      case 'room.mode':
        await applyMode(frame)
        return
      case 'room.ice':
        useIceServers(frame.iceServers, frame.iceRefreshInSeconds)
        return
      case 'room.waiting':
        setState('phase', 'waiting')
        return
      case 'room.lobby':
        setState('lobby', frame.waiting)
        return
      case 'room.locked':
        setState('locked', frame.locked)
        return
      case 'room.hands':
        setState('hands', frame.hands)
        return
      case 'room.reaction': {
        const shown: ShownReaction = { member: frame.member, emoji: frame.emoji, seq: ++reactionSeq }
        setState('reactions', (list) => [...list.slice(-(MAX_SHOWN_REACTIONS - 1)), shown])
        setTimeout(() => setState('reactions', (list) => list.filter((r) => r !== shown)), REACTION_SHOWN_MS)
        return
      }
      case 'room.member-host':
        if (frame.member === state.self) setState('host', frame.host)
        else update(frame.member, (m) => void (m.host = frame.host))
        return
      case 'room.muted':
        local.turnOff(frame.source)
        setState('notice', `${frame.by.username} turned off your ${SOURCE_NAMES[frame.source]}. You can turn it back on.`)
        return
      case 'sfu.speaker':
        for (const m of state.members) if (m.dominant !== (m.id === frame.member)) update(m.id, (x) => void (x.dominant = x.id === frame.member))
        if (frame.member && frame.member !== state.self) setState('speaker', frame.member)
        return
      case 'sfu.last-n':
        setState('withheld', frame.withheld)
        return
      case 'sfu.speaking':
        setState('speakingIds', frame.members)
        return
      case 'sfu.transport':
      case 'sfu.demand':
      case 'sfu.connected':
      case 'sfu.produced':
      case 'sfu.ice-restarted':
      case 'sfu.consumer':
      case 'sfu.consumer-closed':
      case 'sfu.consumer-state':
        sfu?.handle(frame)
        return
      case 'room.member-joined':
        polite.set(frame.member.id, frame.member.polite)
        setState('members', (list) => [...list.filter((m) => m.id !== frame.member.id), fromServer(frame.member)])
        // The newcomer offers; our connection to it is made when its offer arrives.
        return
      case 'room.member-left':
        closePeer(frame.member)
        sfuStreams.delete(frame.member)
        setState('members', (list) => list.filter((m) => m.id !== frame.member))
        if (state.speaker === frame.member) setState('speaker', undefined)
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
        // On the SFU, only the connections still overlapping it take signals; a new one is not started.
        if (!peers.has(frame.from) && state.mode === 'sfu') return
        const peer = peers.get(frame.from) ?? createPeer(member, polite.get(frame.from) ?? true, false)
        peer.receive(frame)
        return
      }
      case 'room.left':
        if (frame.code) setState('leftCode', frame.code)
        if (state.phase !== 'left') leaveLocally(frame.reason)
        return
      case 'error':
        if (sfu?.handle(frame)) return
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
      void sfu?.setTracks(tracks)
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

  // The audio energy each stream had at the last poll: a level is the average over the time since (the RMS of
  // the samples, as WebRTC's stats define it), so a short sound between two polls still counts; the instantaneous
  // `audioLevel` would only catch what sounds at the moment of the poll.
  const energies = new Map<string, { energy: number; duration: number; polled: number }>()
  let pollCount = 0
  const averageLevel = (key: string, s: { totalAudioEnergy?: number; totalSamplesDuration?: number; audioLevel?: number }) => {
    if (s.totalAudioEnergy === undefined || s.totalSamplesDuration === undefined) return s.audioLevel ?? 0
    const last = energies.get(key)
    energies.set(key, { energy: s.totalAudioEnergy, duration: s.totalSamplesDuration, polled: pollCount })
    const duration = s.totalSamplesDuration - (last?.duration ?? 0)
    const energy = s.totalAudioEnergy - (last?.energy ?? 0)
    return last && duration > 0 && energy >= 0 ? Math.sqrt(energy / duration) : (s.audioLevel ?? 0)
  }

  /** Counters of the last poll, per path (`in:<member>`, `out:<member or sfu>`), for loss and bitrate over the poll. */
  const counters = new Map<string, Counters>()
  /** The round trip of a report's selected candidate pair, in ms. */
  const roundTrip = (report: RTCStatsReport | undefined): number | undefined => {
    let rtt: number | undefined
    report?.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) {
        const pair = report.get(s.selectedCandidatePairId)
        if (pair?.currentRoundTripTime !== undefined) rtt = pair.currentRoundTripTime * 1000
      }
    })
    return rtt
  }
  /** What we send over one connection: packets and bytes sent, and lost as the far end reports it (RTCP). */
  const uplinkOf = (key: string, reports: Array<RTCStatsReport | undefined>, at: number): Quality => {
    const now: Counters = { packets: 0, lost: 0, bytes: 0, at }
    let rtt: number | undefined
    for (const report of reports) {
      rtt ??= roundTrip(report)
      report?.forEach((s) => {
        if (s.type === 'outbound-rtp') {
          now.packets += s.packetsSent ?? 0
          now.bytes += s.bytesSent ?? 0
        } else if (s.type === 'remote-inbound-rtp') {
          now.lost += Math.max(0, s.packetsLost ?? 0)
          if (rtt === undefined && s.roundTripTime !== undefined) rtt = s.roundTripTime * 1000
        }
      })
    }
    const quality = qualityBetween(counters.get(key), now, rtt)
    counters.set(key, now)
    return quality
  }

  // Stats twice a second: what each tile decodes and hears, who is speaking, and how each path is doing.
  const poll = setInterval(async () => {
    pollCount++
    // Streams that went away are forgotten.
    for (const [key, entry] of energies) if (entry.polled < pollCount - 2) energies.delete(key)
    let relayed = false
    let uplink = unmeasured()
    let loudest: { id: string; level: number } | undefined
    for (const member of state.members) {
      const id = member.id
      const peer = peers.get(id)
      const viaSfu = path(id) === 'sfu'
      const stats = noStats()
      const reports: Array<RTCStatsReport | undefined> = viaSfu ? ((await sfu?.stats(id).catch(() => [])) ?? []) : peer ? [await peer.pc.getStats().catch(() => undefined)] : []
      const cameraTrackId = (viaSfu ? sfuStreams.get(id)?.camera : peer?.camera)?.getVideoTracks()[0]?.id
      const received: Counters = { packets: 0, lost: 0, bytes: 0, at: performance.now() }
      let rtt: number | undefined
      for (const report of reports) {
        rtt ??= roundTrip(report)
        report?.forEach((s) => {
          // The path in use: relayed when the selected pair's local end is a relay candidate.
          if (s.type === 'transport' && s.selectedCandidatePairId) {
            const pair = report.get(s.selectedCandidatePairId)
            if (pair && report.get(pair.localCandidateId)?.candidateType === 'relay') relayed = true
          }
          if (s.type !== 'inbound-rtp') return
          received.packets += s.packetsReceived ?? 0
          received.lost += Math.max(0, s.packetsLost ?? 0)
          received.bytes += s.bytesReceived ?? 0
          if (s.kind === 'audio') {
            stats.audioPackets += s.packetsReceived ?? 0
            stats.audioLevel = Math.max(stats.audioLevel, averageLevel(`${id}:${s.id}`, s))
          } else if (s.kind === 'video' && (s.trackIdentifier === cameraTrackId || cameraTrackId === undefined)) {
            stats.framesDecoded += s.framesDecoded ?? 0
            stats.width = s.frameWidth ?? stats.width
            stats.height = s.frameHeight ?? stats.height
            stats.fps = s.framesPerSecond ?? stats.fps
          }
        })
      }
      const quality = qualityBetween(counters.get(`in:${id}`), received, rtt, member.media.camera ? stats.fps : undefined)
      counters.set(`in:${id}`, received)
      // On the mesh, what we send to this member travels the same connection.
      if (!viaSfu && peer) uplink = worse(uplink, uplinkOf(`out:${id}`, reports, received.at))
      update(id, (m) => {
        m.stats = stats
        m.quality = quality
      })
      if (member.media.mic && stats.audioLevel > SPEAKING && (!loudest || stats.audioLevel > loudest.level)) loudest = { id, level: stats.audioLevel }
    }
    if (relayed !== state.relayed) setState('relayed', relayed)
    // Who speaks now takes the stage in speaker view; in silence the last speaker keeps it. (On the SFU, its
    // active-speaker detection names the speaker too.)
    if (loudest && state.speaker !== loudest.id) setState('speaker', loudest.id)
    // Our own level, from what we send, and the uplink through the SFU.
    const sent = sfu ? await sfu.sendStats().catch(() => []) : [await peers.values().next().value?.pc.getStats().catch(() => undefined)]
    if (sfu) uplink = uplinkOf('out:sfu', sent, performance.now())
    for (const key of counters.keys()) {
      const member = key.slice(key.indexOf(':') + 1)
      if (member !== 'sfu' && !state.members.some((m) => m.id === member)) counters.delete(key)
    }
    setState('uplink', uplink)
    let level = 0
    for (const own of sent) own?.forEach((s) => {
      if (s.type === 'media-source' && s.kind === 'audio') level = averageLevel(`self:${s.id}`, s)
    })
    setSelfLevel(local.micOn() ? level : 0)
  }, 500)

  /** The path a member's tile prefers now: the room's mode, or the other one while the preferred is not there. */
  const path = (id: string): MediaMode => {
    if (state.mode === 'sfu') return sfuStreams.get(id)?.camera.getVideoTracks().length || !peers.has(id) ? 'sfu' : 'mesh'
    return peers.has(id) || !sfuStreams.has(id) ? 'mesh' : 'sfu'
  }

  const leaveLocally = (reason: string) => {
    clearTimeout(overlapTimer)
    clearTimeout(iceRefresh)
    stopSfu(false)
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
    speaking: (m: RemoteMember) => m.media.mic && (m.dominant || m.stats.audioLevel > SPEAKING || state.speakingIds.includes(m.id)),
    /** Whether we receive the member's camera (on the SFU, only the last-N's; a camera on the mesh during a
     * switch, or not set up yet, is not withheld). */
    forwarded: (id: string) => state.mode !== 'sfu' || !state.withheld.includes(id),
    /** Our pinned tiles' members, so the SFU sends their cameras whoever speaks. */
    pin: (members: string[]) => sfu?.pin(members),
    peer: (id: string) => peers.get(id),
    /** What a tile shows of a member: each path's streams, and which one it prefers. */
    streams: (id: string) => ({
      mesh: peers.get(id)?.camera,
      meshScreen: peers.get(id)?.screen,
      sfu: sfuStreams.get(id)?.camera,
      sfuScreen: sfuStreams.get(id)?.screen,
      prefer: state.mode,
    }),
    /** A tile presented the first frame of `path` for a member: in a switch, the other path can go. */
    pathReady(id: string, ready: MediaMode) {
      if (ready !== state.mode) return
      mark(`path-ready:${ready}:${id}`)
      if (ready === 'sfu') closePeer(id)
      else {
        sfu?.dropMember(id)
        sfuStreams.delete(id)
        update(id, (m) => void m.streams++)
        if (sfu && state.members.every((m) => peers.has(m.id) && !sfuStreams.has(m.id))) stopSfu(true)
      }
    },
    /** A tile's size and visibility, for the SFU layer it needs. */
    view(id: string, visible: boolean, width: number) {
      const layer = sfu?.view(id, visible, width)
      update(id, (m) => void (m.layer = layer))
    },
    /** A tile presented the first frame of a member's camera. */
    firstFrame: (id: string) => mark(`first-frame:${id}`),
    clearError: () => setState('error', undefined),
    clearNotice: () => setState('notice', undefined),
    /** Raise or lower our hand; hosts lower anyone's (`member`). */
    hand: (raised: boolean, member?: string) => send({ type: 'room.hand', room, raised, ...(member ? { member } : {}) }),
    react: (emoji: CallReaction) => send({ type: 'room.react', room, emoji }),
    /** What hosts do; the server refuses anyone else. */
    host: {
      kick: (member: string) => send({ type: 'room.kick', room, member }),
      mute: (member: string, source: MediaSource) => send({ type: 'room.mute', room, member, source }),
      muteAll: () => send({ type: 'room.mute-all', room }),
      lock: (locked: boolean) => send({ type: 'room.lock', room, locked }),
      admit: (member: string) => send({ type: 'room.admit', room, member }),
      deny: (member: string) => send({ type: 'room.deny', room, member }),
      end: () => send({ type: 'room.end', room }),
      make: (member: string) => send({ type: 'room.host', room, member }),
    },
    leave() {
      if (state.phase === 'joined' || state.phase === 'waiting') send({ type: 'room.leave', room })
      leaveLocally('you left')
    },
    dispose() {
      clearTimeout(overlapTimer)
      removeEventListener('pagehide', onPageHide)
      clearInterval(poll)
      unsubscribe()
      if (state.phase === 'joined' || state.phase === 'joining' || state.phase === 'waiting') {
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
