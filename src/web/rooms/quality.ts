// How a media path is doing, from WebRTC's getStats(): round-trip time, packet loss, bitrate and frame rate over
// the last poll, graded the way people read a signal-bars icon. Pure functions over counters, so the grading is
// tested without a browser (tests/quality.test.ts) and the call store only feeds them.

export type Grade = 'good' | 'fair' | 'poor' | 'unknown'

export interface Quality {
  grade: Grade
  /** Milliseconds, from the selected ICE candidate pair (or RTCP); undefined before it is measured. */
  rttMs?: number
  /** Share of packets lost since the last poll (0-1). */
  loss: number
  /** Bits per second since the last poll, video and audio together. */
  bitrate: number
  /** Frames per second of the video, when there is video. */
  fps?: number
}

/** Counters as getStats reports them, summed over a path's streams. */
export interface Counters {
  /** Packets received (inbound) or sent (outbound), and lost (inbound: counted here; outbound: as the far end
   * reports in RTCP). */
  packets: number
  lost: number
  bytes: number
  /** When they were read, ms. */
  at: number
}

/** Loss and round trip at which a path is no longer good, and at which it is poor. */
export const THRESHOLDS = { fairLoss: 0.03, poorLoss: 0.1, fairRttMs: 300, poorRttMs: 600 } as const

export function grade(loss: number, rttMs: number | undefined): Grade {
  if (loss >= THRESHOLDS.poorLoss || (rttMs ?? 0) >= THRESHOLDS.poorRttMs) return 'poor'
  if (loss >= THRESHOLDS.fairLoss || (rttMs ?? 0) >= THRESHOLDS.fairRttMs) return 'fair'
  return 'good'
}

/** The quality between two readings of the same counters; `unknown` when nothing flowed between them. */
export function qualityBetween(before: Counters | undefined, now: Counters, rttMs: number | undefined, fps?: number): Quality {
  if (!before || now.at <= before.at) return { grade: 'unknown', loss: 0, bitrate: 0, rttMs, fps }
  const packets = Math.max(0, now.packets - before.packets)
  const lost = Math.max(0, now.lost - before.lost)
  const bitrate = (Math.max(0, now.bytes - before.bytes) * 8 * 1000) / (now.at - before.at)
  if (packets + lost === 0) return { grade: 'unknown', loss: 0, bitrate, rttMs, fps }
  const loss = lost / (packets + lost)
  return { grade: grade(loss, rttMs), loss, bitrate, rttMs, fps }
}

/** What the details popover says: "12 ms · 0.0 % lost · 1.2 Mbit/s · 24 fps". */
export function describeQuality(q: Quality): string[] {
  const lines = [
    `Round trip: ${q.rttMs === undefined ? 'not measured yet' : `${Math.round(q.rttMs)} ms`}`,
    `Packets lost: ${(q.loss * 100).toFixed(1)} %`,
    `Bitrate: ${q.bitrate >= 1e6 ? `${(q.bitrate / 1e6).toFixed(1)} Mbit/s` : `${Math.round(q.bitrate / 1000)} kbit/s`}`,
  ]
  if (q.fps !== undefined) lines.push(`Frame rate: ${Math.round(q.fps)} fps`)
  return lines
}

export const GRADE_LABEL: Record<Grade, string> = { good: 'Good connection', fair: 'Fair connection', poor: 'Poor connection', unknown: 'Connection not measured yet' }
