// The chat's markdown: the subset people use, never markup of the writer's own, and bombs cut down to size.
import { expect, test } from 'bun:test'
import { renderMessage } from '../src/web/chat/markdown'

test('the subset: bold, italic, strike, code, code blocks, quotes, lists, links and bare URLs', () => {
  const html = renderMessage('**bold** _it_ ~~gone~~ `x<y`\n\n```\nlet a = "<b>"\n```\n\n> quoted\n\n- one\n- two\n\n1. first\n\n[docs](https://example.org/a?b=1) and https://example.com/x')
  expect(html).toContain('<strong>bold</strong>')
  expect(html).toContain('<em>it</em>')
  expect(html).toContain('<s>gone</s>')
  expect(html).toContain('<code>x&lt;y</code>')
  expect(html).toContain('<pre><code>let a = &quot;&lt;b&gt;&quot;\n</code></pre>')
  expect(html).toContain('<blockquote>')
  expect(html).toContain('<ul>')
  expect(html).toContain('<ol>')
  expect(html).toContain('<a href="https://example.org/a?b=1" target="_blank" rel="noopener noreferrer">docs</a>')
  expect(html).toContain('<a href="https://example.com/x" target="_blank" rel="noopener noreferrer">https://example.com/x</a>')
})

test('raw HTML and dangerous links stay text', () => {
  const html = renderMessage('<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3)) [y](data:text/html,hi) &lt;')
  expect(html).not.toContain('<script')
  expect(html).not.toContain('<img')
  expect(html).not.toContain('href="javascript')
  expect(html).not.toContain('href="data')
  expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
  // No headings, images or tables: they are text.
  const plain = renderMessage('# not a heading\n\n![pic](https://example.org/p.png)\n\n| a | b |\n| - | - |\n| 1 | 2 |')
  expect(plain).not.toMatch(/<h1|<img|<table/)
})

test('mentions the server resolved are highlighted, outside code and links; others are plain', () => {
  const html = renderMessage('hi @Ana and @bob, `@ana` [@ana](https://example.org) @carol', ['ana', 'bob'], 'ana')
  expect(html).toContain('<span class="mention me">@Ana</span>')
  expect(html).toContain('<span class="mention">@bob</span>')
  expect(html).toContain('<code>@ana</code>')
  expect(html).toContain('>@ana</a>')
  expect(html).toContain(' @carol')
})

test('bombs: deep nesting stops at the limit, a thousand links and long runs of markers come out bounded', () => {
  const quotes = renderMessage('>'.repeat(4000))
  expect(quotes.match(/<blockquote>/g)!.length).toBeLessThanOrEqual(12)
  const lists = renderMessage(Array.from({ length: 500 }, (_, i) => `${'  '.repeat(i)}- x`).join('\n'))
  expect(lists.match(/<ul>/g)!.length).toBeLessThanOrEqual(12)
  const links = renderMessage(Array.from({ length: 1000 }, () => 'a.io').join(' '))
  expect(links.length).toBeLessThan(100_000)
  for (const bomb of ['*'.repeat(4000), '[' .repeat(2000) + ']'.repeat(2000), '`'.repeat(4000), '_a'.repeat(2000), '**_~~'.repeat(800)]) {
    expect(renderMessage(bomb).length).toBeLessThan(40_000)
  }
})
