// The main thread's side of the hashing worker: uploads post their bytes here and ask for the digest at the end.
import type { HashReply, HashRequest } from './hash-worker'

export class UploadHasher {
  private readonly worker = new Worker(new URL('./hash-worker.ts', import.meta.url))
  private readonly waiting = new Map<number, { resolve: (digest: string) => void; reject: (error: Error) => void }>()
  private tickets = 0
  /** Bytes posted but not yet hashed, across uploads; senders wait while it is over the limit. */
  private outstanding = 0
  private drainWaiters: Array<() => void> = []

  constructor(private readonly maxOutstanding = 8 * 1024 * 1024) {
    this.worker.onmessage = (event: MessageEvent<HashReply>) => {
      if ('hashed' in event.data) {
        this.outstanding -= event.data.hashed
        if (this.outstanding <= this.maxOutstanding) {
          const waiters = this.drainWaiters
          this.drainWaiters = []
          for (const wake of waiters) wake()
        }
        return
      }
      const pending = this.waiting.get(event.data.ticket)
      if (!pending) return
      this.waiting.delete(event.data.ticket)
      if (event.data.digest) pending.resolve(event.data.digest)
      else pending.reject(new Error(event.data.error ?? 'hashing failed'))
    }
    // Idle, it must not keep the process alive (Bun's Worker has unref, the DOM typing does not).
    ;(this.worker as unknown as { unref(): void }).unref()
  }

  private post(message: HashRequest, transfer?: Transferable[]) {
    this.worker.postMessage(message, transfer ?? [])
  }

  start(id: string) {
    this.post({ op: 'start', id })
  }

  /** Hands the bytes over (the buffer is transferred, not copied: the caller must not use it again). */
  update(id: string, chunk: Uint8Array) {
    this.outstanding += chunk.byteLength
    this.post({ op: 'update', id, chunk }, [chunk.buffer as ArrayBuffer])
  }

  /** Resolves once the hashing thread has caught up enough: bounded memory when it is the slower side. */
  ready(): Promise<void> | undefined {
    if (this.outstanding <= this.maxOutstanding) return undefined
    return new Promise((resolve) => this.drainWaiters.push(resolve))
  }

  commit(id: string) {
    this.post({ op: 'commit', id })
  }

  rollback(id: string) {
    this.post({ op: 'rollback', id })
  }

  digest(id: string): Promise<string> {
    const ticket = ++this.tickets
    return new Promise((resolve, reject) => {
      this.waiting.set(ticket, { resolve, reject })
      this.post({ op: 'digest', id, ticket })
    })
  }

  drop(id: string) {
    this.post({ op: 'drop', id })
  }

  close() {
    this.worker.terminate()
  }
}
