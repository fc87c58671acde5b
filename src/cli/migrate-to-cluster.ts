// `partyroom migrate-to-cluster` (or `bun run migrate-to-cluster`): moves a single-node install (DATA_DIR's SQLite
// database and vault files) into cluster mode (DATABASE_URL's PostgreSQL and the S3_* bucket). Run it once, with
// the single node stopped, with the same environment the cluster nodes will have. Files go first (a file already in
// the bucket with the right size is skipped, so a run cut short can be repeated); then every row moves in one
// transaction, so the database is either fully moved or untouched.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { configOrFail, failer } from './command'
import { openDatabase, openFailure, openSqlite } from '../db/database'
import { copyDatabase, hasAccounts } from '../db/transfer'
import { FileStore } from '../db/files'
import { LocalBlobStore } from '../vault/local-store'
import { S3BlobStore, describeS3Failure } from '../vault/s3-store'

const fail: (message: string) => never = failer('migrate-to-cluster')

export async function migrateToCluster(migrationsDir?: string): Promise<void> {
  const config = configOrFail(fail)
  if (!config.databaseUrl) fail('DATABASE_URL: set it to the cluster\'s PostgreSQL (postgres://user:password@host:port/database)')
  if (!config.s3) fail('S3_ENDPOINT: set S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY to the cluster\'s bucket')
  const file = join(config.dataDir, 'partyroom.sqlite')
  if (!existsSync(file)) fail(`DATA_DIR: no PartyRoom database at ${file}`)

  const source = openSqlite(file, migrationsDir ? join(migrationsDir, 'sqlite') : undefined)
  const target = await openDatabase({ url: config.databaseUrl, file, migrationsDir }).catch((error) =>
    fail(`DATABASE_URL: cannot open the database: ${openFailure(error)}`),
  )
  if (await hasAccounts(target)) fail('DATABASE_URL: the target database already has accounts; give it an empty database')
  const bucket = new S3BlobStore(config.s3)
  await bucket.verify().catch((error) => fail(describeS3Failure(error, config.s3!)))

  // The vault's bytes: each file's blob, streamed from disk to the bucket.
  const local = new LocalBlobStore(join(config.dataDir, 'vault'))
  const files = await new FileStore(source).all()
  let copied = 0
  let skipped = 0
  let bytes = 0
  for (const row of files) {
    const path = local.path(row.storageKey)
    if (!existsSync(path)) fail(`DATA_DIR: the file "${row.name}" (${row.id}) has no bytes at ${path}; the vault is damaged`)
    if ((await bucket.importFile(row.storageKey, path, row.size)) === 'skipped') skipped++
    else {
      copied++
      bytes += row.size
    }
  }
  console.log(`files: ${copied} copied (${bytes} bytes), ${skipped} already in the bucket`)

  const counts = await copyDatabase(source, target)
  console.log(`rows: ${counts.users} users, ${counts.sessions} sessions, ${counts.messages} messages, ${counts.reactions} reactions, ${counts.mentions} mentions, ${counts.readState} read positions, ${counts.conversations} conversations, ${counts.folders} folders, ${counts.files} files, ${counts.shares} share links, ${counts.grants} shares with people, ${counts.drops} file drops, ${counts.thumbnails} thumbnails, ${counts.settings} settings, ${counts.invites} invites, ${counts.audit} audit entries`)
  const secretFile = join(config.dataDir, 'jwt-secret')
  if (existsSync(secretFile) && readFileSync(secretFile, 'utf8').trim() !== config.jwtSecret) {
    console.log(`note: to keep everyone logged in, give every node JWT_SECRET set to the contents of ${secretFile}`)
  }
  bucket.close()
  await source.close()
  await target.close()
  console.log('done: start the cluster nodes with the same DATABASE_URL, S3_* and JWT_SECRET')
}

if (import.meta.main) await migrateToCluster()
