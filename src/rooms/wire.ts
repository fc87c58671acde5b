// Stored messages as the protocol carries them, for the rooms and the inbox alike.
import { searchTerms, type MessageStore, type Quote, type StoredMessage } from '../db/messages'
import { MAX_SEARCH_TERMS } from './constants'
import type { ChatMessage, MessageQuote, ServerMessage } from './protocol'

/** Search hits per answer. */
export const SEARCH_PAGE = 20

/** The topic of one person's sockets: what concerns them alone (activity in their conversations, mentions, read
 * state), on every tab and device. */
export const userTopic = (userId: number) => `user:${userId}`

/** A quote as it goes out; an original that no longer exists (retention) shows as removed. */
export function wireQuote(quote: Quote | number): MessageQuote {
  if (typeof quote === 'number') return { id: quote, excerpt: '', removed: true }
  if (quote.removed) return { id: quote.id, author: quote.author, excerpt: '', removed: true }
  return { id: quote.id, author: quote.author, excerpt: quote.excerpt }
}

/** A page of stored messages with what they show besides their rows (reactions, quotes, mentions). */
export async function toWire(store: MessageStore, rows: StoredMessage[]): Promise<ChatMessage[]> {
  if (rows.length === 0) return []
  const { reactions, quotes, mentions } = await store.details(rows)
  return rows.map((r) => {
    const message: ChatMessage = { id: r.id, author: { id: r.authorId, username: r.authorName }, text: r.text, at: r.createdAt.getTime() }
    if (r.removed) message.removed = true
    if (r.attachment) message.attachment = r.attachment
    if (r.editedAt && !r.removed) message.editedAt = r.editedAt.getTime()
    if (r.replyTo !== null) message.replyTo = wireQuote(quotes.get(r.replyTo) ?? r.replyTo)
    const named = mentions.get(r.id)
    if (named && !r.removed) message.mentions = named
    const summary = reactions.get(r.id)
    if (summary) message.reactions = summary
    return message
  })
}

/** The answer to a search over `rooms` (the caller has checked who may read them), or undefined when the query
 * holds no word to look for. */
export async function searchAnswer(
  store: MessageStore,
  rooms: string[],
  frame: { req: string; query: string; before?: number },
): Promise<Extract<ServerMessage, { type: 'chat.search' }> | undefined> {
  const terms = searchTerms(frame.query, MAX_SEARCH_TERMS)
  if (terms.length === 0) return undefined
  const rows = await store.search(rooms, terms, SEARCH_PAGE + 1, frame.before)
  const page = rows.slice(0, SEARCH_PAGE)
  const messages = await toWire(store, page)
  return { type: 'chat.search', req: frame.req, terms, hits: messages.map((message, i) => ({ room: page[i]!.room, message })), hasMore: rows.length > page.length }
}
