// Text people type that others will see (chat messages, file names): normalised to NFC, and refused when it could
// deceive or break a reader's screen: bidirectional overrides and isolates (which make "exe.pdf" read as
// "fdp.exe"), NUL, text made only of invisible characters, and long runs of combining marks ("Zalgo" text that
// draws over the lines around it).

/** U+202A-U+202E (embeddings and overrides) and U+2066-U+2069 (isolates). */
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/
/** Combining marks one base character may carry; real scripts (Vietnamese, Hebrew points, Devanagari) need few. */
export const MAX_COMBINING_RUN = 8
const COMBINING_RUN = new RegExp(`\\p{M}{${MAX_COMBINING_RUN + 1},}`, 'u')
/** Characters that draw nothing: format characters (zero-width joiners, marks), spaces, fillers and variation
 * selectors. A message made only of these looks empty. */
const INVISIBLE = /^[\p{Cf}\p{Z}\s\u115F\u1160\u3164\uFFA0\u2800\uFE00-\uFE0F\u034F\u17B4\u17B5\u180B-\u180F]*$/u

export type Checked = { ok: true; text: string } | { ok: false; code: 'invalid_text'; reason: string }

/** Printable ASCII (with tabs and line breaks): already NFC, and none of what is refused below can be in it. */
const PLAIN_ASCII = /^[\x20-\x7E\t\n\r]*$/

/** The NFC form of `raw`, or why it is refused. `what` names the text in the reason ("a message", "a file name"). */
export function cleanText(raw: string, what: string): Checked {
  // Most chat is plain ASCII: one pass decides it (only whitespace alone is refused, as invisible).
  if (PLAIN_ASCII.test(raw) && (raw.length === 0 || /\S/.test(raw))) return { ok: true, text: raw }
  const text = raw.normalize('NFC')
  if (text.includes('\u0000')) return { ok: false, code: 'invalid_text', reason: `${what} cannot contain NUL characters` }
  if (BIDI_CONTROL.test(text)) {
    return { ok: false, code: 'invalid_text', reason: `${what} cannot contain bidirectional override or isolate characters (U+202A-U+202E, U+2066-U+2069)` }
  }
  if (COMBINING_RUN.test(text)) {
    return { ok: false, code: 'invalid_text', reason: `${what} cannot stack more than ${MAX_COMBINING_RUN} combining marks on one character` }
  }
  if (text.length > 0 && INVISIBLE.test(text)) return { ok: false, code: 'invalid_text', reason: `${what} cannot be only invisible characters` }
  return { ok: true, text }
}
