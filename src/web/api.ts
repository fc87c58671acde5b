// The typed HTTP client: request and response shapes come from the server's own route definitions (Eden treaty),
// so a change on the server that breaks the client fails the type check instead of a user's click.
import { treaty } from '@elysiajs/eden'
import type { Api } from '../server/app'

export const api = treaty<Api>(location.origin).api

/** The server's `{ error: { code, message } }` turned into one readable line. */
export function errorMessage(error: { status: unknown; value: unknown } | null | undefined): string {
  const body = error?.value as { error?: { message?: string } } | undefined
  if (body?.error?.message) return body.error.message
  if (typeof error?.status === 'number') return `request failed (${error.status})`
  return 'the server could not be reached'
}
