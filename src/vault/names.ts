// What a vault file may be called. Names are display text only (never used on disk), but they end up in
// Content-Disposition headers, download dialogs and other people's file systems, so they are kept sane.

import { cleanText } from '../text/clean'

export const MAX_NAME_BYTES = 255

/** The normalised name, or a reason it cannot be used. */
export function checkFileName(raw: string): { ok: true; name: string } | { ok: false; reason: string } {
  const cleaned = cleanText(raw.trim(), 'a file name')
  if (!cleaned.ok) return { ok: false, reason: cleaned.reason }
  const name = cleaned.text.trim()
  if (name === '') return { ok: false, reason: 'a file name cannot be empty' }
  if (name === '.' || name === '..') return { ok: false, reason: 'a file name cannot be "." or ".."' }
  if (/[/\\]/.test(name)) return { ok: false, reason: 'a file name cannot contain "/" or "\\"' }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return { ok: false, reason: 'a file name cannot contain control characters' }
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) {
    return { ok: false, reason: `a file name may be at most ${MAX_NAME_BYTES} bytes (UTF-8)` }
  }
  return { ok: true, name }
}

/** "report.pdf", then "report (2).pdf", "report (3).pdf"…: the names to try in turn, as a desktop file manager
 * does. */
export function* candidateNames(name: string): Generator<string> {
  yield name
  const dot = name.lastIndexOf('.')
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, '']
  for (let n = 2; ; n++) {
    const suffix = ` (${n})`
    // Keep within the byte limit by shortening the stem, never the extension.
    let base = stem
    while (Buffer.byteLength(base + suffix + ext, 'utf8') > MAX_NAME_BYTES) base = [...base].slice(0, -1).join('')
    yield base + suffix + ext
  }
}

const CONTENT_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i

/** A declared content type if it is a plain type/subtype, else the safe default. */
export function cleanContentType(raw: string | undefined): string {
  const type = raw?.split(';')[0]?.trim().toLowerCase()
  return type && CONTENT_TYPE.test(type) ? type : 'application/octet-stream'
}
