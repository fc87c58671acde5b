// One room's life on the SFU: its mediasoup routers, and per member its send and receive transports, its producers
// (microphone, camera with simulcast, screen) and its consumers of everyone else's producers.
//
// The server pushes consumers. Microphones and screen shares: as soon as a member can receive (its receive
// transport exists and its device's capabilities are known) it gets a consumer, created paused, for each of the
// others', and for every new one later. Cameras: only once the receiver's last-N picks them (forwarding.ts). The
// client resumes each consumer once it has attached it; the session then forwards it only while the receiver's
// selection wants it (cameras: last-N, pins; microphones: who is speaking, in a large room) and its tile is visible.
// A camera that nobody receives at some layer is told to stop sending that layer (dynacast).
//
// A large room spreads over workers: when the room's routers are near their consumer budget, a newcomer's
// transports go on a router on another worker, and every producer is piped to every router of the room.
// Only the Room actor calls this, one command at a time.
import type { types } from 'mediasoup'
import type { ServerMessage } from '../protocol'
import type { CreatedRouter } from './workers'
import { chooseAudio, chooseVideo, DEFAULT_FORWARDING, type ForwardingPolicy, SpeakerOrder } from './forwarding'

export type Source = 'mic' | 'camera' | 'screen'

/** A refusal the Room turns into an error frame (`ref` is the request id). */
export class SfuError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

type ProducerData = { member: string; source: Source }
/** `ready`: the receiver attached it and asked for it; `hidden`: the receiver's tile for it is off screen. */
type ConsumerData = ProducerData & { ready: boolean; hidden: boolean }

interface RouterSlot extends CreatedRouter {
  members: number
}

interface SfuMember {
  id: string
  slot?: RouterSlot
  send?: types.Transport
  recv?: types.Transport
  rtpCapabilities?: types.RtpCapabilities
  producers: Map<string, types.Producer<ProducerData>>
  consumers: Map<string, types.Consumer<ConsumerData>>
  pins: string[]
  /** What the member was last told it gets, to tell it only of changes. */
  forwarded: string
}

export interface SfuHooks {
  /** Sends a frame to a member (dropped if its socket is down). */
  send(memberId: string, frame: ServerMessage): void
  /** Runs a step later, inside the owning actor: mediasoup's events arrive outside it. */
  defer(step: () => void | Promise<void>): void
  /** A router went away underneath us (its worker died). */
  lost(): void
  /** The dominant speaker changed (undefined: silence). */
  speaker(memberId: string | undefined): void
  /** Who is speaking now changed (audio levels above the threshold), for every member's speaking indicators. */
  speaking(memberIds: string[]): void
  /** Another router for the room, on a worker it has none on yet; undefined when there is none. */
  moreRouter(avoid: number[]): Promise<CreatedRouter | undefined>
}

export interface SfuLimits {
  /** Producers one member may hold: mic, camera, screen. */
  maxProducers: number
}

export interface SessionPolicy extends ForwardingPolicy {
  /** Consumers one worker should carry for this room before newcomers go to a router on another worker. */
  consumersPerWorker: number
  /** Plain RTP transports (unencrypted; for scripted participants on a trusted network). */
  allowPlainRtp: boolean
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = { ...DEFAULT_FORWARDING, consumersPerWorker: 500, allowPlainRtp: false }

/** Audio levels are read this often; it bounds how late a new speaker is heard in a large room. */
export const LEVEL_INTERVAL_MS = 100
/** Quieter than this (dBov) is not speaking. */
export const SPEAKING_THRESHOLD_DB = -60

/** The highest spatial layer a producer sends (0 without simulcast). */
const topLayer = (producer: types.Producer) => Math.max(0, (producer.rtpParameters.encodings?.length ?? 1) - 1)

export class SfuSession {
  private readonly members = new Map<string, SfuMember>()
  private readonly speakers = new SpeakerOrder()
  private readonly slots: RouterSlot[]
  private readonly demand = new Map<string, number>()
  private speakingNow: string[] = []
  /** When the earliest hold of a voice now forwarded runs out (a refresh is due then). */
  private nextExpiry = Infinity
  private holdTimer: ReturnType<typeof setTimeout> | undefined
  private closed = false

  private constructor(
    readonly room: string,
    first: CreatedRouter,
    private readonly levels: types.AudioLevelObserver,
    private readonly dominant: types.ActiveSpeakerObserver,
    private readonly hooks: SfuHooks,
    private readonly policy: SessionPolicy,
    private readonly now: () => number,
  ) {
    this.slots = []
    this.watch(first)
    dominant.on('dominantspeaker', ({ producer }) => hooks.defer(() => hooks.speaker((producer.appData as { member?: string }).member)))
    levels.on('volumes', (volumes) => hooks.defer(() => this.heard(volumes.map((v) => (v.producer.appData as { member: string }).member))))
    levels.on('silence', () => hooks.defer(() => this.heard([])))
  }

