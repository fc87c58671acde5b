// SFU signalling over the real WebSocket against a real mediasoup worker: transports are created, and every bad
// request gets an error frame naming its request id, while the worker and the other members carry on.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startServer, type TestServer } from './support/server'
import { registerAndLogin, uniqueName } from './support/http'
import { TestSocket } from './support/ws'

type Account = Awaited<ReturnType<typeof registerAndLogin>>

let server: TestServer
let alice: Account
let bob: Account
beforeAll(async () => {
  server = await startServer({ ROOM_MEDIA_MODE: 'sfu', ROOM_SIGNALS_PER_SECOND: '5', LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000' })
  ;[alice, bob] = (await Promise.all([1, 2].map(() => registerAndLogin(server.url)))) as [Account, Account]
})
afterAll(async () => {
  await server?.dispose()
})

const media = { camera: true, mic: true, screen: false }
const room = () => uniqueName('sfu').replace(/[^A-Za-z0-9_-]/g, '')

async function joinCall(account: Account, name: string) {
  const socket = await TestSocket.open(server.url, { authorization: `Bearer ${account.token}` })
  await socket.next((f) => f.type === 'hello')
  socket.send({ type: 'room.join', room: name, media })
  const joined = await socket.next((f) => f.type === 'room.joined')
  return { socket, joined }
}

let reqs = 0
async function request(socket: TestSocket, frame: Record<string, unknown>) {
  const req = `r${++reqs}`
  socket.send({ ...frame, req })
  return socket.next((f) => f.req === req || (f.type === 'error' && f.ref === req))
}

describe('SFU signalling', () => {
  test('a room pinned to the SFU hands out router capabilities and WebRTC transports on the worker port', async () => {
    const name = room()
    const a = await joinCall(alice, name)
    expect(a.joined.media.mode).toBe('sfu')
    const caps = a.joined.media.routerRtpCapabilities
    expect(caps.codecs.map((c: { mimeType: string }) => c.mimeType)).toEqual(expect.arrayContaining(['audio/opus', 'video/VP8', 'video/H264']))
    const send = await request(a.socket, { type: 'sfu.transport', room: name, direction: 'send' })
    expect(send).toMatchObject({ type: 'sfu.transport', direction: 'send' })
    expect(send.iceCandidates.map((c: { ip?: string; address?: string; protocol: string }) => [c.address ?? c.ip, c.protocol]).sort()).toEqual([
      ['127.0.0.1', 'tcp'],
      ['127.0.0.1', 'udp'],
    ])
    expect(send.dtlsParameters.fingerprints.length).toBeGreaterThan(0)
    const recv = await request(a.socket, { type: 'sfu.transport', room: name, direction: 'recv', rtpCapabilities: caps })
    expect(recv).toMatchObject({ type: 'sfu.transport', direction: 'recv' })
    // Both transports of every member share the worker's one port.
    expect(recv.iceCandidates[0].port).toBe(send.iceCandidates[0].port)
    a.socket.close()
  })

  test('bad SFU requests get error frames that name the request, and the room carries on', async () => {
    const name = room()
    const a = await joinCall(alice, name)
    const b = await joinCall(bob, name)
    const caps = a.joined.media.routerRtpCapabilities
    const aSend = await request(a.socket, { type: 'sfu.transport', room: name, direction: 'send' })
    const bSend = await request(b.socket, { type: 'sfu.transport', room: name, direction: 'send' })
    const fingerprint = { algorithm: 'sha-256', value: 'AB:'.repeat(31) + 'AB' }
    const opus = { codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 1234 }] }
    const cases: Array<[Record<string, unknown>, string]> = [
      // Consuming before the device is loaded: a receive transport without the device's capabilities.
      [{ type: 'sfu.transport', room: name, direction: 'recv' }, 'invalid_message'],
      [{ type: 'sfu.transport', room: name, direction: 'recv', rtpCapabilities: { codecs: [] } }, 'invalid_capabilities'],
      [{ type: 'sfu.connect', room: name, transportId: 'no-such-transport', dtlsParameters: { fingerprints: [fingerprint] } }, 'unknown_transport'],
      // Bob's transport is not Alice's to use.
      [{ type: 'sfu.connect', room: name, transportId: bSend.id, dtlsParameters: { fingerprints: [fingerprint] } }, 'unknown_transport'],
      [{ type: 'sfu.connect', room: name, transportId: aSend.id, dtlsParameters: { fingerprints: [{ algorithm: 'rot13', value: 'x' }] } }, 'invalid_dtls'],
      [{ type: 'sfu.connect', room: name, transportId: aSend.id, dtlsParameters: { fingerprints: [] } }, 'invalid_message'],
      [{ type: 'sfu.produce', room: name, transportId: aSend.id, kind: 'video', source: 'camera', rtpParameters: { codecs: [{ mimeType: 'video/H265', payloadType: 96, clockRate: 90000 }] } }, 'invalid_rtp_parameters'],
      [{ type: 'sfu.produce', room: name, transportId: aSend.id, kind: 'video', source: 'mic', rtpParameters: opus }, 'invalid_message'],
      [{ type: 'sfu.produce', room: name, transportId: bSend.id, kind: 'audio', source: 'mic', rtpParameters: opus }, 'unknown_transport'],
      [{ type: 'sfu.produce', room: name, transportId: aSend.id, kind: 'audio', source: 'mic', rtpParameters: { codecs: [] } }, 'invalid_message'],
      [{ type: 'sfu.restart-ice', room: name, transportId: 'nope' }, 'unknown_transport'],
    ]
    for (const [frame, code] of cases) {
      const answer = await request(a.socket, frame)
      expect({ frame, got: answer.type === 'error' ? answer.code : answer.type }).toEqual({ frame, got: code })
      expect(answer.message.length).toBeGreaterThan(5)
      // Requests without a reply of their own are paced by the token bucket; give it room.
      await Bun.sleep(210)
    }
    for (const [frame, code] of [
      [{ type: 'sfu.resume', room: name, consumerId: 'nope' }, 'unknown_consumer'],
      [{ type: 'sfu.view', room: name, consumerId: 'nope', paused: true }, 'unknown_consumer'],
      [{ type: 'sfu.producer', room: name, producerId: 'nope', action: 'pause' }, 'unknown_producer'],
    ] as const) {
      a.socket.send(frame)
      expect((await a.socket.next((f) => f.type === 'error')).code).toBe(code)
      await Bun.sleep(210)
    }
    // A valid produce still works, and Bob, who can receive, gets a consumer for it.
    await request(b.socket, { type: 'sfu.transport', room: name, direction: 'recv', rtpCapabilities: caps })
    const produced = await request(a.socket, { type: 'sfu.produce', room: name, transportId: aSend.id, kind: 'audio', source: 'mic', rtpParameters: opus })
    expect(produced).toMatchObject({ type: 'sfu.produced' })
    expect(await b.socket.next((f) => f.type === 'sfu.consumer')).toMatchObject({ member: a.joined.self, source: 'mic', producerId: produced.producerId, kind: 'audio' })
    expect(b.socket.frames.filter((f) => f.type === 'error')).toEqual([])
    a.socket.close()
    b.socket.close()
  })

  test('SFU requests outside the SFU, outside the call, or in a flood are refused', async () => {
    const mesh = await startServer({ ROOM_MEDIA_MODE: 'mesh' })
    try {
      const carol = await registerAndLogin(mesh.url)
      const socket = await TestSocket.open(mesh.url, { authorization: `Bearer ${carol.token}` })
      await socket.next((f) => f.type === 'hello')
      socket.send({ type: 'room.join', room: 'meshy', media })
      expect((await socket.next((f) => f.type === 'room.joined')).media.mode).toBe('mesh')
      expect((await request(socket, { type: 'sfu.transport', room: 'meshy', direction: 'send' })).code).toBe('not_sfu')
      socket.close()
    } finally {
      await mesh.dispose()
    }
    const name = room()
    const a = await joinCall(alice, name)
    const outsider = await TestSocket.open(server.url, { authorization: `Bearer ${bob.token}` })
    await outsider.next((f) => f.type === 'hello')
    expect((await request(outsider, { type: 'sfu.transport', room: name, direction: 'send' })).code).toBe('not_joined')
    for (let i = 0; i < 40; i++) a.socket.send({ type: 'sfu.transport', room: name, direction: 'send', req: `flood${i}` })
    a.socket.send({ type: 'ping' })
    const frames = await a.socket.until((f) => f.type === 'pong')
    await Bun.sleep(500)
    const limited = a.socket.frames.concat(frames).filter((f) => f.type === 'error' && f.code === 'rate_limited')
    expect(limited.length).toBeGreaterThan(10)
    // The worker is fine: a new member still gets a transport.
    const b = await joinCall(bob, name)
    await Bun.sleep(1000)
    expect(await request(b.socket, { type: 'sfu.transport', room: name, direction: 'send' })).toMatchObject({ type: 'sfu.transport' })
    a.socket.close()
    b.socket.close()
    outsider.close()
  })
})
