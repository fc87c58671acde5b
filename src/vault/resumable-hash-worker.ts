// SHA-256 whose state can be saved and loaded (hash-wasm), on a thread of its own: what an upload to S3 hashes as
// its parts go out, so that another node (or this one after a restart) can continue the hash where the last
// stored byte left it. The state is a few hundred bytes; it is saved with the upload's row after every part.
import { createSHA256, type IHasher } from 'hash-wasm'

export type ResumableHashRequest =
  | { op: 'load'; state: string | null }
  | { op: 'update'; bytes: Uint8Array }
  | { op: 'save' }
  | { op: 'digest' }

export type ResumableHashReply = { op: 'loaded' } | { op: 'saved'; state: string } | { op: 'digest'; digest: string } | { op: 'failed'; message: string }

declare const self: Worker

let hasher: IHasher | undefined
let failure: string | undefined

self.onmessage = async (event: MessageEvent<ResumableHashRequest>) => {
  const message = event.data
  try {
    if (message.op === 'load') {
      hasher = await createSHA256()
      if (message.state) hasher.load(Buffer.from(message.state, 'base64'))
      else hasher.init()
      failure = undefined
      self.postMessage({ op: 'loaded' } satisfies ResumableHashReply)
    } else if (message.op === 'update') {
      // Updates are not answered (they stream in); a failure is reported at the next save or digest.
      if (!failure) hasher!.update(message.bytes)
    } else if (failure) {
      self.postMessage({ op: 'failed', message: failure } satisfies ResumableHashReply)
    } else if (message.op === 'save') {
      self.postMessage({ op: 'saved', state: Buffer.from(hasher!.save()).toString('base64') } satisfies ResumableHashReply)
    } else {
      self.postMessage({ op: 'digest', digest: hasher!.digest('hex') } satisfies ResumableHashReply)
    }
  } catch (error) {
    failure = (error as Error).message
    if (message.op !== 'update') self.postMessage({ op: 'failed', message: failure } satisfies ResumableHashReply)
  }
}
