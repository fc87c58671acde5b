// The full-text index of the chat on SQLite (an FTS5 table over messages, see migration 0013_chat_features.sql).
// New messages join it in bulk, up to a watermark, instead of by a trigger on each insert: in bulk, FTS5 costs about
// a tenth as much per message, and on a thread of its own (SearchIndexer) it takes nothing from the chat's write
// path, which is what the chat fan-out benchmark measures. A search first indexes whatever is still pending on its
// own connection, so it always sees every stored message.
import type { Database as SQLite, Statement } from 'bun:sqlite'

interface Statements {
  watermark: Statement<{ last_id: number }, []>
  newest: Statement<{ id: number | null }, [number, number]>
  index: Statement<unknown, [number, number]>
  advance: Statement<unknown, [number]>
}
const prepared = new WeakMap<SQLite, Statements>()

/** Indexes up to `max` of the messages stored after the watermark, in one transaction; returns how many ids it
 * covered (0 when nothing was pending). */
export function indexPending(sqlite: SQLite, max: number): number {
  let s = prepared.get(sqlite)
  if (!s) {
    s = {
      watermark: sqlite.prepare('select last_id from messages_fts_state where id = 1'),
      newest: sqlite.prepare('select max(id) as id from (select id from messages where id > ? order by id limit ?)'),
      index: sqlite.prepare("insert into messages_fts(rowid, room, text) select id, room, text from messages where id > ? and id <= ? and text <> ''"),
      advance: sqlite.prepare('update messages_fts_state set last_id = ? where id = 1'),
    }
    prepared.set(sqlite, s)
  }
  const { watermark, newest, index, advance } = s
  // IMMEDIATE: the write lock first, so the watermark read and the insert see the same messages.
  return sqlite.transaction(() => {
    const from = watermark.get()!.last_id
    const to = newest.get(from, max)?.id
    if (!to) return 0
    index.run(from, to)
    advance.run(to)
    return to - from
  }).immediate()
}

/** Rows per transaction on the indexing thread: short, so the chat's writer never waits long for the lock. */
export const INDEX_CHUNK = 500

/** What the indexing thread is told and answers. */
export type IndexerRequest = { op: 'start'; file: string; intervalMs: number } | { op: 'stop' }
export type IndexerReply = { op: 'failed'; message: string } | { op: 'stopped' }

const WORKER = import.meta.url.includes('$bunfs') ? './db/search-index-worker.ts' : new URL('./search-index-worker.ts', import.meta.url)

/** Keeps the index up to date from a thread of its own, with its own connection to the database file. */
export class SearchIndexer {
  private worker: Worker | undefined

  constructor(
    private readonly file: string,
    private readonly intervalMs: number,
    private readonly onError: (message: string) => void,
  ) {}

  start(): void {
    const worker = new Worker(WORKER)
    worker.onmessage = (event: MessageEvent<IndexerReply>) => {
      if (event.data.op === 'failed') this.onError(event.data.message)
    }
    worker.onerror = (event) => this.onError(`search indexing thread failed: ${event.message}`)
    ;(worker as unknown as { unref(): void }).unref()
    worker.postMessage({ op: 'start', file: this.file, intervalMs: this.intervalMs } satisfies IndexerRequest)
    this.worker = worker
  }

  stop(): void {
    this.worker?.terminate()
    this.worker = undefined
  }
}
