// The upload writer thread: it appends each upload's bytes to its temporary file and hashes them, so the main
// thread only reads sockets and hands chunks over (transferred, not copied). Bytes count once flushed: every
// "committed" reply moves the upload's offset, and a failed flush rolls the hash and the file back to the last one.
import { closeSync, ftruncateSync, openSync } from 'node:fs'
import { createHash, type Hash } from 'node:crypto'
import type { FileSink } from 'bun'

export type WriterRequest =
  | { op: 'start'; id: string }
  /** Opens the temporary file for appending at the committed offset (cutting off anything past it). */
  | { op: 'open'; id: string; path: string; offset: number }
  | { op: 'chunk'; id: string; chunk: Uint8Array }
  /** Flushes what is left, closes the file, and replies with the committed offset. */
  | { op: 'close'; id: string; ticket: number }
  | { op: 'digest'; id: string; ticket: number }
  | { op: 'drop'; id: string }

export type WriterReply =
  | { op: 'committed'; id: string; bytes: number }
  | { op: 'closed'; ticket: number; offset: number; error?: { code?: string; message: string } }
  | { op: 'digest'; ticket: number; digest?: string; error?: string }

declare const self: Worker

/** Bytes buffered before a flush commits them. */
const FLUSH_EVERY = 2 << 20

interface State {
  hash: Hash
  committedHash: Hash
  offset: number
  fd?: number
  sink?: FileSink
  unflushed: number
  error?: { code?: string; message: string }
}

const states = new Map<string, State>()

function reply(message: WriterReply) {
  self.postMessage(message)
}

/** Puts the unflushed bytes on disk; on failure returns hash and file to the last commit and remembers why. */
async function commit(id: string, state: State) {
  if (!state.sink || state.unflushed === 0 || state.error) return
  try {
    await state.sink.flush()
  } catch (error) {
    state.hash = state.committedHash.copy()
    try {
      ftruncateSync(state.fd!, state.offset)
    } catch {}
    state.unflushed = 0
    state.error = { code: (error as NodeJS.ErrnoException).code, message: (error as Error).message }
    return
  }
  state.offset += state.unflushed
  reply({ op: 'committed', id, bytes: state.unflushed })
  state.unflushed = 0
  state.committedHash = state.hash.copy()
}

async function handle(message: WriterRequest) {
  switch (message.op) {
    case 'start': {
      const hash = createHash('sha256')
      states.set(message.id, { hash, committedHash: hash.copy(), offset: 0, unflushed: 0 })
      return
    }
    case 'open': {
      const state = states.get(message.id)
      if (!state) return
      state.error = undefined
      state.offset = message.offset
      state.fd = openSync(message.path, 'a')
      ftruncateSync(state.fd, message.offset)
      state.sink = Bun.file(state.fd).writer({ highWaterMark: FLUSH_EVERY })
      return
    }
    case 'chunk': {
      const state = states.get(message.id)
      if (!state?.sink || state.error) return
      state.sink.write(message.chunk)
      state.hash.update(message.chunk)
      state.unflushed += message.chunk.byteLength
      if (state.unflushed >= FLUSH_EVERY) await commit(message.id, state)
      return
    }
    case 'close': {
      const state = states.get(message.id)
      if (!state) return reply({ op: 'closed', ticket: message.ticket, offset: 0, error: { message: 'unknown upload' } })
      await commit(message.id, state)
      if (state.fd !== undefined) closeSync(state.fd)
      state.fd = undefined
      state.sink = undefined
      return reply({ op: 'closed', ticket: message.ticket, offset: state.offset, error: state.error })
    }
    case 'digest': {
      const state = states.get(message.id)
      return reply(
        state ? { op: 'digest', ticket: message.ticket, digest: state.hash.copy().digest('hex') } : { op: 'digest', ticket: message.ticket, error: 'unknown upload' },
      )
    }
    case 'drop': {
      const state = states.get(message.id)
      if (state?.fd !== undefined) closeSync(state.fd)
      states.delete(message.id)
      return
    }
  }
}

// One message at a time, in order, even when a flush has to wait.
let queue: Promise<void> = Promise.resolve()
self.onmessage = (event: MessageEvent<WriterRequest>) => {
  queue = queue.then(() => handle(event.data)).catch((error) => console.error('upload writer:', error))
}
