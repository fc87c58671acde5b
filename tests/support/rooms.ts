// Rooms without a network: a real Room actor on a real database (SQLite, or PostgreSQL in the cluster pass), with connections that record what they are
// sent and a broadcaster that delivers to subscribed connections the way Bun's pub/sub does.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase, type Database } from '../../src/db/database'
import { MessageStore } from '../../src/db/messages'
import { UserStore } from '../../src/db/users'
import { backend, freshPostgres } from './backend'
import type { Broadcaster, Connection } from '../../src/rooms/connection'
import type { ServerMessage, UserRef } from '../../src/rooms/protocol'
import type { RoomLimits } from '../../src/rooms/room'

export class RecordingConnection implements Connection {
  readonly received: ServerMessage[] = []
  readonly topics = new Set<string>()
  constructor(
    readonly id: string,
    readonly user: UserRef,
  ) {}
  send(frame: ServerMessage) {
    this.received.push(frame)
  }
  subscribe(topic: string) {
    this.topics.add(topic)
  }
  unsubscribe(topic: string) {
    this.topics.delete(topic)
  }
}

export class LocalBroadcaster implements Broadcaster {
  readonly connections = new Set<RecordingConnection>()
  publish(topic: string, frame: ServerMessage) {
    for (const conn of this.connections) if (conn.topics.has(topic)) conn.send(frame)
  }
}

export const testLimits: RoomLimits = {
  messageBurst: 1000,
  messagesPerSecond: 1000,
  signalBurst: 1000,
  signalsPerSecond: 1000,
  presenceGraceMs: 20,
  catchUpPage: 500,
  editWindowMs: 60_000,
}

/** A fresh database on the backend under test (SQLite file, or a new PostgreSQL database). */
export async function tempDatabase(): Promise<{ database: Database; messages: MessageStore; users: UserStore; dispose(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'partyroom-rooms-'))
  const pg = backend === 'cluster' ? await freshPostgres() : undefined
  const database = await openDatabase({ url: pg?.url, file: join(dir, 'test.sqlite'), poolSize: 4 })
  return {
    database,
    messages: new MessageStore(database),
    users: new UserStore(database),
    async dispose() {
      await database.close()
      await pg?.drop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A deterministic shuffle, so a failure can be replayed from its seed. */
export function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items]
  let state = seed
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) & 0x7fffffff
    const j = state % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}
