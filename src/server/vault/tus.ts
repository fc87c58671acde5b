// What the vault's tus 1.0.0 endpoints share (the owner's /api/vault/uploads and a file drop's /d/<token>/uploads):
// the protocol version and the parsing of its headers.
import { ApiError } from '../errors'

export const TUS_VERSION = '1.0.0'
export const TUS_HEADERS = { 'tus-resumable': TUS_VERSION }

/** A header that must be a non-negative integer, or undefined when absent. */
export function integerHeader(request: Request, name: string): number | undefined {
  const raw = request.headers.get(name)
  if (raw === null) return undefined
  if (!/^\d{1,16}$/.test(raw.trim())) throw new ApiError(400, 'invalid_header', `${name} must be a non-negative integer`)
  return Number(raw)
}

/** tus Upload-Metadata: "key base64,key base64". */
export function parseMetadata(raw: string | null): Record<string, string> {
  const result: Record<string, string> = {}
  if (!raw) return result
  for (const pair of raw.split(',')) {
    const [key, value = ''] = pair.trim().split(' ')
    if (!key || !/^[A-Za-z0-9_.-]{1,64}$/.test(key)) throw new ApiError(400, 'invalid_metadata', 'Upload-Metadata is malformed')
    if (value && !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw new ApiError(400, 'invalid_metadata', `Upload-Metadata "${key}" is not base64`)
    result[key] = Buffer.from(value, 'base64').toString('utf8')
  }
  return result
}
