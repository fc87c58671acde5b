// What the two pages for people holding a link have in common, a share link's (/s/<token>) and a file drop's
// (/d/<token>): asking the server what the link is, and saying why an ended or wrong one no longer works.
export interface LinkEnd {
  code: string
  message: string
}

export type LinkInfo<T> = { ok: true; info: T } | ({ ok: false } & LinkEnd)

/** GET `url`: the link's details under `key`, or why it does not work. */
export async function fetchLinkInfo<T>(url: string, key: string): Promise<LinkInfo<T>> {
  const response = await fetch(url)
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown> & { error?: LinkEnd }
  if (response.ok && body[key]) return { ok: true, info: body[key] as T }
  return { ok: false, code: body.error?.code ?? 'unknown', message: body.error?.message ?? `the server answered ${response.status}` }
}

export function LinkEnded(props: { end: LinkEnd; titles: Record<string, string>; testId: string }) {
  return (
    <div data-testid={props.testId} data-code={props.end.code}>
      <h1>{props.titles[props.end.code] ?? 'This link does not work'}</h1>
      <p class="muted">{props.end.message}. Ask whoever sent it for a new one.</p>
    </div>
  )
}
