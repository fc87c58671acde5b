// Whether a connection (a peer connection of the mesh, or a transport to the SFU) has any way through. When the
// network lets nothing pass (a firewall, and no TURN server that answers: wrong credentials, blocked ports), ICE
// gathers what it can and then waits; a page that only said "Connecting…" would wait with it. So a connection that
// never connected counts as having no path once its candidates are all gathered and none worked within NO_PATH_MS,
// at once when gathering found no candidate at all, or when ICE says it failed. Connecting clears it.

/** ICE checks on a working path succeed within a few seconds of gathering; this leaves room for a busy machine. */
export const NO_PATH_MS = 12_000

export class PathWatch {
  private timer: ReturnType<typeof setTimeout> | undefined
  private connected = false
  private candidates = 0
  private blocked = false

  constructor(private readonly onChange: (noPath: boolean) => void) {}

  private set(noPath: boolean) {
    if (noPath === this.blocked) return
    this.blocked = noPath
    this.onChange(noPath)
  }

  /** A local candidate was gathered (where the caller sees them). */
  candidate(): void {
    this.candidates++
  }

  /** `counted`: whether candidate() is called for this connection's candidates. */
  gathering(state: RTCIceGatheringState, counted: boolean): void {
    if (state === 'gathering') this.candidates = 0
    if (state !== 'complete' || this.connected) return
    if (counted && this.candidates === 0) return this.set(true)
    clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      if (!this.connected) this.set(true)
    }, NO_PATH_MS)
  }

  connection(state: string): void {
    if (state === 'connected') {
      this.connected = true
      clearTimeout(this.timer)
      this.set(false)
    } else if (state === 'failed' && !this.connected) {
      this.set(true)
    }
  }

  close(): void {
    clearTimeout(this.timer)
  }
}
