// Small helpers to talk JSON to a test server the way any HTTP client would.
export interface JsonResponse<T = any> {
  status: number
  headers: Headers
  body: T
}

export async function requestJson<T = any>(
  url: string,
  init: { method?: string; body?: unknown; rawBody?: BodyInit; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...init.headers }
  let body: BodyInit | undefined = init.rawBody
  if (init.body !== undefined) {
    headers['content-type'] ??= 'application/json'
    body = JSON.stringify(init.body)
  }
  const response = await fetch(url, { method: init.method ?? (body !== undefined ? 'POST' : 'GET'), headers, body })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {}
  return { status: response.status, headers: response.headers, body: parsed as T }
}

let counter = 0
/** A username no other test uses. */
export function uniqueName(prefix = 'user'): string {
  return `${prefix}_${process.pid % 10000}_${Date.now() % 100000}_${counter++}`.slice(0, 32)
}

export async function registerAndLogin(base: string, username = uniqueName(), password = 'correct horse battery') {
  const registered = await requestJson(`${base}/api/auth/register`, { body: { username, password } })
  if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${JSON.stringify(registered.body)}`)
  const login = await requestJson(`${base}/api/auth/login`, { body: { username, password } })
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`)
  return { username, password, token: login.body.token as string, cookie: login.headers.get('set-cookie')!, user: login.body.user }
}
