// The main thread's handle on one upload's SHA-256 (computed by hash-worker.ts on a thread of its own). The thread
// exists only while bytes arrive: it starts with the first body and stops a few seconds after the last one, so an
// upload that sits open holds no thread. When the next body comes, a new thread first hashes the segments already
// on disk, then follows the new one.
import { createHash } from 'node:crypto'
import type { HashWorkerReply, HashWorkerRequest } from './hash-worker'

/** From source, the worker file next to this one; in the compiled binary (`bun run build` makes it an entry point
 * of its own), its place inside the binary, relative to the binary's root (src/). */
const WORKER = import.meta.url.includes('$bunfs') ? './vault/hash-worker.ts' : new URL('./hash-worker.ts', import.meta.url)

/** How long a thread stays after a body ends, for the next chunk of the same upload (tus clients send them back
 * to back). */
export const HASHER_LINGER_MS = 5_000

const EMPTY_SHA256 = createHash('sha256').digest('hex')

export class UploadHasher {
  private worker: Worker | undefined
  private readonly control = new SharedArrayBuffer(16)
  private pending: ((reply: HashWorkerReply) => void) | undefined
  private linger: ReturnType<typeof setTimeout> | undefined

  private start(): Worker {
    clearTimeout(this.linger)
    this.linger = undefined
    if (this.worker) return this.worker
    const worker = new Worker(WORKER)
    worker.onmessage = (event: MessageEvent<HashWorkerReply>) => {
      const resolve = this.pending
      this.pending = undefined
      resolve?.(event.data)
    }
    // A worker that fails (it could not load, or threw) fails the request waiting on it instead of hanging it.
    worker.onerror = (event) => {
      const resolve = this.pending
      this.pending = undefined
      resolve?.({ op: 'failed', message: `hashing worker failed: ${event.message}` } as HashWorkerReply)
    }
    // An idle hasher must not keep the process alive (Bun's Worker has unref; the DOM typing does not).
    ;(worker as unknown as { unref(): void }).unref()
    this.worker = worker
    return worker
  }

  private ask(message: HashWorkerRequest): Promise<HashWorkerReply> {
    const worker = this.start()
    return new Promise((resolve) => {
      this.pending = resolve
      worker.postMessage(message)
    })
  }

  /** A thread holding the hash of every byte in `segments` (a new one hashes them from disk first). */
  private async ready(segments: string[]): Promise<void> {
    if (this.worker) {
      this.start()
      return
    }
    const reply = await this.ask({ op: 'catch-up', paths: segments })
    if (reply.op !== 'caught-up') throw new Error(reply.op === 'failed' ? reply.message : 'hashing failed')
  }

  /** Starts hashing a segment file (which must exist) while it is being written, after the `previous` segments;
   * `finish` gives its final size and resolves with how many bytes of it were hashed once the worker caught up. */
  follow(path: string, previous: string[]): { finish(size: number): Promise<number> } {
    const control = new Int32Array(this.control)
    control.fill(0)
    const done = this.ready(previous).then(() => this.ask({ op: 'follow', path, control: this.control }))
    return {
      finish: async (size: number) => {
        Atomics.store(control, 1, size % 2 ** 31)
        Atomics.store(control, 2, Math.floor(size / 2 ** 31))
        Atomics.store(control, 0, 1)
        Atomics.notify(control, 3)
        try {
          const reply = await done
          if (reply.op !== 'followed') throw new Error(reply.op === 'failed' ? reply.message : 'hashing failed')
          return reply.bytes
        } finally {
          this.park()
        }
      },
    }
  }

  /** SHA-256 of all `segments` (the ones this hasher followed). */
  async digest(segments: string[]): Promise<string> {
    if (segments.length === 0) return EMPTY_SHA256
    await this.ready(segments)
    const reply = await this.ask({ op: 'digest' })
    this.park()
    if (reply.op !== 'digest') throw new Error(reply.op === 'failed' ? reply.message : 'hashing failed')
    return reply.digest
  }

  /** No body is arriving: the thread goes after a short while unless another one starts. */
  private park(): void {
    clearTimeout(this.linger)
    this.linger = setTimeout(() => this.close(), HASHER_LINGER_MS)
    this.linger.unref?.()
  }

  close(): void {
    clearTimeout(this.linger)
    this.linger = undefined
    if (!this.worker) return
    this.worker.terminate()
    this.worker = undefined
    const resolve = this.pending
    this.pending = undefined
    resolve?.({ op: 'failed', message: 'hashing stopped' })
  }
}
