// One peer connection of the mesh: this page and one other member, negotiated with the perfect-negotiation pattern
// (https://w3c.github.io/webrtc-pc/#perfect-negotiation-example). The server decides who is polite, so when both
// sides offer at once the polite one yields and nothing wedges. The m-line layout is fixed by whoever offers first:
// audio, camera video, then one video section per screen share; camera and mic changes swap tracks in place
// (replaceTrack) and never renegotiate.
import type { IceCandidate, IceServer, SessionDescription } from '../../rooms/protocol'
import { PathWatch } from './path-watch'

export interface LocalTracks {
  audio: MediaStreamTrack | null
  camera: MediaStreamTrack | null
  screen: MediaStreamTrack | null
}

export interface PeerEvents {
  signal(message: { description?: SessionDescription; candidate?: IceCandidate }): void
  /** The remote camera/mic stream or screen stream changed (a track arrived or ended). */
  media(): void
  connection(state: RTCPeerConnectionState): void
  /** Whether this connection has no way through (see PathWatch). */
  noPath(noPath: boolean): void
  mark(phase: 'negotiated' | 'ice-connected'): void
}

export class Peer {
  readonly pc: RTCPeerConnection
  /** Audio and camera video from the other member. */
  readonly camera = new MediaStream()
  /** Its screen share, if any. */
  screen: MediaStream | undefined
  private audio: RTCRtpTransceiver | undefined
  private video: RTCRtpTransceiver | undefined
  private screenSender: RTCRtpSender | undefined
  private makingOffer = false
  private ignoreOffer = false
  private settingRemoteAnswer = false
  private queue: Promise<void> = Promise.resolve()
  private disconnectedTimer: ReturnType<typeof setTimeout> | undefined
  private closed = false
  private negotiated = false
  private readonly path: PathWatch
  /** Being replaced by the SFU: no more ICE restarts, it only lives until the SFU shows this member. */
  private retired = false

  constructor(
    readonly memberId: string,
    readonly polite: boolean,
    iceServers: IceServer[],
    private local: LocalTracks,
    private readonly localStream: MediaStream,
    private readonly events: PeerEvents,
    initiator: boolean,
  ) {
    this.path = new PathWatch((noPath) => this.events.noPath(noPath))
    this.pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' })
    this.pc.onicecandidate = ({ candidate }) => {
      // A null candidate means gathering finished; the browser needs no marker for that.
      if (!candidate) return
      this.path.candidate()
      this.events.signal({ candidate: candidate.toJSON() as IceCandidate })
    }
    this.pc.onicegatheringstatechange = () => this.path.gathering(this.pc.iceGatheringState, true)
    this.pc.onnegotiationneeded = () => void this.offer()
    this.pc.ontrack = (event) => this.onTrack(event)
    this.pc.onconnectionstatechange = () => this.onConnectionState()
    if (initiator) {
      this.audio = this.pc.addTransceiver(local.audio ?? 'audio', { direction: 'sendrecv', streams: [localStream] })
      this.video = this.pc.addTransceiver(local.camera ?? 'video', { direction: 'sendrecv', streams: [localStream] })
      if (local.screen) this.addScreen(local.screen)
    }
  }

  private async offer() {
    if (this.closed) return
    try {
      this.makingOffer = true
      await this.pc.setLocalDescription()
      this.events.signal({ description: this.pc.localDescription!.toJSON() as SessionDescription })
    } catch (error) {
      console.warn('offer failed', error)
    } finally {
      this.makingOffer = false
    }
  }

  /** Signals are handled one at a time, in arrival order. */
  receive(message: { description?: SessionDescription; candidate?: IceCandidate }) {
    this.queue = this.queue.then(() => this.handle(message)).catch((error) => console.warn('signal failed', error))
  }

