import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startServer, type TestServer } from './support/server'
import { registerAndLogin } from './support/http'
import { TestSocket } from './support/ws'

type Account = Awaited<ReturnType<typeof registerAndLogin>>

const FAST = {
  CHAT_MESSAGE_BURST: '100000',
  CHAT_MESSAGES_PER_SECOND: '100000',
  PRESENCE_GRACE_MS: '300',
  LOGIN_LIMIT_PER_ADDRESS: '100000',
  REGISTER_LIMIT_PER_ADDRESS: '100000',
}

let server: TestServer
beforeAll(async () => {
  server = await startServer(FAST)
})
afterAll(async () => {
  await server?.dispose()
})

async function connect(target: TestServer, account: Account): Promise<TestSocket> {
  const socket = await TestSocket.open(target.url, { authorization: `Bearer ${account.token}` })
  await socket.next((f) => f.type === 'hello')
  return socket
}

async function joinChat(target: TestServer, account: Account, after?: number) {
  const socket = await connect(target, account)
  socket.send({ type: 'chat.join', room: 'global', ...(after !== undefined ? { after } : {}) })
  const joined = await socket.next((f) => f.type === 'chat.joined')
  return { socket, joined }
}

/** The sender's acknowledgement: its own message coming back with its client id (or an explicit ack for a resend
 * of a message already stored), normalised to { type: 'ack', id, at }; an error frame otherwise. */
function isAckOrError(clientId: string) {
  return (f: any) =>
    ((f.type === 'chat.message' || f.type === 'chat.ack') && f.clientId === clientId) || (f.type === 'error' && f.ref === clientId)
}
function normalise(frame: any) {
  if (frame.type === 'chat.message') return { type: 'ack', id: frame.message.id, at: frame.message.at, message: frame.message }
  if (frame.type === 'chat.ack') return { type: 'ack', id: frame.id, at: frame.at, resend: true }
  return frame
}
async function waitAck(socket: TestSocket, clientId: string) {
  return normalise(await socket.next(isAckOrError(clientId)))
}

let sequence = 0
async function say(socket: TestSocket, text: string) {
  const clientId = `c-${++sequence}`
  socket.send({ type: 'chat.send', room: 'global', clientId, text })
  return { clientId, ack: await waitAck(socket, clientId) }
}

function rows(target: TestServer, query: string, ...params: any[]): Promise<any[]> {
  return target.query(query, ...params)
}

