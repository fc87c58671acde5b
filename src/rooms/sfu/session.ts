// One room's life on the SFU: a mediasoup router, and per member its send and receive transports, its producers
// (microphone, camera with simulcast, screen) and its consumers of everyone else's producers. The server pushes
// consumers: as soon as a member can receive (its receive transport exists and its device's capabilities are
// known) it gets a consumer, created paused, for every producer of the others, and for every new one later; the
// client resumes each once it has attached it. Only the Room actor calls this, one command at a time.
import type { types } from 'mediasoup'
import type { ServerMessage } from '../protocol'

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

interface SfuMember {
  id: string
  send?: types.WebRtcTransport
  recv?: types.WebRtcTransport
  rtpCapabilities?: types.RtpCapabilities
  producers: Map<string, types.Producer<{ member: string; source: Source }>>
  consumers: Map<string, types.Consumer<{ member: string; source: Source }>>
}

export interface SfuHooks {
  /** Sends a frame to a member (dropped if its socket is down). */
  send(memberId: string, frame: ServerMessage): void
  /** Runs a step later, inside the owning actor: mediasoup's events arrive outside it. */
  defer(step: () => void): void
  /** The router went away underneath us (its worker died). */
  lost(): void
  /** The dominant speaker changed (undefined: silence). */
  speaker(memberId: string | undefined): void
}

export interface SfuLimits {
  /** Producers one member may hold: mic, camera, screen. */
  maxProducers: number
}

export class SfuSession {
  private readonly members = new Map<string, SfuMember>()
  private closed = false

  private constructor(
    readonly room: string,
    readonly router: types.Router,
    private readonly webRtcServer: types.WebRtcServer,
    private readonly observer: types.ActiveSpeakerObserver,
    private readonly hooks: SfuHooks,
    readonly worker: number,
  ) {
    router.observer.on('close', () =>
      hooks.defer(() => {
        if (!this.closed) {
          this.closed = true
          hooks.lost()
        }
      }),
    )
    observer.on('dominantspeaker', ({ producer }) => hooks.defer(() => hooks.speaker((producer.appData as { member?: string }).member)))
  }

  static async open(
    room: string,
    created: { router: types.Router; webRtcServer: types.WebRtcServer; worker: number },
    hooks: SfuHooks,
  ): Promise<SfuSession> {
    const observer = await created.router.createActiveSpeakerObserver({ interval: 300 })
    return new SfuSession(room, created.router, created.webRtcServer, observer, hooks, created.worker)
  }

  get rtpCapabilities(): types.RtpCapabilities {
    return this.router.rtpCapabilities
  }

  get isClosed(): boolean {
    return this.closed
  }

  private member(id: string): SfuMember {
    let member = this.members.get(id)
    if (!member) {
      member = { id, producers: new Map(), consumers: new Map() }
      this.members.set(id, member)
    }
    return member
  }

  private transportOf(member: SfuMember, transportId: string): types.WebRtcTransport {
    if (member.send?.id === transportId) return member.send
    if (member.recv?.id === transportId) return member.recv
    throw new SfuError('unknown_transport', `no transport "${transportId.slice(0, 64)}" of yours in room "${this.room}"`)
  }

