// Real media for scripted participants: Debian's ffmpeg encodes a few seconds of a test pattern (VP8, a keyframe
// every second) and a tone (Opus, 20 ms frames) once, as RTP; we keep the packets and replay them in a loop for
// every participant, each with its own SSRC, sequence numbers and timestamps, and with the audio-level header
// extension (RFC 6464) set to "speaking" or "silent" as the script says, the way a browser marks its microphone.
// Chromium decodes these streams like any camera; nothing is synthetic except the loop.

export interface RecordedStream {
  /** Packets as ffmpeg sent them (RTP header without extensions). */
  packets: Uint8Array[]
  /** Index of each packet's frame (video) or packet (audio) in send order, and the frame count. */
  frameOf: number[]
  frames: number
  /** Frames (video) that start with a keyframe, by index. */
  keyframes: number[]
  clockRate: number
  /** Duration of one frame in ms, and of one loop in RTP ticks. */
  frameMs: number
  loopTicks: number
  payloadType: number
}

export interface RecordedMedia {
  video: RecordedStream
  audio: RecordedStream
}

export const VIDEO_PT = 96
export const AUDIO_PT = 100
const SECONDS = 4
const FPS = 15

let cached: Promise<RecordedMedia> | undefined

/** The recorded media (encoded once per process, in about a second). */
export function recordedMedia(): Promise<RecordedMedia> {
  cached ??= record()
  return cached
}

async function record(): Promise<RecordedMedia> {
  const video: Uint8Array[] = []
  const audio: Uint8Array[] = []
  const vs = await Bun.udpSocket({ hostname: '127.0.0.1', socket: { data: (_s, d) => void video.push(new Uint8Array(d)) } })
  const as = await Bun.udpSocket({ hostname: '127.0.0.1', socket: { data: (_s, d) => void audio.push(new Uint8Array(d)) } })
  // The tone is quiet enough not to clip, loud enough to be heard by a receiver's level meter.
  const ffmpeg = Bun.spawn(
    ['ffmpeg', '-hide_banner', '-loglevel', 'error', '-nostdin',
      '-t', String(SECONDS), '-f', 'lavfi', '-i', `testsrc2=size=320x180:rate=${FPS}`,
      '-t', String(SECONDS), '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-map', '0:v', '-c:v', 'libvpx', '-b:v', '250k', '-g', String(FPS), '-deadline', 'realtime', '-cpu-used', '8',
      '-payload_type', String(VIDEO_PT), '-f', 'rtp', `rtp://127.0.0.1:${vs.port}?pkt_size=1200`,
      '-map', '1:a', '-c:a', 'libopus', '-b:a', '32k', '-frame_duration', '20', '-ac', '2',
      '-payload_type', String(AUDIO_PT), '-f', 'rtp', `rtp://127.0.0.1:${as.port}`],
    { stdout: 'ignore', stderr: 'pipe' },
  )
  const code = await ffmpeg.exited
  if (code !== 0) throw new Error(`ffmpeg failed (${code}): ${await new Response(ffmpeg.stderr).text()}`)
  // The last datagrams may still be in the sockets' buffers.
  for (let i = 0; i < 50 && (audio.length < (SECONDS * 1000) / 20 || video.length === 0); i++) await Bun.sleep(10)
  vs.close()
  as.close()
  if (video.length === 0 || audio.length === 0) throw new Error('ffmpeg sent no RTP')
  return {
    video: stream(video, 90000, 1000 / FPS, true),
    audio: stream(audio, 48000, 20, false),
  }
}

