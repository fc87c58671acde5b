// Opens the embedded SQLite database and brings its schema up to date. This module and its siblings in src/db are
// the only code that knows SQL; a Postgres adapter would replace this file and keep the stores' signatures.
import { Database as SQLite } from 'bun:sqlite'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { drizzle, type BunSQLiteDatabase } from 'drizzle-orm/bun-sqlite'
import { migrate } from 'drizzle-orm/bun-sqlite/migrator'
import * as schema from './schema'

export type Db = BunSQLiteDatabase<typeof schema> & { $client: SQLite }

export interface Database {
  db: Db
  sqlite: SQLite
  close(): void
}

export const MIGRATIONS_DIR = join(import.meta.dir, '../../migrations')

export function openDatabase(file: string, migrationsFolder = MIGRATIONS_DIR): Database {
  mkdirSync(dirname(file), { recursive: true })
  const sqlite = new SQLite(file, { create: true, strict: true })
  // WAL lets readers run beside the writer; NORMAL is durable across application crashes and only risks the last
  // transactions on power loss, which is the usual trade for a chat server. The busy timeout covers a second process
  // (a backup, the CLI) holding the lock briefly.
  sqlite.exec('PRAGMA journal_mode = WAL')
  sqlite.exec('PRAGMA synchronous = NORMAL')
  sqlite.exec('PRAGMA busy_timeout = 5000')
  sqlite.exec('PRAGMA foreign_keys = ON')
  const db = drizzle(sqlite, { schema })
  migrate(db, { migrationsFolder })
  return {
    db,
    sqlite,
    close() {
      sqlite.close()
    },
  }
}
