// The main thread's handle on a resumable SHA-256 (resumable-hash-worker.ts): bytes go in as they are assembled
// into parts, the state comes out after each part, and a later request (on any node) loads it and goes on.
import type { ResumableHashReply, ResumableHashRequest } from './resumable-hash-worker'

const WORKER = import.meta.url.includes('$bunfs') ? './vault/resumable-hash-worker.ts' : new URL('./resumable-hash-worker.ts', import.meta.url)

/** Threads kept for the next upload: starting one costs tens of MiB and milliseconds, so they are reused. */
const IDLE_THREADS = 4
const idle: Worker[] = []

export class ResumableHasher {
  private readonly waiting: Array<(reply: ResumableHashReply) => void> = []
  private closed = false

  private constructor(private readonly worker: Worker) {
    worker.onmessage = (event: MessageEvent<ResumableHashReply>) => this.waiting.shift()?.(event.data)
    worker.onerror = (event) => {
      for (const resolve of this.waiting.splice(0)) resolve({ op: 'failed', message: `hashing worker failed: ${event.message}` })
    }
  }

  private ask(message: ResumableHashRequest): Promise<ResumableHashReply> {
    return new Promise((resolve) => {
      this.waiting.push(resolve)
      this.worker.postMessage(message)
    })
  }

  /** A hasher that continues from `state` (the bytes it covers), or starts empty. */
  static async resume(state: string | null): Promise<ResumableHasher> {
    let worker = idle.pop()
    if (!worker) {
      worker = new Worker(WORKER)
      // An idle thread must not keep the process alive (Bun's Worker has unref; the DOM typing does not).
      ;(worker as unknown as { unref(): void }).unref()
    }
    const hasher = new ResumableHasher(worker)
    const reply = await hasher.ask({ op: 'load', state })
    if (reply.op !== 'loaded') {
      hasher.close(true)
      throw new Error(reply.op === 'failed' ? reply.message : 'hashing failed')
    }
    return hasher
  }

  /** Hashes `bytes`: a copy of them, or, over a SharedArrayBuffer, the bytes where they are (then they must stay
   * unchanged until the next save() or digest() has answered). */
  update(bytes: Uint8Array): void {
    this.worker.postMessage({ op: 'update', bytes } satisfies ResumableHashRequest)
  }

  /** The state after every byte given so far. */
  async save(): Promise<string> {
    const reply = await this.ask({ op: 'save' })
    if (reply.op !== 'saved') throw new Error(reply.op === 'failed' ? reply.message : 'hashing failed')
    return reply.state
  }

  async digest(): Promise<string> {
    const reply = await this.ask({ op: 'digest' })
    if (reply.op !== 'digest') throw new Error(reply.op === 'failed' ? reply.message : 'hashing failed')
    return reply.digest
  }

  /** Done with it: the thread goes back to the idle ones (loaded afresh by the next user), unless it is busy or
   * broken, or enough are idle. */
  close(broken = false): void {
    if (this.closed) return
    this.closed = true
    const busy = this.waiting.length > 0
    for (const resolve of this.waiting.splice(0)) resolve({ op: 'failed', message: 'hashing stopped' })
    if (broken || busy || idle.length >= IDLE_THREADS) this.worker.terminate()
    else idle.push(this.worker)
  }
}
