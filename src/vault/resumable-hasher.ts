// The main thread's handle on a resumable SHA-256 (resumable-hash-worker.ts): bytes go in as they are assembled
// into parts, the state comes out after each part, and a later request (on any node) loads it and goes on.
import type { ResumableHashReply, ResumableHashRequest } from './resumable-hash-worker'

const WORKER = import.meta.url.includes('$bunfs') ? './vault/resumable-hash-worker.ts' : new URL('./resumable-hash-worker.ts', import.meta.url)

export class ResumableHasher {
  private readonly worker = new Worker(WORKER)
  private readonly waiting: Array<(reply: ResumableHashReply) => void> = []

  private constructor() {
    this.worker.onmessage = (event: MessageEvent<ResumableHashReply>) => this.waiting.shift()?.(event.data)
    this.worker.onerror = (event) => {
      for (const resolve of this.waiting.splice(0)) resolve({ op: 'failed', message: `hashing worker failed: ${event.message}` })
    }
    ;(this.worker as unknown as { unref(): void }).unref()
  }

  private ask(message: ResumableHashRequest): Promise<ResumableHashReply> {
    return new Promise((resolve) => {
      this.waiting.push(resolve)
      this.worker.postMessage(message)
    })
  }

  /** A hasher that continues from `state` (the bytes it covers), or starts empty. */
  static async resume(state: string | null): Promise<ResumableHasher> {
    const hasher = new ResumableHasher()
    const reply = await hasher.ask({ op: 'load', state })
    if (reply.op !== 'loaded') {
      hasher.close()
      throw new Error(reply.op === 'failed' ? reply.message : 'hashing failed')
    }
    return hasher
  }

  /** Hashes a copy of `bytes` (the caller keeps using them). */
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

  close(): void {
    this.worker.terminate()
    for (const resolve of this.waiting.splice(0)) resolve({ op: 'failed', message: 'hashing stopped' })
  }
}
