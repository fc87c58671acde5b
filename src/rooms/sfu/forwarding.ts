// What the SFU forwards to each receiver in a large room (last-N): the cameras of at most N members, chosen by
// who spoke most recently (plus whatever the receiver pinned, and every screen share), and the microphones of the
// few members speaking now rather than every microphone to everyone. Pure decisions; the session applies them by
// pausing and resuming consumers.

export interface ForwardingPolicy {
  /** Cameras each receiver gets at most, besides its pins and screen shares. */
  lastN: number
  /** Microphones forwarded at once in a large room: the most recent speakers. */
  audioSpeakers: number
  /** Up to this many members every microphone reaches everyone (nothing is ever cut off in a small call). */
  audioAllUpTo: number
  /** A speaker stays audible this long after its level drops (the pauses between words and sentences). */
  holdMs: number
  /** Pins one receiver may hold. */
  maxPins: number
}

export const DEFAULT_FORWARDING: ForwardingPolicy = { lastN: 9, audioSpeakers: 4, audioAllUpTo: 10, holdMs: 2000, maxPins: 4 }

/** Members in the order they last spoke (most recent first); those who never spoke follow in join order. */
export class SpeakerOrder {
  private readonly lastHeard = new Map<string, number>()
  private readonly joined: string[] = []

  add(member: string) {
    if (!this.joined.includes(member)) this.joined.push(member)
  }

  remove(member: string) {
    this.lastHeard.delete(member)
    const at = this.joined.indexOf(member)
    if (at >= 0) this.joined.splice(at, 1)
  }

  /** Members heard above the threshold at `now`. Returns whether the order of anyone changed. */
  heard(members: string[], now: number): boolean {
    const before = this.order().join()
    for (const member of members) if (this.joined.includes(member)) this.lastHeard.set(member, now)
    return this.order().join() !== before
  }

  lastSpoke(member: string): number | undefined {
    return this.lastHeard.get(member)
  }

  order(): string[] {
    const seq = new Map(this.joined.map((m, i) => [m, i]))
    return [...this.joined].sort((a, b) => {
      const ta = this.lastHeard.get(a) ?? -Infinity
      const tb = this.lastHeard.get(b) ?? -Infinity
      return ta !== tb ? tb - ta : seq.get(a)! - seq.get(b)!
    })
  }
}

/** The members whose camera `receiver` gets: pins first, then the most recent speakers with a camera on, up to N. */
export function chooseVideo(receiver: string, order: string[], cameras: ReadonlySet<string>, pins: readonly string[], lastN: number): Set<string> {
  const chosen = new Set<string>()
  for (const pin of pins) if (pin !== receiver && cameras.has(pin)) chosen.add(pin)
  let speakers = 0
  for (const member of order) {
    if (speakers >= lastN) break
    if (member === receiver || !cameras.has(member) || chosen.has(member)) continue
    chosen.add(member)
    speakers++
  }
  return chosen
}

/** The members whose microphone `receiver` hears: everyone in a small room; else the most recent speakers still
 * within the hold time, at most `audioSpeakers`. */
export function chooseAudio(receiver: string, order: string[], speakers: SpeakerOrder, now: number, policy: ForwardingPolicy): Set<string> {
  if (order.length <= policy.audioAllUpTo) return new Set(order.filter((m) => m !== receiver))
  const chosen = new Set<string>()
  for (const member of order) {
    if (chosen.size >= policy.audioSpeakers) break
    const at = speakers.lastSpoke(member)
    if (at === undefined || now - at > policy.holdMs) break
    if (member !== receiver) chosen.add(member)
  }
  return chosen
}