describe('sending and broadcasting', () => {
  test('a message reaches every member once, and the sender gets an ack with the stored id', async () => {
    const accounts = await Promise.all(Array.from({ length: 8 }, () => registerAndLogin(server.url)))
    const members = await Promise.all(accounts.map((a) => joinChat(server, a)))
    const { ack } = await say(members[0]!.socket, 'hello everyone')
    expect(ack.type).toBe('ack')
    expect(ack.id).toBeGreaterThan(0)
    expect(ack.message).toEqual({
      id: ack.id,
      author: { id: accounts[0]!.user.id, username: accounts[0]!.username },
      text: 'hello everyone',
      at: ack.at,
    })
    for (const [i, { socket }] of members.entries()) {
      if (i > 0) {
        const frame = await socket.next((f) => f.type === 'chat.message' && f.message.id === ack.id)
        expect(frame.message).toEqual(ack.message)
      }
      // Exactly once: no second copy behind it, and no separate ack frame for a first send.
      await Bun.sleep(i === 0 ? 100 : 0)
      expect(socket.frames.filter((f) => f.type === 'chat.message' && f.message.id === ack.id)).toHaveLength(0)
      expect(socket.frames.filter((f) => f.type === 'chat.ack')).toHaveLength(0)
    }
    expect(await rows(server, 'select text from messages where id = ?', ack.id)).toEqual([{ text: 'hello everyone' }])
    for (const { socket } of members) socket.close()
  })

  test('every member sees the same order, and each sender its own messages in sending order', async () => {
    const accounts = await Promise.all(Array.from({ length: 3 }, () => registerAndLogin(server.url)))
    const members = await Promise.all(accounts.map((a) => joinChat(server, a)))
    const perSender = 20
    members.forEach(({ socket }, s) => {
      for (let i = 0; i < perSender; i++) socket.send({ type: 'chat.send', room: 'global', clientId: `order-${s}-${i}`, text: `${s}:${i}` })
    })
    const seen: number[][] = []
    for (const { socket } of members) {
      const ids: number[] = []
      const texts: string[] = []
      while (ids.length < perSender * members.length) {
        const frame = await socket.next((f) => f.type === 'chat.message' && /^\d:\d+$/.test(f.message.text))
        ids.push(frame.message.id)
        texts.push(frame.message.text)
      }
      for (let s = 0; s < members.length; s++) {
        const mine = texts.filter((t) => t.startsWith(`${s}:`)).map((t) => Number(t.split(':')[1]))
        expect(mine).toEqual(Array.from({ length: perSender }, (_, i) => i))
      }
      expect([...ids].sort((a, b) => a - b)).toEqual(ids)
      seen.push(ids)
    }
    expect(seen[1]).toEqual(seen[0]!)
    expect(seen[2]).toEqual(seen[0]!)
    for (const { socket } of members) socket.close()
  })

  test('a resend under the same client id is acknowledged with the same id and stored once', async () => {
    const account = await registerAndLogin(server.url)
    const { socket } = await joinChat(server, account)
    const { socket: observer } = await joinChat(server, await registerAndLogin(server.url))
    socket.send({ type: 'chat.send', room: 'global', clientId: 'same-id', text: 'only once' })
    const first = await waitAck(socket, 'same-id')
    socket.send({ type: 'chat.send', room: 'global', clientId: 'same-id', text: 'only once' })
    const second = await waitAck(socket, 'same-id')
    expect(second.resend).toBe(true)
    expect(second.id).toBe(first.id)
    await Bun.sleep(200)
    expect(observer.frames.filter((f) => f.type === 'chat.message' && f.message.text === 'only once')).toHaveLength(1)
    observer.close()
    expect(await rows(server, 'select cast(count(*) as integer) as n from messages where client_id = ? and author_id = ?', 'same-id', account.user.id)).toEqual([{ n: 1 }])
    socket.close()
  })

  test('emoji, markup and every script round-trip exactly, live and from history', async () => {
    const account = await registerAndLogin(server.url)
    const { socket } = await joinChat(server, account)
    const texts = [
      'astral 😀🦄🧠 and 𝕳𝖊𝖑𝖑𝖔',
      'family 👨‍👩‍👧‍👦 and 🏳️‍🌈 and 👩🏽‍💻',
      'skin tones 👍🏻👍🏼👍🏽👍🏾👍🏿 flags 🇫🇷🇯🇵',
      '<script>alert(1)</script><img src=x onerror=alert(2)> & "quotes" \'single\'',
      'العربية עברית 中文 日本語 ελληνικά',
      'line one\nline two\ttabbed',
    ]
    const ids: number[] = []
    for (const text of texts) {
      const { ack } = await say(socket, text)
      expect(ack.message.text).toBe(text)
      ids.push(ack.id)
    }
    socket.send({ type: 'chat.history', room: 'global', after: ids[0]! - 1, limit: 100 })
    const history = await socket.next((f) => f.type === 'chat.history')
    const stored = history.messages.filter((m: any) => ids.includes(m.id)).map((m: any) => m.text)
    expect(stored).toEqual(texts)
    socket.close()
  })
})

