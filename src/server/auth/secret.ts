// The JWT signing key: the operator's JWT_SECRET, or one generated on first start and kept beside the database so
// tokens survive restarts. It is never a constant in the code.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'

export function loadJwtSecret(dataDir: string, configured: string | undefined): string {
  if (configured) return configured
  const file = join(dataDir, 'jwt-secret')
  try {
    const fd = openSync(file, 'wx', 0o600)
    try {
      writeSync(fd, randomBytes(48).toString('base64url'))
    } finally {
      closeSync(fd)
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  const secret = readFileSync(file, 'utf8').trim()
  if (secret.length < 32) throw new Error(`${file} holds a secret shorter than 32 characters; delete it to regenerate`)
  return secret
}
