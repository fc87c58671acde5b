// A vault file as an HTTP response, for its owner and for share links alike: streamed from the blob store, one
// byte range when asked (resuming a broken download, seeking in a player), ETag and If-None-Match, a safe
// Content-Disposition, and a sandbox so the file is never run as a page of ours.
import * as contentDisposition from 'content-disposition'
import * as rangeParser from 'range-parser'
import type { FileRow } from '../../db/schema'
import type { BlobStore } from '../../vault/blob-store'
import { isPreviewable } from '../../vault/preview'

export interface FileResponseOptions {
  /** Counts the bytes sent (metrics). */
  bytesOut?: (bytes: number) => void
  /** Called before a body that starts at the file's first byte is sent (a share counts its downloads there); it
   * throws to refuse the transfer. */
  fromStart?: () => Promise<void>
  headers?: Record<string, string>
  /** Asked for a preview: a type a browser shows safely (images other than SVG, audio, video, PDF, plain text)
   * is sent for display in the page instead of as a download. Anything else is a download whatever was asked. */
  inline?: boolean
}

export async function fileResponse(row: FileRow, request: Request, blobs: BlobStore, options: FileResponseOptions = {}): Promise<Response> {
  const etag = `"${row.sha256}"`
  const inline = options.inline === true && isPreviewable(row.contentType)
  const headers: Record<string, string> = {
    // Plain text is shown as UTF-8 text, never sniffed into anything else.
    'content-type': inline && row.contentType === 'text/plain' ? 'text/plain; charset=utf-8' : row.contentType,
    'content-disposition': contentDisposition.create(row.name, { type: inline ? 'inline' : 'attachment' }),
    etag,
    'last-modified': row.updatedAt.toUTCString(),
    'accept-ranges': 'bytes',
    'cache-control': 'private, no-cache',
    // A stored file is never run as a page of ours, whatever its type. A preview may be framed by our own pages
    // (the PDF viewer), by nothing else.
    'content-security-policy': inline ? "default-src 'none'; frame-ancestors 'self'; sandbox" : "default-src 'none'; sandbox",
    'x-content-type-options': 'nosniff',
    ...(inline && { 'x-frame-options': 'SAMEORIGIN' }),
    ...options.headers,
  }
  const ifNoneMatch = request.headers.get('if-none-match')
  if (ifNoneMatch && ifNoneMatch.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*')) {
    return new Response(null, { status: 304, headers })
  }
  const range = request.headers.get('range')
  const ifRange = request.headers.get('if-range')
  // A Range with an If-Range naming another version gets the whole current file.
  if (range && (!ifRange || ifRange === etag)) {
    const parsed = rangeParser.parse(row.size, range)
    if (parsed.code === 2 || (parsed.code === 0 && row.size === 0)) {
      return new Response(null, { status: 416, headers: { ...headers, 'content-range': `bytes */${row.size}` } })
    }
    // One range is served; several (rare, and costly to answer) fall back to the whole file, as RFC 9110 allows.
    if (parsed.code === 0 && parsed.type === 'bytes' && parsed.ranges.length === 1) {
      const { start, end } = parsed.ranges[0]!
      if (start === 0) await options.fromStart?.()
      options.bytesOut?.(end - start + 1)
      return new Response(await blobs.body(row.storageKey, row.size, { start, end }), {
        status: 206,
        headers: { ...headers, 'content-range': `bytes ${start}-${end}/${row.size}`, 'content-length': String(end - start + 1) },
      })
    }
  }
  await options.fromStart?.()
  options.bytesOut?.(row.size)
  return new Response(await blobs.body(row.storageKey, row.size), { headers: { ...headers, 'content-length': String(row.size) } })
}