describe('history and catch-up', () => {
  let own: TestServer
  beforeAll(async () => {
    own = await startServer(FAST)
  })
  afterAll(async () => {
    await own?.dispose()
  })

  test('join brings the latest page; paging back yields everything once, in order', async () => {
    const account = await registerAndLogin(own.url)
    const { socket: writer } = await joinChat(own, account)
    const total = 130
    for (let i = 0; i < total; i++) writer.send({ type: 'chat.send', room: 'global', clientId: `h-${i}`, text: `history ${i}` })
    let acked = 0
    while (acked < total) {
      await waitAck(writer, `h-${acked}`)
      acked++
    }
    const { socket, joined } = await joinChat(own, account)
    expect(joined.messages).toHaveLength(50)
    expect(joined.hasMoreBefore).toBe(true)
    expect(joined.messages.at(-1).text).toBe(`history ${total - 1}`)
    let all = joined.messages
    let hasMore = joined.hasMoreBefore
    while (hasMore) {
      socket.send({ type: 'chat.history', room: 'global', before: all[0].id, limit: 40 })
      const page = await socket.next((f) => f.type === 'chat.history')
      expect(page.direction).toBe('before')
      all = [...page.messages, ...all]
      hasMore = page.hasMore
    }
    expect(all.map((m: any) => m.text)).toEqual(Array.from({ length: total }, (_, i) => `history ${i}`))
    writer.close()
    socket.close()
  })

  test('a client that reconnects with its last id receives exactly what it missed', async () => {
    const reader = await registerAndLogin(own.url)
    const writer = await registerAndLogin(own.url)
    const first = await joinChat(own, reader)
    const lastSeen = first.joined.messages.at(-1)?.id ?? 0
    first.socket.close()
    await first.socket.waitClosed()

    const { socket: w } = await joinChat(own, writer)
    const sent: number[] = []
    for (let i = 0; i < 7; i++) sent.push((await say(w, `missed ${i}`)).ack.id)

    const again = await joinChat(own, reader, lastSeen)
    expect(again.joined.hasMoreAfter).toBe(false)
    expect(again.joined.messages.map((m: any) => m.id)).toEqual(sent)
    expect(again.joined.messages.map((m: any) => m.text)).toEqual(Array.from({ length: 7 }, (_, i) => `missed ${i}`))

    // And from then on, live messages follow with no gap.
    const { ack } = await say(w, 'after the catch-up')
    const live = await again.socket.next((f) => f.type === 'chat.message')
    expect(live.message.id).toBe(ack.id)
    w.close()
    again.socket.close()
  })

  test('messages sent while a client joins are neither lost nor duplicated', async () => {
    const writer = await registerAndLogin(own.url)
    const reader = await registerAndLogin(own.url)
    const { socket: w, joined } = await joinChat(own, writer)
    const start = joined.messages.at(-1)?.id ?? 0
    const count = 60
    const joinAt = 25
    let readerJoin: Promise<Awaited<ReturnType<typeof joinChat>>> | undefined
    for (let i = 0; i < count; i++) {
      w.send({ type: 'chat.send', room: 'global', clientId: `race-${i}`, text: `race ${i}` })
      if (i === joinAt) readerJoin = joinChat(own, reader, start)
    }
    const { socket: r, joined: readerJoined } = await readerJoin!
    const ids = new Set<number>(readerJoined.messages.map((m: any) => m.id))
    expect(readerJoined.messages.every((m: any) => m.text.startsWith('race '))).toBe(true)
    const seen: string[] = readerJoined.messages.map((m: any) => m.text)
    while (seen.length < count) {
      const frame = await r.next((f) => f.type === 'chat.message')
      expect(ids.has(frame.message.id)).toBe(false)
      ids.add(frame.message.id)
      seen.push(frame.message.text)
    }
    expect(seen).toEqual(Array.from({ length: count }, (_, i) => `race ${i}`))
    w.close()
    r.close()
  })

  test('a restart keeps the history', async () => {
    const account = await registerAndLogin(own.url)
    const { socket } = await joinChat(own, account)
    const { ack } = await say(socket, 'survives a restart')
    socket.close()
    own = await own.restart()
    const { socket: again, joined } = await joinChat(own, account)
    expect(joined.messages.at(-1)).toMatchObject({ id: ack.id, text: 'survives a restart' })
    again.close()
  })
})

