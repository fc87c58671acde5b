// The SQLite and PostgreSQL schemas are two declarations of one model: every table, column, key and index in one
// exists in the other with the same meaning. A change to one without the other fails here.
import { expect, test } from 'bun:test'
import { getTableConfig as sqliteConfig, type SQLiteTable } from 'drizzle-orm/sqlite-core'
import { getTableConfig as pgConfig, type PgTable } from 'drizzle-orm/pg-core'
import { is, SQL } from 'drizzle-orm'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { join, relative } from 'node:path'
import { postgresSchema, sqliteSchema } from '../../src/db/schema'

type Config = ReturnType<typeof sqliteConfig> | ReturnType<typeof pgConfig>

function describeTable(config: Config) {
  const columns = Object.fromEntries(
    config.columns.map((c) => [
      c.name,
      // What the application sees (number, string, date), not the engine's spelling of it.
      { type: c.dataType, notNull: c.notNull, primary: c.primary, defaulted: c.hasDefault || c.generated !== undefined || (c as { generatedIdentity?: unknown }).generatedIdentity !== undefined },
    ]),
  )
  const primaryKeys = config.primaryKeys.map((pk) => pk.columns.map((c) => c.name).sort())
  const foreignKeys = config.foreignKeys
    .map((fk) => {
      const ref = fk.reference()
      return { columns: ref.columns.map((c) => c.name), table: (ref.foreignTable as unknown as { [k: symbol]: string })[Symbol.for('drizzle:Name')], onDelete: fk.onDelete }
    })
    .sort((a, b) => a.columns.join().localeCompare(b.columns.join()))
  const indexes = config.indexes
    .map((i) => ({
      name: i.config.name,
      unique: !!i.config.unique,
      // An expression (lower(username), username collate nocase) is compared by the columns it names.
      on: i.config.columns.map((c) => (is(c, SQL) ? 'expression' : (c as { name: string }).name)),
    }))
    .sort((a, b) => a.name!.localeCompare(b.name!))
  return { columns, primaryKeys, foreignKeys, indexes }
}

const tables = <T>(schema: Record<string, unknown>, isTable: (v: unknown) => v is T) => Object.entries(schema).filter(([, v]) => isTable(v)) as Array<[string, T]>

test('every table of the SQLite schema has a PostgreSQL twin, column by column, key by key, index by index', () => {
  const lite = tables(sqliteSchema, (v): v is SQLiteTable => !!v && typeof v === 'object' && Symbol.for('drizzle:IsDrizzleTable') in v)
  const pg = tables(postgresSchema, (v): v is PgTable => !!v && typeof v === 'object' && Symbol.for('drizzle:IsDrizzleTable') in v)
  expect(lite.map(([name]) => name).sort()).toEqual(pg.map(([name]) => name).sort())
  expect(lite.length).toBeGreaterThanOrEqual(5)
  for (const [name, table] of lite) {
    const twin = pg.find(([n]) => n === name)![1]
    const a = describeTable(sqliteConfig(table))
    const b = describeTable(pgConfig(twin))
    expect({ table: name, ...b }).toEqual({ table: name, ...a })
  }
})

test('both dialects have committed migrations for the schema (drizzle-kit finds nothing left to generate)', async () => {
  const root = join(import.meta.dir, '../..')
  for (const [dialect, schema, dir] of [
    ['sqlite', 'src/db/schema/sqlite/index.ts', 'migrations/sqlite'],
    ['postgresql', 'src/db/schema/postgres/index.ts', 'migrations/postgres'],
  ] as const) {
    expect(readdirSync(join(root, dir)).some((f) => f.endsWith('.sql'))).toBe(true)
    // On a copy: when something is missing, drizzle-kit writes the migration it would need, and that must not land
    // in the project.
    // (drizzle-kit takes --out relative to the project only)
    mkdirSync(join(root, '.test-output'), { recursive: true })
    const copy = relative(root, mkdtempSync(join(root, '.test-output', 'migrations-check-')))
    cpSync(join(root, dir), join(root, copy), { recursive: true })
    const run = Bun.spawnSync(['bunx', 'drizzle-kit', 'generate', '--dialect', dialect, '--schema', schema, '--out', copy], {
      cwd: root,
      stdout: 'pipe',
      stderr: 'pipe',
    })
    rmSync(join(root, copy), { recursive: true, force: true })
    expect(run.stdout.toString() + run.stderr.toString()).toContain('No schema changes')
  }
}, 60_000)
