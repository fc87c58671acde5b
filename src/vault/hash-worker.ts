// One upload's SHA-256, computed from the bytes on disk as they land: the worker follows each segment file while
// Bun writes the request body into it, so hashing overlaps the transfer and covers exactly what is stored.
// Control is a shared Int32Array: [0] = 1 once the writer is done, [1], [2] = the final size (low 31 bits, high).
import { closeSync, fdatasyncSync, openSync, readSync } from 'node:fs'
import { createHash } from 'node:crypto'

export type HashWorkerRequest = { op: 'follow'; path: string; control: SharedArrayBuffer } | { op: 'catch-up'; paths: string[] } | { op: 'digest' }

export type HashWorkerReply =
  | { op: 'followed'; bytes: number }
  | { op: 'caught-up'; bytes: number }
  | { op: 'digest'; digest: string }
  | { op: 'failed'; message: string }

declare const self: Worker

const hash = createHash('sha256')
const buffer = Buffer.allocUnsafe(4 << 20)

/** Bytes between two flushes to disk: the file reaches the disk while it arrives, so the fsync before it is
 * published finds little left to do. */
const SYNC_EVERY = 64 << 20

/** Hashes `path` from its start until the writer is done and every byte up to the final size is read. */
function follow(path: string, control: Int32Array): number {
  const fd = openSync(path, 'r')
  let position = 0
  let synced = 0
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, position)
      if (n > 0) {
        hash.update(buffer.subarray(0, n))
        position += n
        if (position - synced >= SYNC_EVERY) {
          fdatasyncSync(fd)
          synced = position
        }
        continue
      }
      if (Atomics.load(control, 0) === 1 && position >= Atomics.load(control, 1) + Atomics.load(control, 2) * 2 ** 31) {
        return position
      }
      // Nothing new yet: wait a moment for the writer, or for "done".
      Atomics.wait(control, 3, 0, 2)
    }
  } finally {
    closeSync(fd)
  }
}

/** Hashes whole files already on disk: the segments an earlier thread of this upload hashed before it stopped. */
function catchUp(paths: string[]): number {
  let total = 0
  for (const path of paths) {
    const fd = openSync(path, 'r')
    try {
      for (let position = 0; ; ) {
        const n = readSync(fd, buffer, 0, buffer.length, position)
        if (n === 0) break
        hash.update(buffer.subarray(0, n))
        position += n
        total += n
      }
    } finally {
      closeSync(fd)
    }
  }
  return total
}

self.onmessage = (event: MessageEvent<HashWorkerRequest>) => {
  const message = event.data
  try {
    if (message.op === 'follow') {
      self.postMessage({ op: 'followed', bytes: follow(message.path, new Int32Array(message.control)) } satisfies HashWorkerReply)
    } else if (message.op === 'catch-up') {
      self.postMessage({ op: 'caught-up', bytes: catchUp(message.paths) } satisfies HashWorkerReply)
    } else {
      self.postMessage({ op: 'digest', digest: hash.copy().digest('hex') } satisfies HashWorkerReply)
    }
  } catch (error) {
    self.postMessage({ op: 'failed', message: (error as Error).message } satisfies HashWorkerReply)
  }
}
