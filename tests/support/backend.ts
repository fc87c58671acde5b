// Which engines the tests run on. `PARTYROOM_TEST_BACKEND=cluster` (set by scripts/test.sh for its second pass)
// runs every server and store on PostgreSQL (and the vault on S3) started by scripts/services; unset, on the
// embedded SQLite and local disk. Each test server, and each store a test opens, gets a database of its own.
import { SQL } from 'bun'
import { randomBytes } from 'node:crypto'

export type Backend = 'embedded' | 'cluster'

export const backend: Backend = process.env.PARTYROOM_TEST_BACKEND === 'cluster' ? 'cluster' : 'embedded'

/** The PostgreSQL the services script started; its role may create databases. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://party:partypw@127.0.0.1:55432/partyroom'

function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

let admin: SQL | undefined

/** A new, empty PostgreSQL database; `drop` removes it (closing whatever still uses it). */
export async function freshPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  admin ??= new SQL({ url: TEST_POSTGRES_URL, max: 2 })
  const name = `t_${randomBytes(6).toString('hex')}`
  await admin.unsafe(`create database ${name}`)
  return {
    url: withDatabase(TEST_POSTGRES_URL, name),
    async drop() {
      await admin!.unsafe(`drop database if exists ${name} with (force)`)
    },
  }
}
