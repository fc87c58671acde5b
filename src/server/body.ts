// JSON (and other small) bodies for small API routes, read with a byte cap so an oversized or endless body is
// refused with 413 instead of being buffered. Large uploads never pass through here; they stream straight to disk.
import { ApiError } from './errors'

export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  // A bodyless POST (logout) has nothing to parse; routes that need a body say so in their schema.
  if (request.body === null && !request.headers.get('content-type')) return undefined
  const type = request.headers.get('content-type') ?? ''
  if (!/^application\/json\b/i.test(type)) {
    throw new ApiError(415, 'unsupported_media_type', 'send the body as application/json')
  }
  const bytes = await readBytes(request, maxBytes)
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes)
  if (text.trim() === '') throw new ApiError(400, 'malformed_body', 'the body is empty')
  try {
    return JSON.parse(text)
  } catch {
    throw new ApiError(400, 'malformed_json', 'the body is not valid JSON')
  }
}

/** A small body's bytes, read with the same cap (413 past it, 400 when empty). */
export async function readBytes(request: Request, maxBytes: number): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length') ?? NaN)
  if (declared > maxBytes) throw new ApiError(413, 'body_too_large', `the body may be at most ${maxBytes} bytes`)
  if (!request.body) throw new ApiError(400, 'malformed_body', 'the body is empty')
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = request.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel()
      throw new ApiError(413, 'body_too_large', `the body may be at most ${maxBytes} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks)
}
