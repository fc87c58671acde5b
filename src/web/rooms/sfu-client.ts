// This page's side of a room on the SFU (mediasoup-client): one Device loaded with the router's capabilities, a
// send transport carrying our microphone, camera (three simulcast layers) and screen, and a receive transport
// through which the server pushes a consumer for every producer of the others. Each request to the server carries
// an id, and its answer (or an error frame with that id as `ref`) settles it.
import { Device } from 'mediasoup-client'
import type { types } from 'mediasoup-client'
import type { ClientMessage, IceServer, MediaSource, ServerMessage } from '../../rooms/protocol'
import type { LocalTracks } from './peer'
import { PathWatch } from './path-watch'

export interface SfuEvents {
  /** A track of `member` arrived (or its consumer closed: track undefined). */
  track(member: string, source: MediaSource, track: MediaStreamTrack | undefined, consumerId: string): void
  /** The producer behind a consumer paused or resumed (camera off, screen share paused). */
  paused(consumerId: string, paused: boolean): void
  failed(message: string): void
  /** The send or receive transport's connection state. */
  connection(state: string): void
  /** Whether this page has no way through to the SFU (see PathWatch): neither transport ever connected. */
  noPath(noPath: boolean): void
  /** The simulcast layer now asked for a member's camera (undefined: paused or none). */
  layer(member: string, layer: number | undefined): void
}

const CAMERA_ENCODINGS: RTCRtpEncodingParameters[] = [
  { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 120_000 },
  { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 350_000 },
  { rid: 'r2', scaleResolutionDownBy: 1, maxBitrate: 1_000_000 },
]

let nextReq = 1

export class SfuClient {
  private readonly device = new Device()
  private send: types.Transport | undefined
  private recv: types.Transport | undefined
  private readonly producers = new Map<MediaSource, types.Producer>()
  private readonly consumers = new Map<string, { consumer: types.Consumer; member: string; source: MediaSource }>()
  private readonly pending = new Map<string, { resolve(frame: any): void; reject(error: Error): void; timer: ReturnType<typeof setTimeout> }>()
  private closed = false
  private tracks: LocalTracks
  /** The last size and visibility of each member's tile, applied to its camera consumer when that arrives. */
  private readonly views = new Map<string, { visible: boolean; width: number }>()
  /** Consumers announced before the receive transport exists here wait for it. */
  private early: Array<Extract<ServerMessage, { type: 'sfu.consumer' }>> = []
  private producing: Promise<void> = Promise.resolve()
  private readonly paths: PathWatch[] = []
  private readonly blocked = new Set<string>()
  /** The highest layer anyone receives of each of our producers (dynacast); kept for a producer still being made. */
  private readonly demand = new Map<string, number>()

  constructor(
    readonly room: string,
    readonly epoch: number,
    private readonly routerRtpCapabilities: unknown,
    /** The room's STUN and TURN servers: a page that can reach the SFU only through TURN gets there by them. */
    private iceServers: IceServer[],
    tracks: LocalTracks,
    private readonly post: (frame: ClientMessage) => boolean,
    private readonly events: SfuEvents,
  ) {
    this.tracks = tracks
  }