  async createTransport(memberId: string, direction: 'send' | 'recv', rtpCapabilities?: types.RtpCapabilities) {
    const member = this.member(memberId)
    if (direction === 'recv') {
      if (!rtpCapabilities) throw new SfuError('invalid_message', 'a receive transport needs the device\'s rtpCapabilities')
      // Checked before anything is created, so a bad value leaves nothing behind.
      if (!rtpCapabilities.codecs?.length) throw new SfuError('invalid_capabilities', 'rtpCapabilities list no codec')
    }
    const old = direction === 'send' ? member.send : member.recv
    old?.close()
    const transport = await this.router.createWebRtcTransport({
      webRtcServer: this.webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: 1_000_000,
      appData: { member: memberId, direction },
    })
    if (direction === 'send') member.send = transport
    else {
      member.recv = transport
      member.rtpCapabilities = rtpCapabilities
    }
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    }
  }

  /** Consumers for everything the others already send; called once the member has its receive transport's
   * parameters, so the consumers arrive after them. */
  async consumeExisting(memberId: string) {
    const member = this.members.get(memberId)
    if (!member?.recv) return
    for (const other of this.members.values()) {
      if (other === member) continue
      for (const producer of other.producers.values()) await this.consume(member, producer)
    }
  }

  async connect(memberId: string, transportId: string, dtlsParameters: types.DtlsParameters) {
    const transport = this.transportOf(this.member(memberId), transportId)
    try {
      await transport.connect({ dtlsParameters })
    } catch (error) {
      throw new SfuError('invalid_dtls', `the DTLS parameters were refused: ${(error as Error).message}`)
    }
  }

  async restartIce(memberId: string, transportId: string) {
    return this.transportOf(this.member(memberId), transportId).restartIce()
  }

  async produce(memberId: string, transportId: string, kind: types.MediaKind, rtpParameters: types.RtpParameters, source: Source, limits: SfuLimits) {
    const member = this.member(memberId)
    const transport = this.transportOf(member, transportId)
    if (transport !== member.send) throw new SfuError('wrong_transport', 'produce on your send transport')
    if ((source === 'mic') !== (kind === 'audio')) throw new SfuError('invalid_message', `a ${source} producer cannot be ${kind}`)
    if (member.producers.size >= limits.maxProducers) throw new SfuError('too_many_producers', `at most ${limits.maxProducers} producers per member`)
    // One producer per source: a new camera replaces the old one.
    for (const p of member.producers.values()) if (p.appData.source === source) this.closeProducer(member, p)
    let producer: types.Producer<{ member: string; source: Source }>
    try {
      producer = await transport.produce({ kind, rtpParameters, appData: { member: memberId, source } })
    } catch (error) {
      throw new SfuError('invalid_rtp_parameters', `the router cannot take these rtpParameters: ${(error as Error).message}`)
    }
    member.producers.set(producer.id, producer)
    if (kind === 'audio') await this.observer.addProducer({ producerId: producer.id }).catch(() => undefined)
    for (const other of this.members.values()) if (other !== member) await this.consume(other, producer)
    return producer.id
  }

  private async consume(member: SfuMember, producer: types.Producer<{ member: string; source: Source }>) {
    if (!member.recv || !member.rtpCapabilities) return
    if (!this.router.canConsume({ producerId: producer.id, rtpCapabilities: member.rtpCapabilities })) return
    const consumer = await member.recv.consume({
      producerId: producer.id,
      rtpCapabilities: member.rtpCapabilities,
      paused: true,
      appData: { member: producer.appData.member, source: producer.appData.source },
    })
    member.consumers.set(consumer.id, consumer)
    const { defer, send } = this.hooks
    consumer.on('transportclose', () => defer(() => member.consumers.delete(consumer.id)))
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

  async resumeConsumer(memberId: string, consumerId: string) {
    await this.consumerOf(memberId, consumerId).resume()
  }

  /** The receiver's wish for one consumer: paused (its tile is not visible), or a spatial layer that fits its tile. */
  async setConsumerView(memberId: string, consumerId: string, view: { paused: boolean; spatialLayer?: number }) {
    const consumer = this.consumerOf(memberId, consumerId)
    if (view.paused) return consumer.pause()
    if (consumer.paused) await consumer.resume()
    if (view.spatialLayer !== undefined && consumer.type === 'simulcast') {
      await consumer.setPreferredLayers({ spatialLayer: view.spatialLayer })
    }
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
  }

  /** The member left the call (or the room left the SFU for it): its transports close, and with them its
   * producers (the others' consumers of them close and they are told) and its consumers. */
  removeMember(memberId: string) {
    const member = this.members.get(memberId)
    if (!member) return
    this.members.delete(memberId)
    for (const producer of member.producers.values()) producer.close()
    member.send?.close()
    member.recv?.close()
  }

  /** For tests and metrics. */
  counts() {
    let transports = 0
    let producers = 0
    let consumers = 0
    for (const m of this.members.values()) {
      transports += (m.send ? 1 : 0) + (m.recv ? 1 : 0)
      producers += m.producers.size
      consumers += m.consumers.size
    }
    return { members: this.members.size, transports, producers, consumers }
  }

  close() {
    this.closed = true
    this.router.close()
  }
}
