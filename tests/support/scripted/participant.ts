// A scripted call member for tests and benchmarks, because fifty browsers do not fit on two cores. It joins a room
// over the real WebSocket like a page, then sends real RTP (the recording in media.ts: VP8 camera, Opus microphone
// marked speaking or silent) through plain RTP transports of the SFU and receives every consumer the server pushes,
// counting packets per stream and the packets missing by sequence number. It honours the server's demand (no camera
// packets while nobody receives them) and answers keyframe requests.
import { AUDIO_PT, recordedMedia, StreamWriter, VIDEO_PT } from './media'

export const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level'
const LEVEL_EXT_ID = 1

export interface ScriptedMedia {
  camera: boolean
  mic: boolean
  receive?: boolean
}

export interface ReceivedStream {
  member: string
  source: string
  kind: 'audio' | 'video'
  ssrc: number
  packets: number
  /** First and last extended sequence number seen; expected = last - first + 1. */
  firstSeq: number
  lastSeq: number
  /** When the first packet arrived (performance.now()). */
  firstAt: number
  lastAt: number
}

type Frame = Record<string, any>

let reqCounter = 0

export class ScriptedParticipant {
  readonly frames: Frame[] = []
  self = ''
  /** Members whose camera the server forwards to us now, and those whose camera it withholds. */
  lastN: string[] = []
  withheld: string[] = []
  speakingNow: string[] = []
  readonly streams = new Map<number, ReceivedStream>()
  private readonly waiters = new Map<string, (frame: Frame) => void>()
  private readonly listeners = new Set<(frame: Frame) => void>()
  private sendSocket?: Bun.udp.Socket<"buffer">
  private recvSocket?: Bun.udp.Socket<"buffer">
  private target?: { ip: string; port: number }
  private recvTarget?: { ip: string; port: number }
  private video?: StreamWriter
  private audio?: StreamWriter
  private videoProducer = ''
  private sendVideo = true
  private timer?: ReturnType<typeof setInterval>
  private started = 0
  private audioSent = 0
  private videoSent = 0
  /** Set when the room moved to a new router and this member set its media up again. */
  reconnected?: Promise<void>
  private media: ScriptedMedia = { camera: true, mic: true }
  /** -dBov written into the audio-level extension: 127 silent, ~20 speaking. */
  level = 127
  closed = false

  private constructor(
    readonly name: string,
    private readonly ws: WebSocket,
    readonly room: string,
  ) {
    ws.onmessage = (event) => this.receive(JSON.parse(String(event.data)))
    ws.onclose = () => {
      this.closed = true
      this.stop()
    }
  }

