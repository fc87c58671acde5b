// Rooms of 10, 20, 30 and 50 members on the SFU, every camera and microphone on, last-N 9, with scripted
// participants (tests/support/scripted: ffmpeg-encoded VP8 and Opus replayed over plain RTP, each one also
// receiving everything the server sends it). A speaker changes every 2 s, as in a meeting. For each size we read:
//   - consumers per worker (all, and forwarding: resumed) and each worker's CPU over the window (server metrics);
//   - per receiver, the share of expected packets received (RTP sequence numbers of every stream forwarded to it);
//   - how late a new speaker is heard: from the moment its level rises to each receiver's first packet of its voice
//     (its microphone was not forwarded while it was silent: this is what the start of its sentence loses).
// The baseline in the same run is a room of 10, where every microphone reaches everyone (SFU_AUDIO_ALL_UP_TO) and
// nothing is cut. The figure to compare with mediasoup's ~500 consumers per worker is the forwarding count.
//
//   bun bench/large-room.ts            # sizes 10, 20, 30, 50; 10 s window each
//   bun bench/large-room.ts --quick    # 10 and 30; 5 s windows
import { startServer } from '../tests/support/server'
import { registerAndLogin, uniqueName } from '../tests/support/http'
import { ScriptedParticipant } from '../tests/support/scripted/participant'
import { recordedMedia } from '../tests/support/scripted/media'

const quick = process.argv.includes('--quick')
const SIZES = quick ? [10, 30] : [10, 20, 30, 50]
const WINDOW_MS = quick ? 5_000 : 10_000
const SPEAKER_EVERY_MS = 2_000
const TOKEN = 'bench-metrics-token-0123456789'

await recordedMedia()
const server = await startServer({
  ROOM_MEDIA_MODE: 'sfu',
  SFU_PLAIN_RTP: 'true',
  SFU_WORKERS: '2',
  METRICS_TOKEN: TOKEN,
  LOG_LEVEL: 'info',
  LOGIN_LIMIT_PER_ADDRESS: '100000',
  REGISTER_LIMIT_PER_ADDRESS: '100000',
})

async function metrics(): Promise<Map<string, number>> {
  const text = await fetch(`${server.url}/api/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.text())
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (!line.startsWith('partyroom_sfu_')) continue
    const at = line.lastIndexOf(' ')
    out.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return out
}

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : NaN)
const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]! : NaN)

const accounts = await Promise.all(Array.from({ length: Math.max(...SIZES) }, (_, i) => registerAndLogin(server.url, uniqueName(`p${i}`))))
const rows: string[] = []
try {
  for (const size of SIZES) {
    const room = uniqueName(`bench${size}`).replace(/_/g, '-')
    const people: ScriptedParticipant[] = []
    for (const account of accounts.slice(0, size)) people.push(await ScriptedParticipant.join(server.url, account, room))
    // Warm up: every consumer created and resumed, keyframes through.
    people[0]!.speak(true)
    await Bun.sleep(3000)
    people[0]!.speak(false)
    await Bun.sleep(2500)

    const before = await metrics()
    for (const p of people) p.resetCounts()
    const started = performance.now()
    const starts: Array<{ speaker: ScriptedParticipant; at: number }> = []
    let turn = 1
    while (performance.now() - started < WINDOW_MS) {
      const speaker = people[turn % size]!
      const previous = people[(turn - 1) % size]!
      previous.speak(false)
      speaker.speak(true)
      starts.push({ speaker, at: performance.now() })
      turn++
      await Bun.sleep(SPEAKER_EVERY_MS)
    }
    for (const p of people) p.speak(false)
    const elapsed = (performance.now() - started) / 1000
    const after = await metrics()

    // Delivery: per receiver, packets received over packets expected across every stream it got.
    const shares = people.map((p) => {
      const streams = p.received()
      const got = streams.reduce((s, x) => s + x.packets, 0)
      const expected = streams.reduce((s, x) => s + x.expected, 0)
      return expected ? got / expected : 1
    })
    const videos = people.map((p) => p.received().filter((s) => s.kind === 'video').length)
    // How late each new speaker's voice arrived at each receiver (only receivers that heard it for the first time
    // in this window: a voice forwarded already, as in a room of 10, counts as 0).
    const cuts: number[] = []
    for (const { speaker, at } of starts) {
      for (const p of people) {
        if (p === speaker) continue
        const s = p.received().find((x) => x.member === speaker.self && x.kind === 'audio')
        if (s) cuts.push(Math.max(0, s.firstAt - at))
      }
    }
    const workers = [0, 1].map((w) => {
      const cpu = ((after.get(`partyroom_sfu_worker_cpu_seconds{worker="${w}"}`) ?? 0) - (before.get(`partyroom_sfu_worker_cpu_seconds{worker="${w}"}`) ?? 0)) / elapsed
      const forwarding = after.get(`partyroom_sfu_consumers{worker="${w}",state="forwarding"}`) ?? 0
      const paused = after.get(`partyroom_sfu_consumers{worker="${w}",state="paused"}`) ?? 0
      return { w, cpu, forwarding, paused }
    })
    const row =
      `| ${size} | ${workers.map((x) => `${x.forwarding + x.paused} (${x.forwarding})`).join(' / ')} | ${workers.map((x) => `${Math.round(x.cpu * 100)}%`).join(' / ')} ` +
      `| ${median(videos)} | ${(Math.min(...shares) * 100).toFixed(1)}% / ${(median(shares) * 100).toFixed(1)}% | ${Math.round(median(cuts))} / ${Math.round(pct(cuts, 0.95))} ms |`
    rows.push(row)
    console.log(row)
    for (const p of people) p.close()
    await Bun.sleep(1500)
  }
} finally {
  await server.dispose()
}

console.log(`\nlast-N 9, speaker every ${SPEAKER_EVERY_MS / 1000} s, window ${WINDOW_MS / 1000} s, 2 workers, budget 500 consumers per worker`)
console.log('| members | consumers per worker 0 / 1 (forwarding) | worker CPU 0 / 1 | cameras received (median) | delivered: worst / median receiver | new speaker heard after: median / p95 |')
console.log('| --- | --- | --- | --- | --- | --- |')
for (const row of rows) console.log(row)
process.exit(0)
