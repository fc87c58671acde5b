// What a storage error means, whichever engine raised it (SQLite, PostgreSQL, S3). Drizzle wraps driver errors (DrizzleQueryError with the
// driver's error as its cause), so every check walks the chain.

function* chain(error: unknown): Generator<Record<string, unknown>> {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    yield e as Record<string, unknown>
  }
}

/** A unique index refused the row; `index` narrows it to one index (its name, as in the schema). */
export function isUniqueViolation(error: unknown, index?: string): boolean {
  for (const e of chain(error)) {
    // PostgreSQL: SQLSTATE 23505 and the index's name.
    if (e.errno === '23505' && (index === undefined || e.constraint === index)) return true
    // SQLite names the columns, not the index; the caller passes the columns' text when it must tell them apart.
    const message = typeof e.message === 'string' ? e.message : ''
    if (/UNIQUE constraint failed/.test(message) && (index === undefined || message.includes(index))) return true
  }
  return false
}

/** A foreign key refused the row: what it points at is gone. */
export function isForeignKeyViolation(error: unknown): boolean {
  for (const e of chain(error)) {
    if (e.errno === '23503') return true
    if (typeof e.message === 'string' && /FOREIGN KEY constraint failed/.test(e.message)) return true
  }
  return false
}

/** The database cannot be reached (down, restarting, refusing connections, out of connection slots): the request
 * may succeed later, so the edge answers 503, not 500. */
export function isUnavailable(error: unknown): boolean {
  for (const e of chain(error)) {
    if (e instanceof DatabaseUnavailableError || e instanceof StorageUnavailableError) return true
    const code = typeof e.code === 'string' ? e.code : ''
    const errno = typeof e.errno === 'string' ? e.errno : ''
    if (/^ERR_POSTGRES_(CONNECTION|.*TIMEOUT|IDLE|LIFETIME|TLS|AUTHENTICATION)/.test(code)) return true
    // Class 08 (connection exception), 57P0x (the server is shutting down or restarting), 53300 (no slots left).
    if (/^08|^57P0|^53300$/.test(errno)) return true
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT') return true
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_FULL' || code === 'SQLITE_IOERR') return true
  }
  return false
}

export class DatabaseUnavailableError extends Error {}

/** The object store (S3) failed in a way that may pass: unreachable, timing out, or answering 5xx. */
export class StorageUnavailableError extends Error {}
