// The chat fan-out client shared by bench/chat-fanout.ts (one server against a bare relay) and
// bench/cluster-fanout.ts (a cluster against one node): rounds for throughput, an open loop for latency, the same
// client code for every target in a run. Connections are on 127.0.0.1 only; every loop is bounded by a duration.
import { readFileSync } from 'node:fs'

export const MESSAGES_PER_ROUND = 8

export interface Target {
  name: string
  /** Where client i connects (a cluster spreads its clients over its nodes). */
  url(i: number): string
  /** The processes serving (their CPU is counted together). */
  pids: number[]
  /** Token for client i (PartyRoom), or undefined (baseline). */
  token(i: number): string | undefined
  /** The frame client i sends for message `text`. */
  frame(i: number, seq: number, text: string): string
  /** How many chat messages a frame delivers (0 for any other frame). */
  delivered(data: string): number
  join?: string
  stop(): Promise<void>
}

// Client ids must never repeat for a user: the server treats a repeated one as a resend and does not broadcast it.
let clientSeq = 0
export function chatSend(_i: number, _seq: number, text: string): string {
  return JSON.stringify({ type: 'chat.send', room: 'global', clientId: `b${++clientSeq}`, text })
}

/** Cheap string work on both sides: the client is in the loop and must not decide the comparison by parsing. */
export function occurrences(data: string, needle: string): number {
  let n = 0
  for (let at = data.indexOf(needle); at >= 0; at = data.indexOf(needle, at + needle.length)) n++
  return n
}

export function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return Math.round(Number(status.match(/VmRSS:\s+(\d+)/)![1]) / 1024)
  } catch {
    return NaN
  }
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(stat[11]) + Number(stat[12])) / 100
}

const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0)

async function openClients(target: Target, n: number): Promise<WebSocket[]> {
  const sockets: WebSocket[] = []
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, (_, k) => {
        const token = target.token(i + k)
        return new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(target.url(i + k), token ? ({ headers: { authorization: `Bearer ${token}` } } as any) : undefined)
          ws.onerror = () => reject(new Error('connect failed'))
          ws.onopen = () => {
            if (!target.join) return resolve(ws)
            ws.send(target.join)
            ws.onmessage = (event) => {
              if (String(event.data).startsWith('{"type":"chat.joined"')) resolve(ws)
            }
          }
        })
      }),
    )
    sockets.push(...batch)
  }
  return sockets
}

async function closeAll(sockets: WebSocket[]) {
  for (const ws of sockets) ws.close()
  await Bun.sleep(300)
}

/** Rounds, as in Bun's chat benchmark: every client sends a burst of short messages; when every client has
 * received every message of the round, the next round starts. */
export async function throughput(target: Target, n: number, seconds: number) {
  const sockets = await openClients(target, n)
  const perRound = n * n * MESSAGES_PER_ROUND
  let deliveries = 0
  let inRound = 0
  let round = 0
  let running = true
  const sendRound = () => {
    round++
    sockets.forEach((ws, i) => {
      for (let k = 0; k < MESSAGES_PER_ROUND; k++) ws.send(target.frame(i, round * MESSAGES_PER_ROUND + k, `Hello World! ${k}`))
    })
  }
  for (const ws of sockets) {
    ws.onmessage = (event) => {
      const n = target.delivered(String(event.data))
      if (n === 0) return
      deliveries += n
      inRound += n
      if (inRound === perRound) {
        inRound = 0
        if (running) sendRound()
      }
    }
  }
  await Bun.sleep(200)
  const cpu0 = cpuOf(target.pids)
  const client0 = process.cpuUsage()
  const start = performance.now()
  sendRound()
  await Bun.sleep(seconds * 1000)
  running = false
  const elapsed = (performance.now() - start) / 1000
  const perSecond = Math.round(deliveries / elapsed)
  const cpu = (cpuOf(target.pids) - cpu0) / elapsed
  const clientUsage = process.cpuUsage(client0)
  const clientCpu = (clientUsage.user + clientUsage.system) / 1e6 / elapsed
  await Bun.sleep(500)
  const rss = target.pids.reduce((sum, pid) => sum + rssMiB(pid), 0)
  await closeAll(sockets)
  return { perSecond, serverCpu: cpu, clientCpu, rss }
}

/** Open loop: each client sends one message per second; every delivery's latency is recorded. */
export async function latency(target: Target, n: number, seconds: number) {
  const sockets = await openClients(target, n)
  const latencies: number[] = []
  let running = true
  sockets.forEach((ws) => {
    ws.onmessage = (event) => {
      const data = String(event.data)
      if (target.delivered(data) === 0) return
      const now = performance.now()
      // Every message in the frame carries its send time as "@<ms>" in its text.
      for (let at = data.indexOf(' @'); at >= 0; at = data.indexOf(' @', at + 2)) {
        latencies.push(now - Number(data.slice(at + 2, data.indexOf('"', at))))
      }
    }
  })
  const timers: Array<ReturnType<typeof setInterval>> = []
  let seq = 0
  let sent = 0
  sockets.forEach((ws, i) => {
    // Stagger the clients across the second, as real users would be.
    setTimeout(() => {
      if (!running) return
      timers.push(
        setInterval(() => {
          if (!running) return
          ws.send(target.frame(i, ++seq, `m${i} @${performance.now()}`))
          sent++
        }, 1000),
      )
    }, (i / n) * 1000)
  })
  const cpu0 = cpuOf(target.pids)
  await Bun.sleep(seconds * 1000)
  running = false
  for (const t of timers) clearInterval(t)
  const cpu = (cpuOf(target.pids) - cpu0) / seconds
  await Bun.sleep(1000)
  await closeAll(sockets)
  latencies.sort((a, b) => a - b)
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))]!
  return { deliveries: latencies.length, expected: sent * n, p50: at(0.5), p99: at(0.99), max: latencies.at(-1)!, serverCpu: cpu }
}

