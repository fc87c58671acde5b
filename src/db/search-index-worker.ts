// The thread that keeps the chat's full-text index up to date (see search-index.ts): every interval it indexes
// what was stored since, a chunk per transaction, until nothing is pending.
import { Database as SQLite } from 'bun:sqlite'
import { INDEX_CHUNK, indexPending, type IndexerReply, type IndexerRequest } from './search-index'

declare const self: Worker

let timer: ReturnType<typeof setInterval> | undefined

self.onmessage = (event: MessageEvent<IndexerRequest>) => {
  const request = event.data
  if (request.op === 'stop') {
    clearInterval(timer)
    self.postMessage({ op: 'stopped' } satisfies IndexerReply)
    return
  }
  const sqlite = new SQLite(request.file, { strict: true })
  sqlite.exec('PRAGMA busy_timeout = 5000')
  let running = false
  timer = setInterval(() => {
    if (running) return
    running = true
    try {
      while (indexPending(sqlite, INDEX_CHUNK) > 0) {}
    } catch (error) {
      self.postMessage({ op: 'failed', message: `indexing chat messages for search: ${(error as Error).message}` } satisfies IndexerReply)
    } finally {
      running = false
    }
  }, request.intervalMs)
}