  private request<T = any>(frame: ClientMessage & { req: string }): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(frame.req)
        reject(new Error(`${frame.type}: no answer`))
      }, 10_000)
      this.pending.set(frame.req, { resolve, reject, timer })
      if (!this.post(frame)) {
        clearTimeout(timer)
        this.pending.delete(frame.req)
        reject(new Error('not connected'))
      }
    })
  }

  private req(): string {
    return `sfu${this.epoch}-${nextReq++}`
  }

  async start() {
    await this.device.load({ routerRtpCapabilities: this.routerRtpCapabilities as types.RtpCapabilities })
    const [sendParams, recvParams] = await Promise.all([
      this.request({ type: 'sfu.transport', room: this.room, req: this.req(), direction: 'send' }),
      this.request({ type: 'sfu.transport', room: this.room, req: this.req(), direction: 'recv', rtpCapabilities: this.device.rtpCapabilities as never }),
    ])
    if (this.closed) return
    this.recv = this.device.createRecvTransport({ ...recvParams, iceServers: this.iceServers })
    this.wire(this.recv)
    for (const frame of this.early.splice(0)) void this.consume(frame)
    this.send = this.device.createSendTransport({ ...sendParams, iceServers: this.iceServers })
    this.wire(this.send)
    this.send.on('produce', ({ kind, rtpParameters, appData }, done, fail) => {
      this.request({
        type: 'sfu.produce',
        room: this.room,
        req: this.req(),
        transportId: this.send!.id,
        kind,
        rtpParameters: rtpParameters as never,
        source: (appData as { source: MediaSource }).source,
      }).then((answer) => done({ id: answer.producerId }), fail)
    })
    await this.setTracks(this.tracks)
  }

  private wire(transport: types.Transport) {
    // Either transport without a path leaves the call without (some of) its media.
    const path = new PathWatch((noPath) => {
      if (noPath) this.blocked.add(transport.id)
      else this.blocked.delete(transport.id)
      if (!this.closed) this.events.noPath(this.blocked.size > 0)
    })
    this.paths.push(path)
    // mediasoup-client does not hand out its candidates, so only the time after gathering counts here.
    transport.on('icegatheringstatechange', (state) => path.gathering(state, false))
    transport.on('connect', ({ dtlsParameters }, done, fail) => {
      this.request({ type: 'sfu.connect', room: this.room, req: this.req(), transportId: transport.id, dtlsParameters: dtlsParameters as never }).then(
        () => done(),
        fail,
      )
    })
    transport.on('connectionstatechange', (state) => {
      this.events.connection(state)
      path.connection(state)
      // A transport whose path failed gets fresh ICE credentials from the server.
      if (state === 'failed') void this.restartIce(transport)
    })
  }

  private async restartIce(transport: types.Transport) {
    if (this.closed || transport.closed) return
    const answer = await this.request({ type: 'sfu.restart-ice', room: this.room, req: this.req(), transportId: transport.id }).catch(() => undefined)
    if (answer && !transport.closed) await transport.restartIce({ iceParameters: answer.iceParameters }).catch(() => undefined)
  }

  /** New ICE servers (fresh TURN credentials) for both transports: their next ICE restart allocates with them. */
  async useIceServers(iceServers: IceServer[]) {
    this.iceServers = iceServers
    for (const transport of [this.send, this.recv]) {
      if (transport && !transport.closed) await transport.updateIceServers({ iceServers }).catch(() => undefined)
    }
  }

  /** Our tracks changed: produce what is new, swap what changed, pause what was turned off. Serialised, so two
   * quick toggles do not produce the same source twice. */
  setTracks(tracks: LocalTracks): Promise<void> {
    this.tracks = tracks
    this.producing = this.producing.then(() => this.applyTracks()).catch((error) => this.events.failed(String(error?.message ?? error)))
    return this.producing
  }

  private async applyTracks() {
    if (!this.send || this.closed) return
    const want: Array<[MediaSource, MediaStreamTrack | null]> = [
      ['mic', this.tracks.audio],
      ['camera', this.tracks.camera],
      ['screen', this.tracks.screen],
    ]
    for (const [source, track] of want) {
      const producer = this.producers.get(source)
      if (!track) {
        if (!producer) continue
        if (source === 'screen') {
          producer.close()
          this.producers.delete(source)
          this.post({ type: 'sfu.producer', room: this.room, producerId: producer.id, action: 'close' })
        } else if (!producer.paused) {
          // Camera off keeps the producer (and everyone's consumer) and pauses it: turning it on is instant.
          producer.pause()
          await producer.replaceTrack({ track: null })
          this.post({ type: 'sfu.producer', room: this.room, producerId: producer.id, action: 'pause' })
        }
        continue
      }
      if (!producer) {
        const created = await this.send.produce({
          track,
          // The tracks are ours (the self-view and the mesh use them too): closing the SFU must not stop them.
          stopTracks: false,
          appData: { source },
          ...(source === 'camera' ? { encodings: CAMERA_ENCODINGS, codecOptions: { videoGoogleStartBitrate: 1000 } } : {}),
          ...(source === 'mic' ? { codecOptions: { opusStereo: false, opusDtx: true } } : {}),
        })
        this.producers.set(source, created)
        if (this.demand.has(created.id)) await this.applyDemand(created)
        continue
      }
      if (producer.track !== track) await producer.replaceTrack({ track })
      if (producer.paused) {
        producer.resume()
        this.post({ type: 'sfu.producer', room: this.room, producerId: producer.id, action: 'resume' })
      }
    }
  }

  /** Frames for this SFU session; returns false for frames it does not own. */
  handle(frame: ServerMessage): boolean {
    switch (frame.type) {
      case 'sfu.transport':
      case 'sfu.connected':
      case 'sfu.produced':
      case 'sfu.ice-restarted': {
        const waiting = this.pending.get(frame.req)
        if (!waiting) return false
        this.pending.delete(frame.req)
        clearTimeout(waiting.timer)
        waiting.resolve(frame)
        return true
      }
      case 'error': {
        const waiting = frame.ref ? this.pending.get(frame.ref) : undefined
        if (!waiting) return false
        this.pending.delete(frame.ref!)
        clearTimeout(waiting.timer)
        waiting.reject(new Error(frame.message))
        return true
      }
      case 'sfu.consumer':
        void this.consume(frame)
        return true
      case 'sfu.consumer-closed': {
        const entry = this.consumers.get(frame.consumerId)
        if (!entry) return false
        entry.consumer.close()
        this.consumers.delete(frame.consumerId)
        this.events.track(entry.member, entry.source, undefined, frame.consumerId)
        return true
      }
      case 'sfu.consumer-state':
        if (!this.consumers.has(frame.consumerId)) return false
        this.events.paused(frame.consumerId, frame.producerPaused)
        return true
      case 'sfu.demand': {
        this.demand.set(frame.producerId, frame.maxSpatialLayer)
        const producer = [...this.producers.values()].find((p) => p.id === frame.producerId)
        if (producer) this.producing = this.producing.then(() => this.applyDemand(producer)).catch(() => undefined)
        return true
      }
    }
    return false
  }

  private async consume(frame: Extract<ServerMessage, { type: 'sfu.consumer' }>) {
    if (this.closed) return
    if (!this.recv) return void this.early.push(frame)
    try {
      const consumer = await this.recv.consume({
        id: frame.consumerId,
        producerId: frame.producerId,
        kind: frame.kind,
        rtpParameters: frame.rtpParameters as types.RtpParameters,
      })
      this.consumers.set(consumer.id, { consumer, member: frame.member, source: frame.source })
      this.events.track(frame.member, frame.source, consumer.track, consumer.id)
      if (frame.producerPaused) this.events.paused(consumer.id, true)
      // Created paused on the server so no packet is lost before we are ready; now it may flow, at the layer its
      // tile needs.
      this.post({ type: 'sfu.resume', room: this.room, consumerId: consumer.id })
      const view = this.views.get(frame.member)
      if (view && frame.source === 'camera') this.events.layer(frame.member, this.view(frame.member, view.visible, view.width))
    } catch (error) {
      this.events.failed(`could not receive a stream: ${(error as Error).message}`)
    }
  }

  /** Sends only the simulcast layers someone receives: none (-1) while nobody receives our camera. */
  private async applyDemand(producer: types.Producer) {
    const layer = this.demand.get(producer.id)
    if (layer === undefined || producer.closed || producer.kind !== 'video' || producer.maxSpatialLayer === layer) return
    await producer.setMaxSpatialLayer(layer)
  }

  /** The members whose camera we want whatever the speakers do (our pinned tiles). */
  pin(members: string[]) {
    this.post({ type: 'sfu.pin', room: this.room, members })
  }

  /** The consumer of `member`'s source, to ask for a layer or pause it. */
  consumerOf(member: string, source: MediaSource): types.Consumer | undefined {
    for (const entry of this.consumers.values()) if (entry.member === member && entry.source === source) return entry.consumer
    return undefined
  }

  /** Tile visibility and size: paused while hidden, else the smallest layer that fills the tile. */
  view(member: string, visible: boolean, width: number): number | undefined {
    this.views.set(member, { visible, width })
    const consumer = this.consumerOf(member, 'camera')
    if (!consumer) return undefined
    const spatialLayer = width <= 200 ? 0 : width <= 420 ? 1 : 2
    this.post({ type: 'sfu.view', room: this.room, consumerId: consumer.id, paused: !visible, ...(visible ? { spatialLayer } : {}) })
    return visible ? spatialLayer : undefined
  }

  /** Stops receiving `member` through the SFU (the mesh carries it now). */
  dropMember(member: string) {
    for (const [id, entry] of this.consumers) {
      if (entry.member !== member) continue
      entry.consumer.close()
      this.consumers.delete(id)
    }
  }

  /** Stats of every consumer of a member, for the tile's numbers. */
  async stats(member: string): Promise<RTCStatsReport[]> {
    const reports = []
    for (const entry of this.consumers.values()) if (entry.member === member) reports.push(await entry.consumer.getStats())
    return reports
  }

  /** What we send: each producer's report (our level, and the uplink's loss and round trip). */
  async sendStats(): Promise<RTCStatsReport[]> {
    const reports = []
    for (const producer of this.producers.values()) reports.push(await producer.getStats())
    return reports
  }

  close(tellServer: boolean) {
    if (this.closed) return
    this.closed = true
    for (const path of this.paths) path.close()
    for (const waiting of this.pending.values()) {
      clearTimeout(waiting.timer)
      waiting.reject(new Error('closed'))
    }
    this.pending.clear()
    this.send?.close()
    this.recv?.close()
    if (tellServer) this.post({ type: 'sfu.leave', room: this.room })
  }
}
