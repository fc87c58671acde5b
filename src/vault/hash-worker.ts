// Runs SHA-256 for uploads on its own thread, so hashing overlaps reading the socket and writing the disk instead of
// adding to them. Messages for one upload are handled in the order they were posted.
import { createHash, type Hash } from 'node:crypto'

export type HashRequest =
  | { op: 'start'; id: string }
  | { op: 'update'; id: string; chunk: Uint8Array }
  /** The bytes so far are on disk: a later rollback returns here. */
  | { op: 'commit'; id: string }
  /** A write failed: forget everything since the last commit. */
  | { op: 'rollback'; id: string }
  | { op: 'digest'; id: string; ticket: number }
  | { op: 'drop'; id: string }

export type HashReply = { ticket: number; digest?: string; error?: string } | { hashed: number }

declare const self: Worker

const states = new Map<string, { hash: Hash; committed: Hash }>()

self.onmessage = (event: MessageEvent<HashRequest>) => {
  const message = event.data
  switch (message.op) {
    case 'start': {
      const hash = createHash('sha256')
      states.set(message.id, { hash, committed: hash.copy() })
      return
    }
    case 'update':
      states.get(message.id)?.hash.update(message.chunk)
      // The sender limits how much waits here; tell it this much is done.
      self.postMessage({ hashed: message.chunk.byteLength } satisfies HashReply)
      return
    case 'commit': {
      const state = states.get(message.id)
      if (state) state.committed = state.hash.copy()
      return
    }
    case 'rollback': {
      const state = states.get(message.id)
      if (state) state.hash = state.committed.copy()
      return
    }
    case 'digest': {
      const state = states.get(message.id)
      const reply: HashReply = state
        ? { ticket: message.ticket, digest: state.hash.copy().digest('hex') }
        : { ticket: message.ticket, error: 'unknown upload' }
      self.postMessage(reply)
      return
    }
    case 'drop':
      states.delete(message.id)
      return
  }
}