describe('presence and typing', () => {
  test('a user with two tabs joins once and leaves after the last tab closes, after the grace period', async () => {
    const observer = await registerAndLogin(server.url)
    const user = await registerAndLogin(server.url)
    const { socket: watch } = await joinChat(server, observer)
    const tab1 = await joinChat(server, user)
    expect(tab1.joined.members.map((m: any) => m.id)).toContain(user.user.id)
    const joinEvent = await watch.next((f) => f.type === 'chat.presence' && f.user.id === user.user.id)
    expect(joinEvent.event).toBe('join')
    const tab2 = await joinChat(server, user)
    tab1.socket.close()
    await Bun.sleep(600) // longer than the grace period: the second tab keeps the user present
    expect(watch.frames.filter((f) => f.type === 'chat.presence' && f.user.id === user.user.id)).toHaveLength(0)
    tab2.socket.close()
    const leave = await watch.next((f) => f.type === 'chat.presence' && f.user.id === user.user.id)
    expect(leave.event).toBe('leave')
    watch.close()
  })

  test('a reload within the grace period shows no leave and no join', async () => {
    const observer = await registerAndLogin(server.url)
    const user = await registerAndLogin(server.url)
    const { socket: watch } = await joinChat(server, observer)
    const first = await joinChat(server, user)
    await watch.next((f) => f.type === 'chat.presence' && f.user.id === user.user.id && f.event === 'join')
    first.socket.close()
    const second = await joinChat(server, user)
    await Bun.sleep(600)
    expect(watch.frames.filter((f) => f.type === 'chat.presence' && f.user.id === user.user.id)).toHaveLength(0)
    second.socket.close()
    watch.close()
  })

  test('typing is relayed to the others', async () => {
    const a = await registerAndLogin(server.url)
    const b = await registerAndLogin(server.url)
    const { socket: sa } = await joinChat(server, a)
    const { socket: sb } = await joinChat(server, b)
    sa.send({ type: 'chat.typing', room: 'global', typing: true })
    const typing = await sb.next((f) => f.type === 'chat.typing' && f.user.id === a.user.id)
    expect(typing.typing).toBe(true)
    sa.close()
    sb.close()
  })
})

describe('reactions', () => {
  test('are counted per emoji, persisted, broadcast, and can be removed', async () => {
    const a = await registerAndLogin(server.url)
    const b = await registerAndLogin(server.url)
    const { socket: sa } = await joinChat(server, a)
    const { socket: sb } = await joinChat(server, b)
    const { ack } = await say(sa, 'react to me')
    sa.send({ type: 'chat.react', room: 'global', messageId: ack.id, emoji: '👍🏽', on: true })
    sb.send({ type: 'chat.react', room: 'global', messageId: ack.id, emoji: '👍🏽', on: true })
    sb.send({ type: 'chat.react', room: 'global', messageId: ack.id, emoji: '👨‍👩‍👧', on: true })
    let update: any
    do update = await sa.next((f) => f.type === 'chat.reactions' && f.messageId === ack.id)
    while (update.reactions.length < 2)
    expect(update.reactions).toEqual([
      { emoji: '👍🏽', count: 2, userIds: [a.user.id, b.user.id] },
      { emoji: '👨‍👩‍👧', count: 1, userIds: [b.user.id] },
    ])
    sa.send({ type: 'chat.react', room: 'global', messageId: ack.id, emoji: '👍🏽', on: false })
    // The update after the removal: a's thumb is gone, b's stays.
    const removed = await sb.next(
      (f) => f.type === 'chat.reactions' && f.messageId === ack.id && f.reactions.length === 2 && f.reactions[0].count === 1,
    )
    expect(removed.reactions[0]).toEqual({ emoji: '👍🏽', count: 1, userIds: [b.user.id] })

    // A new member sees them in history.
    const { socket: sc, joined } = await joinChat(server, await registerAndLogin(server.url))
    const message = joined.messages.find((m: any) => m.id === ack.id)
    expect(message.reactions.map((r: any) => [r.emoji, r.count])).toEqual([
      ['👍🏽', 1],
      ['👨‍👩‍👧', 1],
    ])
    for (const s of [sa, sb, sc]) s.close()
  })

  test('bad reactions get clear errors', async () => {
    const a = await registerAndLogin(server.url)
    const { socket } = await joinChat(server, a)
    const { ack } = await say(socket, 'target')
    const cases: Array<[object, string]> = [
      [{ messageId: ack.id, emoji: 'abc', on: true }, 'invalid_emoji'],
      [{ messageId: ack.id, emoji: '👍👍', on: true }, 'invalid_emoji'],
      [{ messageId: ack.id, emoji: '<b>', on: true }, 'invalid_emoji'],
      [{ messageId: 999999999, emoji: '👍', on: true }, 'unknown_message'],
      [{ messageId: -1, emoji: '👍', on: true }, 'invalid_message'],
      [{ messageId: ack.id, emoji: '👍' }, 'invalid_message'],
    ]
    for (const [fields, code] of cases) {
      socket.send({ type: 'chat.react', room: 'global', ...fields })
      const error = await socket.next((f) => f.type === 'error')
      expect(error.code).toBe(code)
    }
    socket.close()
  })
})

