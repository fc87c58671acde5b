// `partyroom admin create <username>` (or `bun run admin create <username>`): makes an account an admin from the
// shell, for a server whose first account is not trusted or whose registration is closed. An existing account is
// promoted (and enabled); a new one is created with the password read from standard input (one line; typed at a
// prompt when it is a terminal). Run it with the server's environment (DATA_DIR, or DATABASE_URL in cluster mode).
import { join } from 'node:path'
import { configOrFail, failer } from './command'
import { openDatabase, openFailure } from '../db/database'
import { UserStore } from '../db/users'
import { AuditStore } from '../db/governance'
import { PasswordHasher, passwordProblem } from '../server/auth/passwords'
import { USERNAME_PATTERN } from '../server/auth/routes'

const fail: (message: string) => never = failer('admin')

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) return prompt('Password for the new admin (8 to 72 bytes):') ?? ''
  const text = await Bun.stdin.text()
  return text.split(/\r?\n/)[0] ?? ''
}

export async function adminCommand(args: string[], migrationsDir?: string): Promise<void> {
  const [action, username] = args
  if (action !== 'create' || !username) fail('usage: partyroom admin create <username>')
  if (!new RegExp(USERNAME_PATTERN).test(username)) fail('a username is 3 to 32 characters: letters, digits, "_", "-" or "."')
  const config = configOrFail(fail)
  const database = await openDatabase({ url: config.databaseUrl, file: join(config.dataDir, 'partyroom.sqlite'), migrationsDir }).catch((error) =>
    fail(`${config.databaseUrl ? 'DATABASE_URL' : 'DATA_DIR'}: cannot open the database: ${openFailure(error)}`),
  )
  try {
    const users = new UserStore(database)
    const audit = new AuditStore(database)
    const shell = { id: null, username: 'shell' }
    const existing = await users.byUsername(username)
    if (existing) {
      const user = (await users.update(existing.id, { role: 'admin', disabled: false }))!
      if (existing.role !== 'admin') await audit.record({ actor: shell, action: 'user.role', target: user, detail: { from: existing.role, to: 'admin' } })
      if (existing.disabled) await audit.record({ actor: shell, action: 'user.enable', target: user })
      console.log(`${user.username} (id ${user.id}) is an admin`)
      return
    }
    const password = await readPassword()
    const problem = passwordProblem(password)
    if (problem) fail(problem)
    const hasher = await PasswordHasher.create(config.bcryptCost)
    const user = await users.create(username, await hasher.hash(password), { role: 'admin' })
    await audit.record({ actor: shell, action: 'user.create_admin', target: user })
    console.log(`${user.username} (id ${user.id}) created as an admin`)
  } finally {
    await database.close()
  }
}

if (import.meta.main) await adminCommand(process.argv.slice(2))
