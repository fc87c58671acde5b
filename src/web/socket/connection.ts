// The client's one WebSocket: opened while logged in, reconnected with backoff when it drops, and measured with a
// ping so the header can show whether the live features will work.
import { createSignal } from 'solid-js'
import type { ClientMessage, ServerMessage } from '../../rooms/protocol'

export type SocketStatus = 'connecting' | 'online' | 'offline'

const [status, setStatus] = createSignal<SocketStatus>('offline')
const [latencyMs, setLatencyMs] = createSignal<number>()
/** What the server allows, as it announced in its hello (the default until then). */
const [limits, setLimits] = createSignal({ maxMessageLength: 4000, editWindowSeconds: 900 })
/** True when the server speaks another protocol version than this page: it was updated, and the page should reload. */
const [outdated, setOutdated] = createSignal(false)
/** In a cluster, the node this socket is on (from the hello). */
const [node, setNode] = createSignal<string>()
export { status, latencyMs, limits, outdated, node }

type Listener = (message: ServerMessage) => void
const listeners = new Set<Listener>()

let socket: WebSocket | undefined
let wanted = false
let attempt = 0
let retryTimer: ReturnType<typeof setTimeout> | undefined
let pingTimer: ReturnType<typeof setInterval> | undefined

export function onServerMessage(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

export function send(message: ClientMessage): boolean {
  if (socket?.readyState !== WebSocket.OPEN) return false
  socket.send(JSON.stringify(message))
  return true
}

function ping() {
  send({ type: 'ping', nonce: String(performance.now()) })
}

function open() {
  clearTimeout(retryTimer)
  setStatus('connecting')
  const url = new URL('/ws', location.href)
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:'
  const ws = new WebSocket(url)
  socket = ws
  ws.onopen = () => performance.mark('socket:open')
  ws.onmessage = (event) => {
    let message: ServerMessage
    try {
      message = JSON.parse(String(event.data))
    } catch {
      return
    }
    if (message.type === 'hello') {
      attempt = 0
      setLimits(message.limits)
      setNode(message.node)
      setOutdated(message.protocol !== __PROTOCOL_VERSION__)
      setStatus('online')
      ping()
    } else if (message.type === 'pong' && message.nonce) {
      setLatencyMs(Math.round(performance.now() - Number(message.nonce)))
    }
    for (const listener of listeners) listener(message)
  }
  ws.onclose = (event) => {
    if (socket !== ws) return
    socket = undefined
    setStatus('offline')
    if (!wanted) return
    // The session ended (4001), or the upgrade was refused (1006, e.g. an expired cookie): ask whether we are
    // still logged in; the shell sends a logged-out user to the login page and stops reconnecting.
    if (event.code === 4001 || event.code === 1006) sessionCheck?.()
    if (!wanted) return
    // Exponential backoff with jitter, capped at 15 s, so a restarting server is not stampeded.
    const delay = Math.min(15_000, 500 * 2 ** attempt++) * (0.5 + Math.random() / 2)
    retryTimer = setTimeout(open, delay)
  }
}

let sessionCheck: (() => void) | undefined

/** `checkSession` runs when the server closes the socket for a reason that may mean we are logged out. */
export function connect(checkSession?: () => void) {
  sessionCheck = checkSession
  if (wanted) return
  wanted = true
  attempt = 0
  open()
  pingTimer = setInterval(ping, 20_000)
}

export function disconnect() {
  wanted = false
  clearTimeout(retryTimer)
  clearInterval(pingTimer)
  socket?.close(1000, 'logout')
  socket = undefined
  setStatus('offline')
}