describe('bad input', () => {
  test('each bad chat frame gets an error naming the problem, and the socket stays usable', async () => {
    const account = await registerAndLogin(server.url)
    const outsider = await connect(server, account)
    outsider.send({ type: 'chat.send', room: 'global', clientId: 'early', text: 'not joined yet' })
    expect(await outsider.next((f) => f.type === 'error')).toMatchObject({ code: 'not_joined', ref: 'early' })
    outsider.send({ type: 'chat.history', room: 'global' })
    expect((await outsider.next((f) => f.type === 'error')).code).toBe('not_joined')
    outsider.close()

    const { socket } = await joinChat(server, account)
    const cases: Array<[object, string]> = [
      [{ type: 'chat.send', room: 'global', clientId: 'e1', text: '' }, 'empty_message'],
      [{ type: 'chat.send', room: 'global', clientId: 'e2', text: '   \n\t  ' }, 'empty_message'],
      [{ type: 'chat.send', room: 'global', clientId: 'e3', text: 'a'.repeat(4001) }, 'message_too_long'],
      [{ type: 'chat.send', room: 'global', clientId: 'e4', text: 'x'.repeat(9000) }, 'invalid_message'],
      [{ type: 'chat.send', room: 'global', clientId: 'e5' }, 'invalid_message'],
      [{ type: 'chat.send', room: 'global', clientId: 'e6', text: 42 }, 'invalid_message'],
      [{ type: 'chat.send', room: 'global', text: 'no client id' }, 'invalid_message'],
      [{ type: 'chat.send', room: 'nowhere', clientId: 'e7', text: 'hi' }, 'not_joined'],
      [{ type: 'chat.send', room: '../etc', clientId: 'e8', text: 'hi' }, 'invalid_message'],
      [{ type: 'chat.join' }, 'invalid_message'],
      [{ type: 'chat.join', room: 'global', after: -5 }, 'invalid_message'],
      [{ type: 'chat.history', room: 'global', limit: 100000 }, 'invalid_message'],
      [{ type: 'chat.history', room: 'global', before: 5, after: 2 }, 'invalid_message'],
      [{ type: 'chat.typing', room: 'global', typing: 'yes' }, 'invalid_message'],
    ]
    for (const [frame, code] of cases) {
      socket.send(frame)
      const error = await socket.next((f) => f.type === 'error')
      expect(error.code).toBe(code)
      expect(error.message.length).toBeGreaterThan(5)
    }
    // In emoji (two UTF-16 units and four bytes each) the byte bound comes first: 3,000 of them (12,000 bytes) are
    // the longest message, one more is refused.
    socket.send({ type: 'chat.send', room: 'global', clientId: 'e9', text: '😀'.repeat(3001) })
    expect(await socket.next((f) => f.type === 'error' && f.ref === 'e9')).toMatchObject({ code: 'message_too_long' })
    const { ack } = await say(socket, '😀'.repeat(3000))
    expect(ack.type).toBe('ack')
    expect(await rows(server, "select cast(count(*) as integer) as n from messages where text = ''")).toEqual([{ n: 0 }])
    socket.close()
  })

  test('a flooding user is throttled with error frames while others are not slowed', async () => {
    const limited = await startServer({ ...FAST, CHAT_MESSAGE_BURST: '5', CHAT_MESSAGES_PER_SECOND: '1' })
    try {
      const flooder = await registerAndLogin(limited.url)
      const calm = await registerAndLogin(limited.url)
      const { socket: f } = await joinChat(limited, flooder)
      const { socket: c } = await joinChat(limited, calm)
      for (let i = 0; i < 30; i++) f.send({ type: 'chat.send', room: 'global', clientId: `flood-${i}`, text: `flood ${i}` })
      let acks = 0
      let limitedErrors = 0
      while (acks + limitedErrors < 30) {
        const frame = await f.next((x) => (x.type === 'chat.message' && x.clientId?.startsWith('flood-')) || x.type === 'error')
        if (frame.type === 'chat.message') acks++
        else {
          expect(frame.code).toBe('rate_limited')
          expect(frame.ref).toMatch(/^flood-/)
          expect(frame.retryAfterMs).toBeGreaterThan(0)
          limitedErrors++
        }
      }
      expect(acks).toBe(5)
      expect(limitedErrors).toBe(25)
      const { ack } = await say(c, 'I am not slowed')
      expect(ack.type).toBe('ack')
      // Only acknowledged messages were stored.
      expect(await rows(limited, "select cast(count(*) as integer) as n from messages where text like 'flood %'")).toEqual([{ n: 5 }])
      f.close()
      c.close()
    } finally {
      await limited.dispose()
    }
  })

  test('logging out closes that session’s sockets with close code 4001', async () => {
    const account = await registerAndLogin(server.url)
    const { socket } = await joinChat(server, account)
    await fetch(`${server.url}/api/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${account.token}` } })
    const closed = await socket.waitClosed()
    expect(closed.code).toBe(4001)
  })
})