  private async handle({ description, candidate }: { description?: SessionDescription; candidate?: IceCandidate }) {
    if (this.closed) return
    if (description) {
      const readyForOffer = !this.makingOffer && (this.pc.signalingState === 'stable' || this.settingRemoteAnswer)
      const collision = description.type === 'offer' && !readyForOffer
      this.ignoreOffer = !this.polite && collision
      if (this.ignoreOffer) return
      this.settingRemoteAnswer = description.type === 'answer'
      await this.pc.setRemoteDescription(description)
      this.settingRemoteAnswer = false
      if (description.type === 'offer') {
        this.adoptTransceivers()
        await this.pc.setLocalDescription()
        this.events.signal({ description: this.pc.localDescription!.toJSON() as SessionDescription })
      }
      if (!this.negotiated && this.pc.signalingState === 'stable') {
        this.negotiated = true
        this.events.mark('negotiated')
      }
    } else if (candidate) {
      try {
        await this.pc.addIceCandidate(candidate)
      } catch (error) {
        if (!this.ignoreOffer) throw error
      }
    }
  }

  /** On the answering side, the first audio and video sections carry our mic and camera back. */
  private adoptTransceivers() {
    const transceivers = this.pc.getTransceivers()
    this.audio ??= transceivers.find((t) => t.receiver.track.kind === 'audio')
    this.video ??= transceivers.find((t) => t.receiver.track.kind === 'video')
    for (const [transceiver, track] of [
      [this.audio, this.local.audio],
      [this.video, this.local.camera],
    ] as const) {
      if (!transceiver || transceiver.currentDirection === 'stopped') continue
      if (transceiver.direction === 'recvonly') transceiver.direction = 'sendrecv'
      if (transceiver.sender.track !== track) void transceiver.sender.replaceTrack(track)
      transceiver.sender.setStreams(this.localStream)
    }
    // A screen shared before this connection existed goes in its own section, negotiated once this answer is done.
    if (this.local.screen && !this.screenSender) this.addScreen(this.local.screen)
  }

  private onTrack(event: RTCTrackEvent) {
    const track = event.track
    const isCamera = event.transceiver === this.firstOfKind(track.kind)
    if (isCamera) {
      for (const old of this.camera.getTracks().filter((t) => t.kind === track.kind)) this.camera.removeTrack(old)
      this.camera.addTrack(track)
    } else {
      this.screen = new MediaStream([track])
      track.addEventListener('ended', () => {
        if (this.screen?.getVideoTracks()[0] === track) this.screen = undefined
        this.events.media()
      })
    }
    // A remote track "mutes" when its sender stops sending (screen share stopped, section inactive).
    track.onmute = () => this.events.media()
    track.onunmute = () => this.events.media()
    this.events.media()
  }

  private firstOfKind(kind: string): RTCRtpTransceiver | undefined {
    return this.pc.getTransceivers().find((t) => t.receiver.track.kind === kind)
  }

  private onConnectionState() {
    const state = this.pc.connectionState
    this.events.connection(state)
    this.path.connection(state)
    clearTimeout(this.disconnectedTimer)
    if (state === 'connected') this.events.mark('ice-connected')
    // A path that stays down gets new ICE credentials and candidates; "failed" needs it at once.
    if (state === 'failed') this.restartIce()
    else if (state === 'disconnected') this.disconnectedTimer = setTimeout(() => this.restartIce(), 2500)
  }

  restartIce() {
    if (!this.closed && !this.retired) this.pc.restartIce()
  }

  /** New ICE servers (fresh TURN credentials) for every later gathering: the next ICE restart allocates with them. */
  useIceServers(iceServers: IceServer[]) {
    if (!this.closed) this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers })
  }

  retire() {
    this.retired = true
    clearTimeout(this.disconnectedTimer)
  }

  /** Swaps our tracks in place: camera or mic on/off and device changes need no renegotiation. */
  setTracks(local: LocalTracks) {
    const previousScreen = this.local.screen
    this.local = local
    if (this.audio && this.audio.sender.track !== local.audio) void this.audio.sender.replaceTrack(local.audio)
    if (this.video && this.video.sender.track !== local.camera) void this.video.sender.replaceTrack(local.camera)
    if (local.screen !== previousScreen) {
      if (this.screenSender) {
        this.pc.removeTrack(this.screenSender)
        this.screenSender = undefined
      }
      if (local.screen) this.addScreen(local.screen)
    }
  }

  private addScreen(track: MediaStreamTrack) {
    this.screenSender = this.pc.addTransceiver(track, { direction: 'sendonly', streams: [new MediaStream([track])] }).sender
  }

  close() {
    this.closed = true
    clearTimeout(this.disconnectedTimer)
    this.path.close()
    this.pc.close()
  }
}