function stream(packets: Uint8Array[], clockRate: number, frameMs: number, isVideo: boolean): RecordedStream {
  const frameOf: number[] = []
  const keyframes: number[] = []
  let frame = -1
  let lastTs = -1
  for (const p of packets) {
    const ts = view(p).getUint32(4)
    if (ts !== lastTs) {
      frame++
      lastTs = ts
      // VP8 payload descriptor (RFC 7741): a start of partition 0, then the payload header's P bit clear = keyframe.
      if (isVideo) {
        const at = payloadOffset(p)
        const descriptor = p[at]!
        let header = at + 1
        if (descriptor & 0x80) {
          const ext = p[header]!
          header++
          if (ext & 0x80) header += p[header]! & 0x80 ? 2 : 1
          if (ext & 0x40) header++
          if (ext & 0x30) header++
        }
        if (descriptor & 0x10 && (p[header]! & 0x01) === 0) keyframes.push(frame)
      }
    }
    frameOf.push(frame)
  }
  const frames = frame + 1
  return { packets, frameOf, frames, keyframes, clockRate, frameMs, loopTicks: Math.round((frames * frameMs * clockRate) / 1000), payloadType: packets[0]![1]! & 0x7f }
}

const view = (p: Uint8Array) => new DataView(p.buffer, p.byteOffset, p.byteLength)

function payloadOffset(p: Uint8Array): number {
  let at = 12 + (p[0]! & 0x0f) * 4
  if (p[0]! & 0x10) at += 4 + view(p).getUint16(at + 2) * 4
  return at
}

/** One outgoing stream of a participant: the recording with its own SSRC, continuing sequence and timestamps. */
export class StreamWriter {
  private seq = Math.floor(Math.random() * 30000)
  private readonly base = Math.floor(Math.random() * 2 ** 30)
  private next = 0
  /** The frame index counted from the start, across loops. */
  private frame = 0

  constructor(
    private readonly stream: RecordedStream,
    readonly ssrc: number,
    /** The audio-level extension id (audio only). */
    private readonly levelExtensionId?: number,
  ) {}

  /** Packets of the next frame, ready to send; `level`: -dBov for the audio-level extension (0 loudest, 127 silent). */
  nextFrame(level = 127): Uint8Array[] {
    const { stream } = this
    const loop = Math.floor(this.frame / stream.frames)
    const inLoop = this.frame % stream.frames
    const out: Uint8Array[] = []
    while (this.next < stream.packets.length && stream.frameOf[this.next] === inLoop) {
      out.push(this.rewrite(stream.packets[this.next]!, loop, level))
      this.next++
    }
    this.frame++
    if (this.next >= stream.packets.length) this.next = 0
    return out
  }

  /** A keyframe was asked for (PLI/FIR): go back to the start of the current group of pictures. */
  restartAtKeyframe() {
    const { stream } = this
    const inLoop = this.frame % stream.frames
    const key = [...stream.keyframes].reverse().find((k) => k <= inLoop) ?? 0
    this.frame += key - inLoop
    this.next = stream.frameOf.indexOf(key)
  }

  private rewrite(packet: Uint8Array, loop: number, level: number): Uint8Array {
    const csrcBytes = (packet[0]! & 0x0f) * 4
    const headerLength = 12 + csrcBytes
    const withExtension = this.levelExtensionId !== undefined
    const out = new Uint8Array(packet.length + (withExtension ? 8 : 0))
    out.set(packet.subarray(0, headerLength))
    const v = view(out)
    const originalTs = view(packet).getUint32(4)
    const firstTs = view(this.stream.packets[0]!).getUint32(4)
    v.setUint16(2, this.seq)
    this.seq = (this.seq + 1) & 0xffff
    v.setUint32(4, (this.base + ((originalTs - firstTs) >>> 0) + loop * this.stream.loopTicks) >>> 0)
    v.setUint32(8, this.ssrc)
    let at = headerLength
    if (withExtension) {
      out[0] = out[0]! | 0x10
      // One-byte header extensions: 0xBEDE, length 1 word: [id|len-1=0][V|level][pad][pad].
      v.setUint16(at, 0xbede)
      v.setUint16(at + 2, 1)
      out[at + 4] = (this.levelExtensionId! << 4) | 0
      out[at + 5] = (level < 127 ? 0x80 : 0) | Math.max(0, Math.min(127, level))
      at += 8
    }
    out.set(packet.subarray(headerLength), at)
    return out
  }
}
