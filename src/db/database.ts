// Opens the database and brings its schema up to date: the embedded SQLite file by default, PostgreSQL when a URL
// is given. This module and its siblings in src/db are the only code that knows SQL; the stores take a Database and
// never ask which engine is underneath.
import { Database as SQLite } from 'bun:sqlite'
import { SQL } from 'bun'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { drizzle as drizzleSqlite, type BunSQLiteDatabase } from 'drizzle-orm/bun-sqlite'
import { migrate as migrateSqlite } from 'drizzle-orm/bun-sqlite/migrator'
import { drizzle as drizzlePostgres } from 'drizzle-orm/bun-sql'
import { migrate as migratePostgres } from 'drizzle-orm/bun-sql/migrator'
import { postgresSchema, sqliteSchema } from './schema'
import type { SQL as SQL_ } from 'drizzle-orm'

export type Dialect = 'sqlite' | 'postgres'
export type Tables = typeof sqliteSchema
/** The query builder the stores write against. On PostgreSQL it is drizzle's bun-sql database, whose builders have
 * the same shape; the stores only await queries (never SQLite's synchronous .get/.all/.run) so both engines run
 * the same code. */
export type Db = BunSQLiteDatabase<Tables>

export interface Database {
  dialect: Dialect
  db: Db
  /** This dialect's tables. */
  tables: Tables
  /** The engine's own client, for the few statements a store runs natively (the chat's write path). */
  sqlite?: SQLite
  postgres?: SQL
  close(): Promise<void>
}

export const MIGRATIONS_DIR = join(import.meta.dir, '../../migrations')

export interface OpenOptions {
  /** A postgres:// URL; without one, the SQLite file. */
  url?: string
  file: string
  /** The folder holding sqlite/ and postgres/ migrations (a compiled binary unpacks its own). */
  migrationsDir?: string
  /** Connections in the PostgreSQL pool. */
  poolSize?: number
}

/** Why a database could not be opened, in one line: the driver's own reason when it wrapped one. */
export function openFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  return error.cause instanceof Error ? error.cause.message : error.message
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  const migrations = options.migrationsDir ?? MIGRATIONS_DIR
  return options.url ? openPostgres(options.url, join(migrations, 'postgres'), options.poolSize ?? 10) : openSqlite(options.file, join(migrations, 'sqlite'))
}

/** The SQLite file, synchronously (tests and tools that need no server). */
export function openSqlite(file: string, migrationsFolder = join(MIGRATIONS_DIR, 'sqlite')): Database {
  mkdirSync(dirname(file), { recursive: true })
  const sqlite = new SQLite(file, { create: true, strict: true })
  // WAL lets readers run beside the writer; NORMAL is durable across application crashes and only risks the last
  // transactions on power loss, which is the usual trade for a chat server. The busy timeout covers a second process
  // (a backup, the CLI) holding the lock briefly.
  sqlite.exec('PRAGMA journal_mode = WAL')
  sqlite.exec('PRAGMA synchronous = NORMAL')
  sqlite.exec('PRAGMA busy_timeout = 5000')
  sqlite.exec('PRAGMA foreign_keys = ON')
  const db = drizzleSqlite(sqlite, { schema: sqliteSchema })
  migrateSqlite(db, { migrationsFolder })
  return {
    dialect: 'sqlite',
    db,
    tables: sqliteSchema,
    sqlite,
    async close() {
      sqlite.close()
    },
  }
}

/** Every node migrates under this advisory lock, so nodes starting together apply each migration once. */
const MIGRATION_LOCK = 0x5041_5254 // "PART"

async function openPostgres(url: string, migrationsFolder: string, poolSize: number): Promise<Database> {
  const client = new SQL({ url, max: poolSize, connectionTimeout: 5, idleTimeout: 60 })
  try {
    const reserved = await client.reserve()
    try {
      await reserved`select pg_advisory_lock(${MIGRATION_LOCK})`
      try {
        await migratePostgres(drizzlePostgres({ client: reserved as unknown as SQL }), { migrationsFolder })
      } finally {
        await reserved`select pg_advisory_unlock(${MIGRATION_LOCK})`
      }
    } finally {
      reserved.release()
    }
  } catch (error) {
    await client.close().catch(() => {})
    throw error
  }
  const db = drizzlePostgres({ client, schema: postgresSchema }) as unknown as Db
  return {
    dialect: 'postgres',
    db,
    tables: postgresSchema as unknown as Tables,
    postgres: client,
    async close() {
      await client.close({ timeout: 5 })
    },
  }
}

/** The rows of a statement the query builder cannot say (a UNION ALL of bounded subqueries), on either engine. */
export async function selectRows<T>(database: Database, query: SQL_): Promise<T[]> {
  if (database.sqlite) return database.db.all<T>(query)
  const result = await (database.db as unknown as { execute(query: SQL_): Promise<T[]> }).execute(query)
  return [...result]
}
