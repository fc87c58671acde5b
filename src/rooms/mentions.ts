// @username in a chat message. The room resolves the names to people who may read the room when it stores (or an
// edit changes) the message; the client highlights the same names. Shared by both, so they agree on what a mention is.

/** Names one message may mention; beyond them, @words are plain text (a thousand @s cost a bounded lookup). */
export const MAX_MENTIONS = 20

// After a start, a space or punctuation (not inside an e-mail address or a word), a username (see USERNAME_PATTERN).
const MENTION = /(?<![\p{L}\p{N}_.@-])@([A-Za-z0-9_.-]{3,32})/gu

/** The names a text mentions, lower-cased, first MAX_MENTIONS distinct ones. A name ending in "." or "-" is also
 * tried without it ("thanks @ana." mentions ana). */
export function mentionedNames(text: string): string[] {
  if (!text.includes('@')) return []
  const names = new Set<string>()
  for (const match of text.matchAll(MENTION)) {
    const name = match[1]!.toLowerCase()
    names.add(name)
    const trimmed = name.replace(/[.-]+$/, '')
    if (trimmed.length >= 3) names.add(trimmed)
    if (names.size >= MAX_MENTIONS) break
  }
  return [...names]
}

/** Splits a text into plain runs and mentions of the given names (lower-cased), for highlighting. */
export function splitMentions(text: string, names: ReadonlySet<string>): Array<{ text: string; mention?: string }> {
  const parts: Array<{ text: string; mention?: string }> = []
  let last = 0
  for (const match of text.matchAll(MENTION)) {
    let name = match[1]!
    if (!names.has(name.toLowerCase())) {
      name = name.replace(/[.-]+$/, '')
      if (!names.has(name.toLowerCase())) continue
    }
    const start = match.index!
    if (start > last) parts.push({ text: text.slice(last, start) })
    parts.push({ text: `@${name}`, mention: name.toLowerCase() })
    last = start + 1 + name.length
  }
  if (last < text.length) parts.push({ text: text.slice(last) })
  return parts
}
