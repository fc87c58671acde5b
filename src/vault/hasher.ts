// The main thread's handle on one upload's hashing worker (hash-worker.ts).
import type { HashWorkerReply, HashWorkerRequest } from './hash-worker'

/** From source, the worker file next to this one; in the compiled binary (`bun run build` makes it an entry point
 * of its own), its place inside the binary, relative to the binary's root (src/). */
const WORKER = import.meta.url.includes('$bunfs') ? './vault/hash-worker.ts' : new URL('./hash-worker.ts', import.meta.url)

export class UploadHasher {
  private readonly worker = new Worker(WORKER)
  private readonly control = new SharedArrayBuffer(16)
  private pending: ((reply: HashWorkerReply) => void) | undefined

  constructor() {
    this.worker.onmessage = (event: MessageEvent<HashWorkerReply>) => {
      const resolve = this.pending
      this.pending = undefined
      resolve?.(event.data)
    }
    // A worker that fails (it could not load, or threw) fails the request waiting on it instead of hanging it.
    this.worker.onerror = (event) => {
      const resolve = this.pending
      this.pending = undefined
      resolve?.({ op: 'failed', message: `hashing worker failed: ${event.message}` } as HashWorkerReply)
    }
    // An idle hasher must not keep the process alive (Bun's Worker has unref; the DOM typing does not).
    ;(this.worker as unknown as { unref(): void }).unref()
  }

  private ask(message: HashWorkerRequest): Promise<HashWorkerReply> {
    return new Promise((resolve) => {
      this.pending = resolve
      this.worker.postMessage(message)
    })
  }

  /** Starts hashing a segment file (which must exist) while it is being written; `finish` gives its final size and
   * resolves with how many bytes were hashed once the worker has caught up. */
  follow(path: string): { finish(size: number): Promise<number> } {
    const control = new Int32Array(this.control)
    control.fill(0)
    const done = this.ask({ op: 'follow', path, control: this.control })
    return {
      finish: async (size: number) => {
        Atomics.store(control, 1, size % 2 ** 31)
        Atomics.store(control, 2, Math.floor(size / 2 ** 31))
        Atomics.store(control, 0, 1)
        Atomics.notify(control, 3)
        const reply = await done
        if (reply.op !== 'followed') throw new Error(reply.op === 'failed' ? reply.message : 'hashing failed')
        return reply.bytes
      },
    }
  }

  async digest(): Promise<string> {
    const reply = await this.ask({ op: 'digest' })
    if (reply.op !== 'digest') throw new Error(reply.op === 'failed' ? reply.message : 'hashing failed')
    return reply.digest
  }

  close(): void {
    this.worker.terminate()
  }
}
