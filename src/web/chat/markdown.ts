// Chat messages as formatted text: a markdown subset (bold, italic, strike, inline code, code blocks, quotes, lists,
// links) and bare URLs made clickable, rendered by markdown-it with raw HTML off, so a message can never carry markup
// of its own. The stored text stays what the person wrote; this is only how it is shown.
import MarkdownIt from 'markdown-it'
import { splitMentions } from '../../rooms/mentions'

const md = new MarkdownIt('default', {
  html: false,
  linkify: true,
  typographer: false,
  breaks: true,
  // Deeply nested quotes or lists stop nesting here (a "markdown bomb" renders as text past it, in linear time).
  maxNesting: 12,
})
// No headings, rules, tables or images: a chat line is not a document, and an image would load a stranger's URL.
md.disable(['heading', 'lheading', 'hr', 'table', 'image', 'reference', 'html_block', 'html_inline', 'entity'])
md.linkify.set({ fuzzyEmail: false })

// Links open in a new tab without handing it this page (noopener) or where the person came from (noreferrer).
md.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
  const token = tokens[idx]!
  token.attrSet('target', '_blank')
  token.attrSet('rel', 'noopener noreferrer')
  return self.renderToken(tokens, idx, options)
}

interface RenderEnv {
  /** Lower-cased names the message mentions (resolved by the server); `me` is the reader's. */
  mentions: ReadonlySet<string>
  me?: string
}

// @names the server resolved become highlighted spans (outside links and code), the reader's own distinctly.
md.core.ruler.push('mentions', (state) => {
  const env = state.env as unknown as RenderEnv
  if (!env?.mentions || env.mentions.size === 0) return
  for (const block of state.tokens) {
    if (block.type !== 'inline' || !block.children) continue
    const out: typeof block.children = []
    let inLink = 0
    for (const token of block.children) {
      if (token.type === 'link_open') inLink++
      if (token.type === 'link_close') inLink--
      if (token.type !== 'text' || inLink > 0 || !token.content.includes('@')) {
        out.push(token)
        continue
      }
      for (const part of splitMentions(token.content, env.mentions)) {
        const piece = new state.Token(part.mention ? 'mention' : 'text', '', 0)
        piece.content = part.text
        if (part.mention) piece.meta = { me: part.mention === env.me }
        out.push(piece)
      }
    }
    block.children = out
  }
})
md.renderer.rules.mention = (tokens, idx) => {
  const token = tokens[idx]!
  return `<span class="mention${token.meta?.me ? ' me' : ''}">${md.utils.escapeHtml(token.content)}</span>`
}

/** The message as HTML: escaped text with the formatting above, nothing else. */
export function renderMessage(text: string, mentions: readonly string[] = [], me?: string): string {
  return md.render(text, { mentions: new Set(mentions.map((m) => m.toLowerCase())), me: me?.toLowerCase() } satisfies RenderEnv).trimEnd()
}
