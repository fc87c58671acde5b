// Moderation of the chat over real sockets: who may remove which message (its author; a moderator or an admin any),
// a role taken away counting from the very next frame, and chat mutes that hold in every room and across
// reconnects until they end or are lifted. Every refusal is an error frame or a 4xx with a reason.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startServer, type TestServer } from './support/server'
import { registerAndLogin, requestJson, uniqueName } from './support/http'
import { TestSocket } from './support/ws'

type Account = Awaited<ReturnType<typeof registerAndLogin>>

let server: TestServer
let admin: Account
let moderator: Account
let ann: Account
let ben: Account
beforeAll(async () => {
  server = await startServer({ LOGIN_LIMIT_PER_ADDRESS: '100000', REGISTER_LIMIT_PER_ADDRESS: '100000' })
  admin = await registerAndLogin(server.url, uniqueName('root'))
  moderator = await registerAndLogin(server.url, uniqueName('mod'))
  ann = await registerAndLogin(server.url, uniqueName('ann'))
  ben = await registerAndLogin(server.url, uniqueName('ben'))
  expect((await asUser(admin, 'PATCH', `/admin/users/${moderator.user.id}`, { role: 'moderator' })).status).toBe(200)
}, 30_000)
afterAll(async () => {
  await server?.dispose()
})

const asUser = (who: Account, method: string, path: string, body?: unknown) =>
  requestJson(`${server.url}/api${path}`, { method, body, headers: { authorization: `Bearer ${who.token}` } })

async function inChat(account: Account, room = 'global') {
  const socket = await TestSocket.open(server.url, { authorization: `Bearer ${account.token}` })
  await socket.next((f) => f.type === 'hello')
  socket.send({ type: 'chat.join', room })
  const joined = await socket.next((f) => f.type === 'chat.joined')
  return { socket, joined }
}

async function say(socket: TestSocket, text: string, room = 'global'): Promise<number> {
  const clientId = crypto.randomUUID()
  socket.send({ type: 'chat.send', room, clientId, text })
  const frame = await socket.next((f) => (f.type === 'chat.message' && f.clientId === clientId) || (f.type === 'error' && f.ref === clientId))
  if (frame.type === 'error') throw new Error(`${frame.code}: ${frame.message}`)
  return frame.message.id
}

describe('removing messages', () => {
  test('an author removes their own message: everyone sees it go, history keeps its place without its text or reactions', async () => {
    const a = await inChat(ann)
    const b = await inChat(ben)
    const id = await say(a.socket, 'oops, wrong channel')
    b.socket.send({ type: 'chat.react', room: 'global', messageId: id, emoji: '👍', on: true })
    await a.socket.next((f) => f.type === 'chat.reactions' && f.messageId === id)
    a.socket.send({ type: 'chat.delete', room: 'global', messageId: id })
    for (const s of [a.socket, b.socket]) {
      expect(await s.next((f) => f.type === 'chat.removed')).toEqual({ type: 'chat.removed', room: 'global', messageId: id, by: { id: ann.user.id, username: ann.username }, at: expect.any(Number) })
    }
    const later = await inChat(ben)
    const stored = later.joined.messages.find((m: any) => m.id === id)
    expect(stored).toEqual({ id, author: { id: ann.user.id, username: ann.username }, text: '', at: expect.any(Number), removed: true })
    // Removing it again, or a message that does not exist, says so.
    a.socket.send({ type: 'chat.delete', room: 'global', messageId: id })
    expect(await a.socket.next((f) => f.type === 'error')).toMatchObject({ code: 'unknown_message', about: 'chat.delete' })
    a.socket.send({ type: 'chat.delete', room: 'global', messageId: 99_999_999 })
    expect(await a.socket.next((f) => f.type === 'error')).toMatchObject({ code: 'unknown_message' })
    for (const s of [a, b, later]) s.socket.close()
  }, 30_000)

  test("a member cannot remove someone else's message; a moderator can, and it is audited; a demoted moderator cannot, from the next frame", async () => {
    const a = await inChat(ann)
    const b = await inChat(ben)
    const m = await inChat(moderator)
    const first = await say(a.socket, 'first')
    const second = await say(a.socket, 'second')

    b.socket.send({ type: 'chat.delete', room: 'global', messageId: first })
    expect(await b.socket.next((f) => f.type === 'error')).toMatchObject({ code: 'forbidden', about: 'chat.delete', room: 'global' })

    m.socket.send({ type: 'chat.delete', room: 'global', messageId: first })
    expect(await a.socket.next((f) => f.type === 'chat.removed')).toMatchObject({ messageId: first, by: { id: moderator.user.id } })
    const audit = (await asUser(admin, 'GET', '/admin/audit?limit=5')).body.entries
    expect(audit[0]).toMatchObject({
      action: 'chat.delete',
      actor: { id: moderator.user.id, username: moderator.username },
      target: { id: ann.user.id, username: ann.username },
      detail: { room: 'global', messageId: first },
    })

    // Demoted while its socket stays open: the very next removal is refused.
    await asUser(admin, 'PATCH', `/admin/users/${moderator.user.id}`, { role: 'member' })
    m.socket.send({ type: 'chat.delete', room: 'global', messageId: second })
    expect(await m.socket.next((f) => f.type === 'error')).toMatchObject({ code: 'forbidden' })
    await asUser(admin, 'PATCH', `/admin/users/${moderator.user.id}`, { role: 'moderator' })
    m.socket.send({ type: 'chat.delete', room: 'global', messageId: second })
    expect(await a.socket.next((f) => f.type === 'chat.removed')).toMatchObject({ messageId: second })
    for (const s of [a, b, m]) s.socket.close()
  }, 30_000)

  test('a message of another room cannot be removed through this one', async () => {
    const room = uniqueName('side').replace(/_/g, '-')
    const a = await TestSocket.open(server.url, { authorization: `Bearer ${ann.token}` })
    await a.next((f) => f.type === 'hello')
    a.send({ type: 'room.join', room, media: { camera: false, mic: false, screen: false } })
    await a.next((f) => f.type === 'room.joined')
    a.send({ type: 'chat.join', room })
    await a.next((f) => f.type === 'chat.joined')
    const id = await say(a, 'in the side room', room)
    const m = await inChat(moderator)
    m.socket.send({ type: 'chat.delete', room: 'global', messageId: id })
    expect(await m.socket.next((f) => f.type === 'error')).toMatchObject({ code: 'unknown_message' })
    a.close()
    m.socket.close()
  }, 30_000)
})