  /** Joins `room` as the account with this token; the room must be on the SFU (ROOM_MEDIA_MODE=sfu). */
  /** `receive: false`: sends only (no receive transport), for a room watched from browsers where a scripted
   * receiver would only load the machine. */
  static async join(baseUrl: string, account: { token: string; username: string }, room: string, media: ScriptedMedia = { camera: true, mic: true }): Promise<ScriptedParticipant> {
    const ws = new WebSocket(baseUrl.replace(/^http/, 'ws') + '/ws', { headers: { authorization: `Bearer ${account.token}` } } as never)
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve()
      ws.onerror = () => reject(new Error(`${account.username}: the WebSocket did not open`))
    })
    const me = new ScriptedParticipant(account.username, ws, room)
    me.send({ type: 'room.join', room, media: { camera: media.camera, mic: media.mic, screen: false } })
    const joined = await me.waitFor((f) => f.type === 'room.joined' || (f.type === 'error' && f.about === 'room.join'), 15_000)
    if (joined.type === 'error') throw new Error(`${account.username} could not join: ${joined.code} ${joined.message}`)
    if (joined.media.mode !== 'sfu') throw new Error('scripted participants need a room on the SFU (ROOM_MEDIA_MODE=sfu)')
    me.self = joined.self
    me.media = media
    await me.connectMedia(joined.media.routerRtpCapabilities, media)
    return me
  }

  private send(frame: Frame) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame))
  }

  private receive(frame: Frame) {
    this.frames.push(frame)
    if (this.frames.length > 200) this.frames.splice(0, 100)
    if (frame.req && this.waiters.has(frame.req)) {
      this.waiters.get(frame.req)!(frame)
      this.waiters.delete(frame.req)
    }
    if (frame.type === 'error' && frame.ref && this.waiters.has(frame.ref)) {
      this.waiters.get(frame.ref)!(frame)
      this.waiters.delete(frame.ref)
    }
    switch (frame.type) {
      case 'sfu.consumer': {
        const ssrc = frame.rtpParameters.encodings[0].ssrc as number
        this.streams.set(ssrc, { member: frame.member, source: frame.source, kind: frame.kind, ssrc, packets: 0, firstSeq: -1, lastSeq: -1, firstAt: 0, lastAt: 0 })
        this.send({ type: 'sfu.resume', room: this.room, consumerId: frame.consumerId })
        break
      }
      case 'sfu.last-n':
        this.lastN = frame.members
        this.withheld = frame.withheld
        break
      case 'sfu.speaking':
        this.speakingNow = frame.members
        break
      case 'room.mode':
        // The room got a new router (its worker died): set everything up again, as a page does.
        if (frame.mode === 'sfu') {
          this.stop()
          this.streams.clear()
          this.sendVideo = true
          this.audioSent = this.videoSent = 0
          this.reconnected = this.connectMedia(frame.routerRtpCapabilities, this.media)
        }
        break
      case 'sfu.demand':
        if (frame.producerId === this.videoProducer) this.sendVideo = frame.maxSpatialLayer >= 0
        break
    }
    for (const listener of this.listeners) listener(frame)
  }

  /** The next frame (from now on) matching the predicate. */
  waitFor(predicate: (frame: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener)
        reject(new Error(`${this.name}: no matching frame within ${timeoutMs} ms`))
      }, timeoutMs)
      const listener = (frame: Frame) => {
        if (!predicate(frame)) return
        clearTimeout(timer)
        this.listeners.delete(listener)
        resolve(frame)
      }
      this.listeners.add(listener)
    })
  }

  private async request(frame: Frame): Promise<Frame> {
    const req = `s${++reqCounter}`
    const answer = new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: ${frame.type} unanswered`)), 15_000)
      this.waiters.set(req, (f) => {
        clearTimeout(timer)
        resolve(f)
      })
    })
    this.send({ ...frame, room: this.room, req })
    const reply = await answer
    if (reply.type === 'error') throw new Error(`${this.name}: ${frame.type} refused: ${reply.code} ${reply.message}`)
    return reply
  }

  private async connectMedia(routerCaps: { codecs: Array<Record<string, any>>; headerExtensions?: unknown[] }, media: ScriptedMedia) {
    const recording = await recordedMedia()
    if (media.receive !== false) {
      // Receiving: Opus and VP8 only, no retransmission streams, no header extensions.
      const codecs = routerCaps.codecs.filter((c) => c.mimeType === 'audio/opus' || c.mimeType === 'video/VP8')
      this.recvSocket = await Bun.udpSocket({ hostname: '127.0.0.1', socket: { data: (_s, data) => this.onRtp(data), error: () => undefined } })
      const recv = await this.request({ type: 'sfu.transport', direction: 'recv', plain: true, rtpCapabilities: { codecs, headerExtensions: [] } })
      this.recvTarget = recv.plain
      // comedia: the transport sends to wherever our first packet comes from (an empty receiver report).
      this.punch()
    }
    this.sendSocket = await Bun.udpSocket({ hostname: '127.0.0.1', socket: { data: (_s, data) => this.onRtcp(data), error: () => undefined } })
    const send = await this.request({ type: 'sfu.transport', direction: 'send', plain: true })
    this.target = send.plain
    const ssrcBase = 0x10000000 + Math.floor(Math.random() * 0x0fffffff)
    if (media.mic) {
      this.audio = new StreamWriter(recording.audio, ssrcBase, LEVEL_EXT_ID)
      await this.request({
        type: 'sfu.produce',
        transportId: send.id,
        kind: 'audio',
        source: 'mic',
        rtpParameters: {
          codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO_PT, clockRate: 48000, channels: 2 }],
          encodings: [{ ssrc: ssrcBase }],
          headerExtensions: [{ uri: AUDIO_LEVEL_URI, id: LEVEL_EXT_ID }],
        },
      })
    }
    if (media.camera) {
      this.video = new StreamWriter(recording.video, ssrcBase + 1)
      const produced = await this.request({
        type: 'sfu.produce',
        transportId: send.id,
        kind: 'video',
        source: 'camera',
        rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: VIDEO_PT, clockRate: 90000 }], encodings: [{ ssrc: ssrcBase + 1 }] },
      })
      this.videoProducer = produced.producerId
    }
    this.startSending(recording.video.frameMs)
  }

  private punch() {
    if (!this.recvTarget) return
    const rr = new Uint8Array([0x80, 201, 0, 1, 0, 0, 0, 1])
    try {
      this.recvSocket?.send(rr, this.recvTarget!.port, this.recvTarget!.ip)
    } catch {}
  }

  /** Paces both streams from one timer: each tick sends what is due since the start (20 ms audio frames, video frames
   * at the recording's rate), so a late tick catches up instead of drifting. */
  private startSending(videoFrameMs: number) {
    this.started = performance.now()
    let punches = 0
    this.timer = setInterval(() => {
      if (!this.target || !this.sendSocket) return
      const elapsed = performance.now() - this.started
      const { port, ip } = this.target
      while (this.audio && this.audioSent * 20 <= elapsed) {
        for (const p of this.audio.nextFrame(this.level)) this.sendRtp(p, port, ip)
        this.audioSent++
      }
      while (this.video && this.videoSent * videoFrameMs <= elapsed) {
        const packets = this.video.nextFrame()
        if (this.sendVideo) for (const p of packets) this.sendRtp(p, port, ip)
        this.videoSent++
      }
      // A few more receiver reports in case the first was lost.
      if (punches < 5 && elapsed > punches * 200) {
        punches++
        this.punch()
      }
    }, 10)
  }

  /** A send to a transport that just went away (its worker died) is refused by ICMP; the room's new router comes. */
  private sendRtp(packet: Uint8Array, port: number, ip: string) {
    try {
      this.sendSocket!.send(packet, port, ip)
    } catch {}
  }

  private onRtcp(data: Buffer) {
    // Payload-specific feedback (206): PLI (fmt 1) or FIR (fmt 4) asks for a keyframe.
    for (let at = 0; at + 4 <= data.length; ) {
      const type = data[at + 1]!
      const fmt = data[at]! & 0x1f
      if (type === 206 && (fmt === 1 || fmt === 4)) this.video?.restartAtKeyframe()
      at += (data.readUInt16BE(at + 2) + 1) * 4
    }
  }

  private onRtp(data: Buffer) {
    const type = data[1]!
    if (type >= 192 && type <= 223) return // RTCP
    const ssrc = data.readUInt32BE(8)
    const stream = this.streams.get(ssrc)
    if (!stream) return
    const seq = data.readUInt16BE(2)
    const now = performance.now()
    if (stream.packets === 0) {
      stream.firstSeq = seq
      stream.lastSeq = seq
      stream.firstAt = now
    } else {
      // Extend across the 16-bit wrap: the nearest value to the last one.
      let ext = (stream.lastSeq & ~0xffff) | seq
      if (ext < stream.lastSeq - 0x8000) ext += 0x10000
      else if (ext > stream.lastSeq + 0x8000) ext -= 0x10000
      if (ext > stream.lastSeq) stream.lastSeq = ext
    }
    stream.lastAt = now
    stream.packets++
  }

  /** Starts counting afresh (for a measurement window). */
  resetCounts() {
    for (const s of this.streams.values()) Object.assign(s, { packets: 0, firstSeq: -1, lastSeq: -1, firstAt: 0, lastAt: 0 })
  }

  /** Streams that received anything since the last reset, with their delivered share. */
  received(): Array<ReceivedStream & { expected: number }> {
    return [...this.streams.values()].filter((s) => s.packets > 0).map((s) => ({ ...s, expected: s.lastSeq - s.firstSeq + 1 }))
  }

  speak(on: boolean) {
    this.level = on ? 20 : 127
  }

  pin(members: string[]) {
    this.send({ type: 'sfu.pin', room: this.room, members })
  }

  private stop() {
    clearInterval(this.timer)
    this.sendSocket?.close()
    this.recvSocket?.close()
  }

  close() {
    this.stop()
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close()
  }
}
