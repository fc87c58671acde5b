// How many consumers one mediasoup worker forwards on this machine before its core saturates, with synthetic
// media and no browser: scripted senders push VP8-shaped RTP into producers on plain transports, and every
// consumer (each on its own plain transport, as each receiver has its own transport in a call) forwards to UDP
// sinks in this process that count what arrives. The consumer count grows in steps; for each step we read the
// worker's CPU (getResourceUsage) and the share of packets delivered.
//
// The reference is mediasoup's own published figure, about 500 consumers per worker
// (https://mediasoup.org/documentation/v3/scalability/): capacity / 500 is the ratio reported.
//
//   bun bench/sfu-capacity.ts            # steps of 100 up to 800 consumers (or saturation), 6 s each
//   bun bench/sfu-capacity.ts --quick    # steps up to 400, 3 s each
import type { types } from 'mediasoup'
import { WorkerPool } from '../src/rooms/sfu/workers'
import { findWorkerBinary } from '../src/rooms/sfu/worker-binary'

const quick = process.argv.includes('--quick')
const STEPS = quick ? [100, 200, 400] : [100, 200, 300, 400, 500, 600, 700, 800]
const STEP_SECONDS = quick ? 3 : 6
const PRODUCERS = 20
/** Each producer: 50 packets/s of 1,100 bytes, about 440 kbit/s, a camera at medium quality. */
const PACKETS_PER_SECOND = 50
const PAYLOAD = 1100
const REFERENCE = 500

const workerBin = findWorkerBinary(process.env.MEDIASOUP_WORKER_BIN)
if (!workerBin) throw new Error('no mediasoup-worker: run scripts/mediasoup-worker/install.sh')
const pool = await WorkerPool.start(
  { workers: 1, workerBin, listenIp: '127.0.0.1', announcedAddress: undefined, basePort: 0 },
  { workerStarted() {}, workerDied() {} },
)
const { router } = await pool.createRouter()

// Producers, each fed by its own UDP socket (comedia learns the sender's address from its first packet).
const producers: Array<{ producer: types.Producer; port: number; ssrc: number }> = []
for (let i = 0; i < PRODUCERS; i++) {
  const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: true })
  const ssrc = 100_000 + i
  const producer = await transport.produce({
    kind: 'video',
    rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }], encodings: [{ ssrc }] },
  })
  producers.push({ producer, port: transport.tuple.localPort, ssrc })
}

// Sinks: a few sockets counting every RTP packet that arrives (RTCP, types 200-206, is not counted).
let delivered = 0
const sinks = await Promise.all(
  Array.from({ length: 4 }, () =>
    Bun.udpSocket({
      hostname: '127.0.0.1',
      socket: {
        data(_s, data) {
          const type = data[1]!
          if (type < 200 || type > 206) delivered++
        },
      },
    }),
  ),
)

const SRTP_KEY = Buffer.from(crypto.getRandomValues(new Uint8Array(30))).toString('base64')
const consumerTransports: types.PlainTransport[] = []
async function growTo(count: number) {
  while (consumerTransports.length < count) {
    const i = consumerTransports.length
    // SRTP, as every WebRTC consumer encrypts each packet for its own receiver: that is the worker's main cost.
    const transport = await router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: true,
      comedia: false,
      enableSrtp: true,
      srtpCryptoSuite: 'AES_CM_128_HMAC_SHA1_80',
    })
    await transport.connect({
      ip: '127.0.0.1',
      port: sinks[i % sinks.length]!.port,
      srtpParameters: { cryptoSuite: 'AES_CM_128_HMAC_SHA1_80', keyBase64: SRTP_KEY },
    })
    await transport.consume({ producerId: producers[i % PRODUCERS]!.producer.id, rtpCapabilities: router.rtpCapabilities })
    consumerTransports.push(transport)
  }
}

