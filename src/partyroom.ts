// The entry point of the compiled binary (`bun run build`): unpacks the embedded web client and migrations into a
// directory keyed by their content, then starts the server as src/server/main.ts does from source.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
// @ts-ignore: written by scripts/build-binary.ts just before it compiles this file
import { migrationFiles, webFiles } from './server/embedded.generated'
import { setEmbedded } from './server/embedded'

async function unpack(): Promise<{ webDir: string; migrationsDir: string }> {
  const all: Record<string, string> = {}
  for (const [name, path] of Object.entries(webFiles as Record<string, string>)) all[`web/${name}`] = path
  for (const [name, path] of Object.entries(migrationFiles as Record<string, string>)) all[`migrations/${name}`] = path
  const names = Object.keys(all).sort()
  const hash = createHash('sha256')
  const contents = new Map<string, Uint8Array>()
  for (const name of names) {
    const bytes = await Bun.file(all[name]!).bytes()
    contents.set(name, bytes)
    hash.update(name).update(bytes)
  }
  const dir = join(tmpdir(), `partyroom-${hash.digest('hex').slice(0, 16)}`)
  if (!existsSync(join(dir, '.complete'))) {
    // Unpacked next to the final place and renamed in, so a crash never leaves a half-written copy in use.
    const staging = `${dir}.${process.pid}`
    for (const [name, bytes] of contents) {
      mkdirSync(dirname(join(staging, name)), { recursive: true })
      writeFileSync(join(staging, name), bytes)
    }
    writeFileSync(join(staging, '.complete'), '')
    try {
      renameSync(staging, dir)
    } catch {
      // Another process unpacked the same content first.
    }
  }
  return { webDir: join(dir, 'web'), migrationsDir: join(dir, 'migrations') }
}

const unpacked = await unpack()
if (process.argv[2] === 'admin') {
  const { adminCommand } = await import('./cli/admin')
  await adminCommand(process.argv.slice(3), unpacked.migrationsDir)
  process.exit(0)
} else if (process.argv[2] === 'migrate-to-cluster') {
  const { migrateToCluster } = await import('./cli/migrate-to-cluster')
  await migrateToCluster(unpacked.migrationsDir)
} else {
  setEmbedded(unpacked)
  await import('./server/main')
}
