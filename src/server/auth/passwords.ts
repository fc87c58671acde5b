// bcrypt runs on libuv's thread pool (@node-rs/bcrypt's async API), so hashing never blocks the event loop.
import { hash, verify } from '@node-rs/bcrypt'
import { randomBytes } from 'node:crypto'

/** bcrypt only reads the first 72 bytes; longer passwords are refused rather than silently truncated. */
export const PASSWORD_MIN_BYTES = 8
export const PASSWORD_MAX_BYTES = 72

export function passwordProblem(password: string): string | undefined {
  const bytes = Buffer.byteLength(password, 'utf8')
  if (bytes < PASSWORD_MIN_BYTES) return `password must be at least ${PASSWORD_MIN_BYTES} bytes`
  if (bytes > PASSWORD_MAX_BYTES) return `password must be at most ${PASSWORD_MAX_BYTES} bytes (UTF-8)`
  return undefined
}

export class PasswordHasher {
  /** The dummy hash lets a login for an unknown user cost the same as a wrong password, so timing tells nothing.
   * It is computed in the background from the start (a cost-12 hash takes ~200 ms), so it does not delay startup. */
  private readonly dummyHash: Promise<string>

  private constructor(private readonly cost: number) {
    this.dummyHash = hash(randomBytes(24).toString('base64'), { cost })
  }

  static async create(cost: number): Promise<PasswordHasher> {
    return new PasswordHasher(cost)
  }

  hash(password: string): Promise<string> {
    return hash(password, { cost: this.cost })
  }

  async verify(password: string, storedHash: string | undefined): Promise<boolean> {
    const ok = await verify(password, storedHash ?? (await this.dummyHash))
    return ok && storedHash !== undefined
  }
}