describe('retention', () => {
  test('runs at start: old messages and their reactions go, newer ones beyond the count cap go too', async () => {
    const own = await startServer({ ...FAST, CHAT_RETENTION_DAYS: '30', CHAT_RETENTION_MAX_MESSAGES: '5' })
    try {
      const account = await registerAndLogin(own.url)
      const { socket } = await joinChat(own, account)
      const ids: number[] = []
      for (let i = 0; i < 8; i++) ids.push((await say(socket, `keep? ${i}`)).ack.id)
      socket.send({ type: 'chat.react', room: 'global', messageId: ids[0]!, emoji: '🎉', on: true })
      await socket.next((f) => f.type === 'chat.reactions')
      socket.close()
      await own.stop()

      // Age the two oldest by 40 days, as if they had been written long ago.
      const aged = Date.now() - 40 * 86_400_000
      if (own.dialect === 'sqlite') await own.query('update messages set created_at = ? where id in (?, ?)', aged, ids[0]!, ids[1]!)
      else await own.query('update messages set created_at = to_timestamp(? / 1000.0) where id in (?, ?)', aged, ids[0]!, ids[1]!)

      const again = await own.restart()
      try {
        await Bun.sleep(300)
        const left = (await rows(again, 'select text from messages order by id')).map((r) => r.text)
        // Age takes the two oldest (with the reaction on the first); the cap keeps the 5 newest of the other six.
        expect(left).toEqual(['keep? 3', 'keep? 4', 'keep? 5', 'keep? 6', 'keep? 7'])
        expect(await rows(again, 'select cast(count(*) as integer) as n from reactions')).toEqual([{ n: 0 }])
        if (again.dialect === 'sqlite') expect(await rows(again, 'pragma integrity_check')).toEqual([{ integrity_check: 'ok' }])
      } finally {
        await again.dispose()
      }
    } finally {
      await own.dispose()
    }
  })
})