describe('chat mutes', () => {
  test('a muted member cannot write in any room until unmuted, also after reconnecting; the refusal says how long', async () => {
    const muted = await asUser(moderator, 'PUT', `/admin/users/${ben.user.id}/chat-mute`, { seconds: 600 })
    expect(muted.status).toBe(200)
    expect(Date.parse(muted.body.user.chatMutedUntil) - Date.now()).toBeGreaterThan(590_000)

    const b = await inChat(ben)
    const clientId = crypto.randomUUID()
    b.socket.send({ type: 'chat.send', room: 'global', clientId, text: 'let me speak' })
    const refused = await b.socket.next((f) => f.type === 'error' && f.ref === clientId)
    expect(refused).toMatchObject({ code: 'muted', about: 'chat.send' })
    expect(refused.message).toContain('10 min')
    expect(refused.retryAfterMs).toBeGreaterThan(590_000)

    // A video room's chat too.
    const room = uniqueName('mute').replace(/_/g, '-')
    b.socket.send({ type: 'room.join', room, media: { camera: false, mic: false, screen: false } })
    await b.socket.next((f) => f.type === 'room.joined')
    b.socket.send({ type: 'chat.join', room })
    await b.socket.next((f) => f.type === 'chat.joined')
    await expect(say(b.socket, 'here?', room)).rejects.toThrow(/^muted/)
    b.socket.close()

    // The mute is stored: a new socket (another tab, a reconnect) is muted too.
    const again = await inChat(ben)
    await expect(say(again.socket, 'now?')).rejects.toThrow(/^muted/)

    expect((await asUser(moderator, 'DELETE', `/admin/users/${ben.user.id}/chat-mute`)).body.user.chatMutedUntil).toBeNull()
    expect(await say(again.socket, 'thank you')).toBeGreaterThan(0)
    again.socket.close()
    const actions = (await asUser(admin, 'GET', '/admin/audit?limit=5')).body.entries.map((e: any) => e.action)
    expect(actions.slice(0, 2)).toEqual(['chat.unmute', 'chat.mute'])
  }, 30_000)

  test('who may mute whom: moderators mute members, admins mute moderators, nobody mutes an admin or themselves; bad input is 400', async () => {
    expect((await asUser(ann, 'PUT', `/admin/users/${ben.user.id}/chat-mute`, { seconds: 60 })).body.error.code).toBe('forbidden')
    expect((await asUser(moderator, 'PUT', `/admin/users/${admin.user.id}/chat-mute`, { seconds: 60 })).body.error.code).toBe('forbidden')
    expect((await asUser(moderator, 'PUT', `/admin/users/${moderator.user.id}/chat-mute`, { seconds: 60 })).body.error.code).toBe('forbidden')
    expect((await asUser(admin, 'PUT', `/admin/users/${admin.user.id}/chat-mute`, { seconds: 60 })).body.error.code).toBe('forbidden')
    expect((await asUser(admin, 'PUT', `/admin/users/${moderator.user.id}/chat-mute`, { seconds: 60 })).status).toBe(200)
    expect((await asUser(admin, 'DELETE', `/admin/users/${moderator.user.id}/chat-mute`)).status).toBe(200)
    expect((await asUser(moderator, 'PUT', `/admin/users/${ann.user.id}/chat-mute`, { seconds: 5 })).body.error.code).toBe('invalid_request')
    expect((await asUser(moderator, 'PUT', '/admin/users/99999/chat-mute', { seconds: 60 })).body.error.code).toBe('user_not_found')
    // Nothing was muted by any of the refused requests.
    const a = await inChat(ann)
    expect(await say(a.socket, 'still here')).toBeGreaterThan(0)
    a.socket.close()
  }, 30_000)
})
