// The SFU's foundation, without a browser: a real mediasoup worker from the pool forwards RTP from one transport
// to another, and a worker that dies is replaced and reported.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { types } from 'mediasoup'
import { WorkerPool } from '../../src/rooms/sfu/workers'
import { findWorkerBinary } from '../../src/rooms/sfu/worker-binary'

let pool: WorkerPool
const died: number[] = []
const started: number[] = []
beforeAll(async () => {
  const workerBin = findWorkerBinary(process.env.MEDIASOUP_WORKER_BIN)
  if (!workerBin) throw new Error('no mediasoup-worker: run scripts/mediasoup-worker/install.sh (npm test does)')
  pool = await WorkerPool.start(
    { workers: 2, workerBin, listenIp: '127.0.0.1', announcedAddress: undefined, basePort: 0 },
    { workerStarted: (i) => started.push(i), workerDied: (i) => died.push(i) },
  )
})
afterAll(() => pool?.close())

/** A minimal RTP packet: version 2, payload type, sequence number, timestamp, SSRC, then the payload. */
function rtp(payloadType: number, seq: number, ssrc: number, payload: Uint8Array): Uint8Array {
  const packet = new Uint8Array(12 + payload.length)
  const view = new DataView(packet.buffer)
  packet[0] = 0x80
  packet[1] = payloadType
  view.setUint16(2, seq)
  view.setUint32(4, seq * 960)
  view.setUint32(8, ssrc)
  packet.set(payload, 12)
  return packet
}

/** The payload after the fixed header, the CSRCs and any header extension (mediasoup adds its own). */
function payloadOf(packet: Uint8Array): Uint8Array {
  let offset = 12 + 4 * (packet[0]! & 0x0f)
  if (packet[0]! & 0x10) offset += 4 + 4 * new DataView(packet.buffer, packet.byteOffset).getUint16(offset + 2)
  return packet.subarray(offset)
}

test('a worker forwards RTP from a producer on one transport to a consumer on another', async () => {
  const { router } = await pool.createRouter()
  // Sender side: a plain transport that learns our address from the first packet (comedia).
  const ingress = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: true })
  const producer = await ingress.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }],
      encodings: [{ ssrc: 11111111 }],
    },
  })
  // Receiver side: a plain transport connected to a UDP socket of ours.
  const received: Uint8Array[] = []
  const receiver = await Bun.udpSocket({
    hostname: '127.0.0.1',
    socket: { data: (_socket, data) => void received.push(new Uint8Array(data)) },
  })
  const egress = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false })
  await egress.connect({ ip: '127.0.0.1', port: receiver.port })
  const consumer: types.Consumer = await egress.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities, paused: true })
  await consumer.resume()

  const sender = await Bun.udpSocket({ hostname: '127.0.0.1' })
  const payloads = Array.from({ length: 50 }, (_, i) => new TextEncoder().encode(`opus frame ${i} `.padEnd(40, '.')))
  for (let i = 0; i < payloads.length; i++) {
    sender.send(rtp(100, 1000 + i, 11111111, payloads[i]!), ingress.tuple.localPort, '127.0.0.1')
    await Bun.sleep(2)
  }
  const deadline = Date.now() + 3000
  while (received.filter((p) => p[1]! < 200 || p[1]! > 206).length < payloads.length && Date.now() < deadline) await Bun.sleep(20)

  // With rtcp-mux, RTCP shares the port: its second byte is the packet type 200-206.
  const media = received.filter((p) => p[1]! < 200 || p[1]! > 206)
  expect(media.length).toBe(payloads.length)
  // The consumer's SSRC and payload type are the router's, the payloads are the sender's, in order.
  const consumerSsrc = consumer.rtpParameters.encodings![0]!.ssrc!
  for (let i = 0; i < media.length; i++) {
    const packet = media[i]!
    expect(new DataView(packet.buffer).getUint32(8)).toBe(consumerSsrc)
    expect((packet[1]! & 0x7f)).toBe(consumer.rtpParameters.codecs[0]!.payloadType)
    expect(new TextDecoder().decode(payloadOf(packet))).toBe(new TextDecoder().decode(payloads[i]))
  }
  sender.close()
  receiver.close()
  router.close()
})

test('routers go to the least loaded worker, and a killed worker is replaced and reported', async () => {
  const a = await pool.createRouter()
  const b = await pool.createRouter()
  expect(a.worker).not.toBe(b.worker)
  const victim = pool.workers().find((w) => w.index === a.worker)!
  process.kill(victim.pid, 'SIGKILL')
  const deadline = Date.now() + 5000
  while ((!died.includes(a.worker) || pool.workers().length < 2) && Date.now() < deadline) await Bun.sleep(20)
  expect(died).toContain(a.worker)
  expect(a.router.closed).toBe(true)
  expect(pool.workers()).toHaveLength(2)
  expect(pool.workers().find((w) => w.index === a.worker)!.pid).not.toBe(victim.pid)
  // The replacement takes new routers.
  const c = await pool.createRouter()
  expect(c.router.closed).toBe(false)
  b.router.close()
  c.router.close()
})