  static async open(room: string, created: CreatedRouter, hooks: SfuHooks, policy: SessionPolicy = DEFAULT_SESSION_POLICY, now = () => Date.now()): Promise<SfuSession> {
    const dominant = await created.router.createActiveSpeakerObserver({ interval: 300 })
    const levels = await created.router.createAudioLevelObserver({ maxEntries: 16, threshold: SPEAKING_THRESHOLD_DB, interval: LEVEL_INTERVAL_MS })
    return new SfuSession(room, created, levels, dominant, hooks, policy, now)
  }

  private watch(created: CreatedRouter): RouterSlot {
    const slot: RouterSlot = { ...created, members: 0 }
    this.slots.push(slot)
    created.router.observer.on('close', () =>
      this.hooks.defer(() => {
        if (!this.closed) {
          this.closed = true
          this.hooks.lost()
        }
      }),
    )
    return slot
  }

  get rtpCapabilities(): types.RtpCapabilities {
    return this.slots[0]!.router.rtpCapabilities
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** The worker of the room's first router. */
  get worker(): number {
    return this.slots[0]!.worker
  }

  private member(id: string): SfuMember {
    let member = this.members.get(id)
    if (!member) {
      member = { id, producers: new Map(), consumers: new Map(), pins: [], forwarded: '' }
      this.members.set(id, member)
      this.speakers.add(id)
    }
    return member
  }

  private transportOf(member: SfuMember, transportId: string): types.Transport {
    if (member.send?.id === transportId) return member.send
    if (member.recv?.id === transportId) return member.recv
    throw new SfuError('unknown_transport', `no transport "${transportId.slice(0, 64)}" of yours in room "${this.room}"`)
  }

  /** Consumers a member brings to its router, at most: the cameras of its last-N, a screen, the speakers heard. */
  private get perMember(): number {
    return this.policy.lastN + 1 + this.policy.audioSpeakers
  }

  /** The router a member's transports go on: the room's least loaded one, or a new one on another worker when
   * every router of the room is at its budget. */
  private async place(member: SfuMember): Promise<RouterSlot> {
    if (member.slot) return member.slot
    const least = this.slots.reduce((best, s) => (s.members < best.members ? s : best))
    let slot = least
    if ((least.members + 1) * this.perMember > this.policy.consumersPerWorker) {
      const created = await this.hooks.moreRouter(this.slots.map((s) => s.worker))
      if (created && !this.closed) {
        slot = this.watch(created)
        // Everything already sent reaches the new router.
        for (const other of this.members.values()) for (const producer of other.producers.values()) await this.pipe(other, producer, [slot])
      }
    }
    member.slot = slot
    slot.members++
    return slot
  }

  /** Makes a producer consumable on other routers of the room (the same producer id there). */
  private async pipe(owner: SfuMember, producer: types.Producer, to: RouterSlot[]) {
    for (const slot of to) {
      if (slot === owner.slot) continue
      await owner.slot!.router.pipeToRouter({ producerId: producer.id, router: slot.router })
    }
  }

  async createTransport(memberId: string, direction: 'send' | 'recv', rtpCapabilities?: types.RtpCapabilities, plain = false) {
    const member = this.member(memberId)
    if (direction === 'recv') {
      if (!rtpCapabilities) throw new SfuError('invalid_message', 'a receive transport needs the device\'s rtpCapabilities')
      // Checked before anything is created, so a bad value leaves nothing behind.
      if (!rtpCapabilities.codecs?.length) throw new SfuError('invalid_capabilities', 'rtpCapabilities list no codec')
    }
    if (plain && !this.policy.allowPlainRtp) throw new SfuError('plain_rtp_disabled', 'plain RTP transports are off on this server (SFU_PLAIN_RTP)')
    const slot = await this.place(member)
    const old = direction === 'send' ? member.send : member.recv
    old?.close()
    const appData = { member: memberId, direction }
    const transport = plain
      ? await slot.router.createPlainTransport({ listenInfo: { protocol: 'udp', ...slot.listen }, rtcpMux: true, comedia: true, appData })
      : await slot.router.createWebRtcTransport({
          webRtcServer: slot.webRtcServer,
          enableUdp: true,
          enableTcp: true,
          preferUdp: true,
          initialAvailableOutgoingBitrate: 1_000_000,
          appData,
        })
    if (direction === 'send') member.send = transport
    else {
      member.recv = transport
      member.rtpCapabilities = rtpCapabilities
    }
    if (transport.type === 'plain') {
      const { tuple } = transport as types.PlainTransport
      return { id: transport.id, plain: { ip: tuple.localAddress ?? tuple.localIp, port: tuple.localPort } }
    }
    const webRtc = transport as types.WebRtcTransport
    return { id: transport.id, iceParameters: webRtc.iceParameters, iceCandidates: webRtc.iceCandidates, dtlsParameters: webRtc.dtlsParameters }
  }

  /** Consumers for the microphones and screens the others already send; called once the member has its receive
   * transport's parameters, so the consumers arrive after them. Cameras follow from its selection. */
  async consumeExisting(memberId: string) {
    const member = this.members.get(memberId)
    if (!member?.recv) return
    for (const other of this.members.values()) {
      if (other === member) continue
      for (const producer of other.producers.values()) if (producer.appData.source !== 'camera') await this.consume(member, producer)
    }
  }

  async connect(memberId: string, transportId: string, dtlsParameters: types.DtlsParameters) {
    const transport = this.transportOf(this.member(memberId), transportId)
    if (transport.type !== 'webrtc') throw new SfuError('wrong_transport', 'a plain RTP transport needs no connect')
    try {
      await transport.connect({ dtlsParameters })
    } catch (error) {
      throw new SfuError('invalid_dtls', `the DTLS parameters were refused: ${(error as Error).message}`)
    }
  }

  async restartIce(memberId: string, transportId: string) {
    const transport = this.transportOf(this.member(memberId), transportId)
    if (transport.type !== 'webrtc') throw new SfuError('wrong_transport', 'a plain RTP transport has no ICE')
    return (transport as types.WebRtcTransport).restartIce()
  }

  async produce(memberId: string, transportId: string, kind: types.MediaKind, rtpParameters: types.RtpParameters, source: Source, limits: SfuLimits) {
    const member = this.member(memberId)
    const transport = this.transportOf(member, transportId)
    if (transport !== member.send) throw new SfuError('wrong_transport', 'produce on your send transport')
    if ((source === 'mic') !== (kind === 'audio')) throw new SfuError('invalid_message', `a ${source} producer cannot be ${kind}`)
    if (member.producers.size >= limits.maxProducers) throw new SfuError('too_many_producers', `at most ${limits.maxProducers} producers per member`)
    // One producer per source: a new camera replaces the old one.
    for (const p of member.producers.values()) if (p.appData.source === source) this.closeProducer(member, p)
    let producer: types.Producer<ProducerData>
    try {
      producer = await transport.produce({ kind, rtpParameters, appData: { member: memberId, source } })
    } catch (error) {
      throw new SfuError('invalid_rtp_parameters', `the router cannot take these rtpParameters: ${(error as Error).message}`)
    }
    member.producers.set(producer.id, producer)
    producer.on('transportclose', () => this.hooks.defer(() => void member.producers.delete(producer.id)))
    await this.pipe(member, producer, this.slots)
    if (kind === 'audio') {
      // The observers live on the first router; a producer of another router is there as its pipe.
      await this.dominant.addProducer({ producerId: producer.id }).catch(() => undefined)
      await this.levels.addProducer({ producerId: producer.id }).catch(() => undefined)
    }
    if (source !== 'camera') for (const other of this.members.values()) if (other !== member) await this.consume(other, producer)
    return producer.id
  }

  private async consume(member: SfuMember, producer: types.Producer<ProducerData>) {
    if (!member.recv || !member.rtpCapabilities || !member.slot) return
    if (!member.slot.router.canConsume({ producerId: producer.id, rtpCapabilities: member.rtpCapabilities })) return
    const consumer = await member.recv.consume<ConsumerData>({
      producerId: producer.id,
      rtpCapabilities: member.rtpCapabilities,
      paused: true,
      appData: { member: producer.appData.member, source: producer.appData.source, ready: false, hidden: false },
    })
    member.consumers.set(consumer.id, consumer)
    const { defer, send } = this.hooks
    consumer.on('transportclose', () => defer(() => void member.consumers.delete(consumer.id)))
    consumer.on('producerclose', () =>
      defer(() => {
        if (member.consumers.delete(consumer.id)) send(member.id, { type: 'sfu.consumer-closed', room: this.room, consumerId: consumer.id })
      }),
    )
    consumer.on('producerpause', () =>
      defer(() => send(member.id, { type: 'sfu.consumer-state', room: this.room, consumerId: consumer.id, producerPaused: true })),
    )
    consumer.on('producerresume', () =>
      defer(() => send(member.id, { type: 'sfu.consumer-state', room: this.room, consumerId: consumer.id, producerPaused: false })),
    )
    this.hooks.send(member.id, {
      type: 'sfu.consumer',
      room: this.room,
      member: producer.appData.member,
      source: producer.appData.source,
      consumerId: consumer.id,
      producerId: producer.id,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
      producerPaused: consumer.producerPaused,
    })
  }

  private consumerOf(memberId: string, consumerId: string) {
    const consumer = this.members.get(memberId)?.consumers.get(consumerId)
    if (!consumer) throw new SfuError('unknown_consumer', `no consumer "${consumerId.slice(0, 64)}" of yours in room "${this.room}"`)
    return consumer
  }

  /** The receiver attached the consumer: it flows whenever its selection wants it (`refresh`). */
  resumeConsumer(memberId: string, consumerId: string) {
    this.consumerOf(memberId, consumerId).appData.ready = true
  }

  /** The receiver's wish for one consumer: hidden (its tile is not visible), or a spatial layer that fits its tile. */
  async setConsumerView(memberId: string, consumerId: string, view: { paused: boolean; spatialLayer?: number }) {
    const consumer = this.consumerOf(memberId, consumerId)
    consumer.appData.hidden = view.paused
    if (!view.paused && view.spatialLayer !== undefined && consumer.type === 'simulcast') {
      await consumer.setPreferredLayers({ spatialLayer: view.spatialLayer })
    }
  }

  /** The members whose camera the receiver wants whatever the speakers do (its pinned tiles). */
  pin(memberId: string, pins: string[]) {
    if (pins.length > this.policy.maxPins) throw new SfuError('too_many_pins', `at most ${this.policy.maxPins} pinned members`)
    this.member(memberId).pins = [...new Set(pins)]
  }

  async producerAction(memberId: string, producerId: string, action: 'pause' | 'resume' | 'close') {
    const member = this.members.get(memberId)
    const producer = member?.producers.get(producerId)
    if (!member || !producer) throw new SfuError('unknown_producer', `no producer "${producerId.slice(0, 64)}" of yours in room "${this.room}"`)
    if (action === 'close') this.closeProducer(member, producer)
    else if (action === 'pause') await producer.pause()
    else await producer.resume()
  }

  /** A host muted the member's source: its producer stops forwarding until the member resumes it. */
  async pauseSource(memberId: string, source: Source) {
    const member = this.members.get(memberId)
    for (const producer of member?.producers.values() ?? []) if (producer.appData.source === source) await producer.pause()
  }

  private closeProducer(member: SfuMember, producer: types.Producer) {
    producer.close()
    member.producers.delete(producer.id)
    this.demand.delete(producer.id)
  }

  /** Audio levels: who is speaking now. Their order decides the cameras and microphones forwarded. */
  private async heard(memberIds: string[]) {
    if (this.closed) return
    const now = this.now()
    const reordered = this.speakers.heard(memberIds, now)
    const speaking = [...new Set(memberIds)].sort()
    const changed = speaking.join() !== this.speakingNow.join()
    if (changed) {
      this.speakingNow = speaking
      this.hooks.speaking(speaking)
    }
    // When the last voice stops, the hold still has to run out for the microphones to stop being forwarded.
    clearTimeout(this.holdTimer)
    if (this.members.size > this.policy.audioAllUpTo) {
      this.holdTimer = setTimeout(() => this.hooks.defer(() => this.refresh()), this.policy.holdMs + LEVEL_INTERVAL_MS)
    }
    // The levels come ten times a second; the selections change only when someone new is heard, someone stops
    // being heard, or a voice's hold runs out.
    if (reordered || changed || now >= this.nextExpiry) await this.refresh()
  }

  /** Applies every receiver's selection: creates the camera consumers it now wants, pauses what it does not, and
   * tells each sender the highest layer anyone receives of its camera (dynacast). */
  async refresh() {
    if (this.closed) return
    const order = this.speakers.order()
    const now = this.now()
    const cameras = new Set<string>()
    const cameraProducers: Array<types.Producer<ProducerData>> = []
    for (const member of this.members.values()) {
      for (const producer of member.producers.values()) {
        if (producer.appData.source !== 'camera') continue
        cameraProducers.push(producer)
        if (!producer.paused) cameras.add(member.id)
      }
    }
    this.nextExpiry = Infinity
    for (const member of order) {
      const at = this.speakers.lastSpoke(member)
      if (at !== undefined && now - at <= this.policy.holdMs) this.nextExpiry = Math.min(this.nextExpiry, at + this.policy.holdMs)
    }
    // First what only needs a pause or a resume, for every receiver at once (a new speaker's voice must not wait
    // for anyone's new camera consumer), then the camera consumers the selections now want.
    const changes: Array<Promise<void>> = []
    const missing: Array<[SfuMember, types.Producer<ProducerData>]> = []
    const wantedLayer = new Map<string, number>()
    for (const receiver of this.members.values()) {
      if (!receiver.recv) continue
      const video = chooseVideo(receiver.id, order, cameras, receiver.pins, this.policy.lastN)
      const audio = chooseAudio(receiver.id, order, this.speakers, now, this.policy)
      const byProducer = new Map([...receiver.consumers.values()].map((c) => [c.producerId, c]))
      for (const producer of cameraProducers) {
        if (!video.has(producer.appData.member)) continue
        // A camera a selection wants (even one still being attached) keeps sending; the layer its tile fits.
        const consumer = byProducer.get(producer.id)
        if (!consumer) missing.push([receiver, producer])
        if (consumer?.appData.hidden) continue
        const top = topLayer(producer)
        wantedLayer.set(producer.id, Math.max(wantedLayer.get(producer.id) ?? -1, Math.min(top, consumer?.preferredLayers?.spatialLayer ?? top)))
      }
      for (const consumer of receiver.consumers.values()) {
        const { source, member, ready, hidden } = consumer.appData
        const wanted = source === 'screen' || (source === 'camera' ? video.has(member) : audio.has(member))
        const flowing = ready && !hidden && wanted
        if (flowing && consumer.paused) changes.push(consumer.resume().catch(() => undefined))
        else if (!flowing && !consumer.paused) changes.push(consumer.pause().catch(() => undefined))
      }
      // Withheld: cameras that are on but not sent to this receiver (a member still setting up is neither).
      const withheld = [...cameras].filter((m) => m !== receiver.id && !video.has(m))
      const forwarded = `${[...video].sort().join()}|${withheld.sort().join()}`
      if (forwarded !== receiver.forwarded) {
        receiver.forwarded = forwarded
        this.hooks.send(receiver.id, { type: 'sfu.last-n', room: this.room, members: [...video], withheld })
      }
    }
    await Promise.all(changes)
    for (const [receiver, producer] of missing) if (!producer.closed && this.members.has(receiver.id)) await this.consume(receiver, producer)
    for (const producer of cameraProducers) this.updateDemand(producer, wantedLayer.get(producer.id) ?? -1)
  }

  /** Tells a camera's sender the highest spatial layer any selection wants of it; -1 when none does, and it stops
   * sending. A new camera sends every layer until told otherwise. */
  private updateDemand(producer: types.Producer<ProducerData>, layer: number) {
    if ((this.demand.get(producer.id) ?? topLayer(producer)) === layer) return
    this.demand.set(producer.id, layer)
    this.hooks.send(producer.appData.member, { type: 'sfu.demand', room: this.room, producerId: producer.id, maxSpatialLayer: layer })
  }

  /** The member left the call (or the room left the SFU for it): its transports close, and with them its
   * producers (the others' consumers of them close and they are told) and its consumers. */
  removeMember(memberId: string) {
    const member = this.members.get(memberId)
    if (!member) return
    this.members.delete(memberId)
    this.speakers.remove(memberId)
    if (member.slot) member.slot.members--
    for (const producer of member.producers.values()) this.closeProducer(member, producer)
    member.send?.close()
    member.recv?.close()
    for (const other of this.members.values()) other.pins = other.pins.filter((p) => p !== memberId)
  }

  /** For tests, metrics and benchmarks: totals, and per worker the consumers that forward (resumed). */
  counts() {
    let transports = 0
    let producers = 0
    let consumers = 0
    const perWorker = new Map<number, { members: number; consumers: number; forwarding: number }>()
    for (const slot of this.slots) perWorker.set(slot.worker, { members: slot.members, consumers: 0, forwarding: 0 })
    for (const m of this.members.values()) {
      transports += (m.send ? 1 : 0) + (m.recv ? 1 : 0)
      producers += m.producers.size
      consumers += m.consumers.size
      const row = m.slot && perWorker.get(m.slot.worker)
      if (!row) continue
      row.consumers += m.consumers.size
      for (const c of m.consumers.values()) if (!c.paused) row.forwarding++
    }
    return { members: this.members.size, transports, producers, consumers, routers: this.slots.length, workers: [...perWorker].map(([worker, row]) => ({ worker, ...row })) }
  }

  close() {
    this.closed = true
    clearTimeout(this.holdTimer)
    for (const slot of this.slots) slot.router.close()
  }
}
