import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startServer, type TestServer } from './support/server'
import { registerAndLogin } from './support/http'
import { TestSocket } from './support/ws'
import { PROTOCOL_VERSION } from '../src/rooms/protocol'

let server: TestServer
let account: Awaited<ReturnType<typeof registerAndLogin>>

beforeAll(async () => {
  server = await startServer()
  account = await registerAndLogin(server.url)
})
afterAll(async () => {
  await server?.dispose()
})

describe('the /ws endpoint', () => {
  test('refuses a connection without a session (401) and with a bad token', async () => {
    await expect(TestSocket.open(server.url)).rejects.toThrow(/401/)
    await expect(TestSocket.open(server.url, { authorization: 'Bearer nope' })).rejects.toThrow(/401/)
  })

  test('greets with the protocol version and the user, and answers a ping', async () => {
    const socket = await TestSocket.open(server.url, { authorization: `Bearer ${account.token}` })
    const hello = await socket.next()
    expect(hello).toEqual({
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      user: { id: account.user.id, username: account.username },
      limits: { maxMessageLength: 4000, editWindowSeconds: 900 },
    })
    socket.send({ type: 'ping', nonce: 'n-1' })
    const pong = await socket.next((f) => f.type === 'pong')
    expect(pong.nonce).toBe('n-1')
    expect(Math.abs(pong.serverTime - Date.now())).toBeLessThan(60_000)
    socket.close()
  })

  test('accepts the session cookie, as a browser sends it', async () => {
    const socket = await TestSocket.open(server.url, { cookie: account.cookie.split(';')[0]! })
    expect((await socket.next()).type).toBe('hello')
    socket.close()
  })

  test('answers every bad frame with an error frame and stays usable', async () => {
    const socket = await TestSocket.open(server.url, { authorization: `Bearer ${account.token}` })
    await socket.next((f) => f.type === 'hello')
    const bad: Array<[unknown, string]> = [
      ['not json', 'malformed_frame'],
      ['[1,2,3]', 'malformed_frame'],
      ['"a string"', 'malformed_frame'],
      ['null', 'malformed_frame'],
      [{ nope: true }, 'invalid_message'],
      [{ type: 'teleport' }, 'unknown_type'],
      [{ type: 42 }, 'invalid_message'],
      [{ type: 'ping', nonce: 7 }, 'invalid_message'],
      [{ type: 'ping', nonce: 'x'.repeat(65) }, 'invalid_message'],
      [{ type: 'ping', extra: 'field' }, 'invalid_message'],
      [new Uint8Array([0, 1, 2, 3]), 'unsupported_frame'],
      [JSON.stringify({ type: 'ping', deep: JSON.parse('['.repeat(500) + ']'.repeat(500)) }), 'invalid_message'],
    ]
    for (const [frame, code] of bad) {
      socket.send(frame)
      const error = await socket.next()
      expect(error.type).toBe('error')
      expect(error.code).toBe(code)
      expect(error.message.length).toBeGreaterThan(5)
    }
    socket.send({ type: 'ping', nonce: 'still alive' })
    expect((await socket.next()).nonce).toBe('still alive')
    socket.close()
  })

  test('a frame over the size limit closes only that connection', async () => {
    const victim = await TestSocket.open(server.url, { authorization: `Bearer ${account.token}` })
    const bystander = await TestSocket.open(server.url, { authorization: `Bearer ${account.token}` })
    await victim.next()
    await bystander.next()
    victim.send(JSON.stringify({ type: 'ping', nonce: 'x'.repeat(200_000) }))
    const closed = await victim.waitClosed()
    expect(closed.code).toBe(1009)
    bystander.send({ type: 'ping', nonce: 'ok' })
    expect((await bystander.next()).nonce).toBe('ok')
    bystander.close()
  })

  test('a client that keeps sending garbage is disconnected with a policy violation', async () => {
    const socket = await TestSocket.open(server.url, { authorization: `Bearer ${account.token}` })
    await socket.next()
    for (let i = 0; i < 60; i++) socket.send('garbage')
    const closed = await socket.waitClosed()
    expect(closed.code).toBe(1008)
  })

  test('a revoked session can no longer connect', async () => {
    const other = await registerAndLogin(server.url)
    await fetch(`${server.url}/api/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${other.token}` } })
    await expect(TestSocket.open(server.url, { authorization: `Bearer ${other.token}` })).rejects.toThrow(/401/)
  })
})