// The senders: every 20 ms one packet per producer. Every packet is a VP8 key frame (payload descriptor with S=1,
// then a payload header with P=0), so consumers start forwarding at once.
const senders = await Promise.all(producers.map(() => Bun.udpSocket({ hostname: '127.0.0.1' })))
let seq = 0
let sent = 0
const packet = new Uint8Array(12 + PAYLOAD)
packet[0] = 0x80
packet.set([0x10, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01], 12)
const view = new DataView(packet.buffer)
const ticker = setInterval(() => {
  seq = (seq + 1) & 0xffff
  packet[1] = 0x80 | 96 // marker + payload type
  view.setUint16(2, seq)
  view.setUint32(4, (seq * 3000) >>> 0)
  for (let i = 0; i < producers.length; i++) {
    view.setUint32(8, producers[i]!.ssrc)
    senders[i]!.send(packet, producers[i]!.port, '127.0.0.1')
    sent++
  }
}, 1000 / PACKETS_PER_SECOND)

const cpuSeconds = async () => (await pool.resourceUsage())[0]!.cpuSeconds

const rows: Array<{ consumers: number; cpu: number; deliveredShare: number; pps: number }> = []
try {
  await Bun.sleep(500)
  for (const step of STEPS) {
    await growTo(step)
    await Bun.sleep(1000) // settle
    const cpu0 = await cpuSeconds()
    const delivered0 = delivered
    const sent0 = sent
    const t0 = performance.now()
    await Bun.sleep(STEP_SECONDS * 1000)
    const seconds = (performance.now() - t0) / 1000
    const cpu = (await cpuSeconds()) - cpu0
    const expected = ((sent - sent0) / PRODUCERS) * step
    const row = { consumers: step, cpu: cpu / seconds, deliveredShare: (delivered - delivered0) / expected, pps: (delivered - delivered0) / seconds }
    rows.push(row)
    console.error(`${step} consumers: worker ${(row.cpu * 100).toFixed(0)}% of a core, ${(row.deliveredShare * 100).toFixed(1)}% delivered, ${Math.round(row.pps)} packets/s`)
    if (row.cpu > 0.97 || row.deliveredShare < 0.9) break
  }
} finally {
  clearInterval(ticker)
  for (const s of [...senders, ...sinks]) s.close()
  pool.close()
}

// Capacity: the most consumers forwarded with at least 99% delivered while the worker stayed under 90% of its
// core; and, from the CPU cost per consumer across the steps, where one core would be full.
const healthy = rows.filter((r) => r.deliveredShare >= 0.99 && r.cpu < 0.9)
const measured = healthy.at(-1)?.consumers ?? 0
const last = rows.at(-1)!
const first = rows[0]!
const perConsumer = (last.cpu - first.cpu) / (last.consumers - first.consumers)
const projected = Math.round(first.consumers + (1 - first.cpu) / perConsumer)

console.log(`\nOne mediasoup worker (${Bun.spawnSync(['nproc']).stdout.toString().trim()} cores machine), ${PRODUCERS} producers at ${PACKETS_PER_SECOND} packets/s of ${PAYLOAD} bytes, one SRTP plain transport per consumer\n`)
console.log('| consumers | worker CPU (one core = 100%) | delivered | packets/s out |')
console.log('| --- | --- | --- | --- |')
for (const r of rows) console.log(`| ${r.consumers} | ${(r.cpu * 100).toFixed(0)}% | ${(r.deliveredShare * 100).toFixed(1)}% | ${Math.round(r.pps)} |`)
console.log(`\nForwarded cleanly (≥99% delivered, worker < 90%): ${measured} consumers = ${(measured / REFERENCE).toFixed(2)} of mediasoup's ~${REFERENCE}`)
console.log(`CPU per consumer ${(perConsumer * 100).toFixed(3)}% of a core → one core full at about ${projected} consumers = ${(projected / REFERENCE).toFixed(2)} of ~${REFERENCE}`)
