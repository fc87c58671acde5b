// The main thread's side of the upload writer thread (upload-worker.ts): chunks go over without a copy, and the
// sender waits while too much is still unwritten, so memory stays bounded when the disk is the slower side.
import type { WriterReply, WriterRequest } from './upload-worker'

export class UploadWriter {
  private readonly worker = new Worker(new URL('./upload-worker.ts', import.meta.url))
  private readonly replies = new Map<number, (reply: WriterReply) => void>()
  private tickets = 0
  /** Bytes handed over but not yet committed, per upload. */
  private readonly unwritten = new Map<string, number>()
  private total = 0
  private waiters: Array<() => void> = []

  constructor(private readonly maxUnwritten = 8 * 1024 * 1024) {
    this.worker.onmessage = (event: MessageEvent<WriterReply>) => {
      const message = event.data
      if (message.op === 'committed') {
        this.settle(message.id, message.bytes)
        return
      }
      const resolve = this.replies.get(message.ticket)
      this.replies.delete(message.ticket)
      resolve?.(message)
    }
    // Idle, it must not keep the process alive (Bun's Worker has unref; the DOM typing does not).
    ;(this.worker as unknown as { unref(): void }).unref()
  }

  private settle(id: string, bytes: number) {
    const left = (this.unwritten.get(id) ?? 0) - bytes
    this.total -= bytes
    if (left > 0) this.unwritten.set(id, left)
    else this.unwritten.delete(id)
    if (this.total <= this.maxUnwritten) {
      const waiters = this.waiters
      this.waiters = []
      for (const wake of waiters) wake()
    }
  }

  private post(message: WriterRequest, transfer: Transferable[] = []) {
    this.worker.postMessage(message, transfer)
  }

  private ask<T extends WriterReply>(make: (ticket: number) => WriterRequest): Promise<T> {
    const ticket = ++this.tickets
    return new Promise<T>((resolve) => {
      this.replies.set(ticket, resolve as (reply: WriterReply) => void)
      this.post(make(ticket))
    })
  }

  start(id: string) {
    this.post({ op: 'start', id })
  }

  open(id: string, path: string, offset: number) {
    this.post({ op: 'open', id, path, offset })
  }

  /** Hands a chunk over; its buffer is transferred (the caller must own all of it and not touch it again). */
  write(id: string, chunk: Uint8Array) {
    const owned = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && chunk.buffer instanceof ArrayBuffer
    const data = owned ? chunk : chunk.slice()
    this.unwritten.set(id, (this.unwritten.get(id) ?? 0) + data.byteLength)
    this.total += data.byteLength
    this.post({ op: 'chunk', id, chunk: data }, [data.buffer as ArrayBuffer])
  }

  /** Resolves when the writer has caught up enough; undefined when there is no need to wait. */
  ready(): Promise<void> | undefined {
    if (this.total <= this.maxUnwritten) return undefined
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  /** Flushes and closes the upload's file; resolves with its committed offset (and why it stopped, if it failed). */
  async close(id: string): Promise<{ offset: number; error?: { code?: string; message: string } }> {
    const reply = await this.ask<Extract<WriterReply, { op: 'closed' }>>((ticket) => ({ op: 'close', id, ticket }))
    // Whatever was handed over and not committed is gone now.
    this.settle(id, this.unwritten.get(id) ?? 0)
    return { offset: reply.offset, error: reply.error }
  }

  async digest(id: string): Promise<string> {
    const reply = await this.ask<Extract<WriterReply, { op: 'digest' }>>((ticket) => ({ op: 'digest', id, ticket }))
    if (!reply.digest) throw new Error(reply.error ?? 'hashing failed')
    return reply.digest
  }

  drop(id: string) {
    this.post({ op: 'drop', id })
  }

  terminate() {
    this.worker.terminate()
  }
}
