// The chat people expect, over the real socket: edits, replies, mentions, unread state, search and private
// conversations, with their rules and bad inputs.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startServer, type TestServer } from './support/server'
import { registerAndLogin, requestJson } from './support/http'
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
let ann: Account
let bob: Account
let cat: Account
beforeAll(async () => {
  server = await startServer(FAST)
  // Names no other test in this server uses, so a search for them finds only this file's messages.
  ann = await registerAndLogin(server.url, `ann_${process.pid % 1000}`)
  bob = await registerAndLogin(server.url, `bob_${process.pid % 1000}`)
  cat = await registerAndLogin(server.url, `cat_${process.pid % 1000}`)
})
afterAll(async () => {
  await server?.dispose()
})

async function connect(account: Account, target = server): Promise<TestSocket> {
  const socket = await TestSocket.open(target.url, { authorization: `Bearer ${account.token}` })
  await socket.next((f) => f.type === 'hello')
  return socket
}

async function join(socket: TestSocket, room = 'global', extra: Record<string, unknown> = {}) {
  socket.send({ type: 'chat.join', room, ...extra })
  return socket.next((f) => (f.type === 'chat.joined' && f.room === room) || (f.type === 'error' && f.about === 'chat.join'))
}

let sequence = 0
/** Sends a message and returns it as stored (the sender's own copy coming back), or the error frame. */
async function say(socket: TestSocket, text: string, extra: Record<string, unknown> = {}, room = 'global') {
  const clientId = `f-${++sequence}`
  socket.send({ type: 'chat.send', room, clientId, text, ...extra })
  const frame = await socket.next((f) => (f.type === 'chat.message' && f.clientId === clientId) || (f.type === 'error' && f.ref === clientId))
  return frame.type === 'error' ? frame : frame.message
}

async function startConversation(from: Account, usernames: string[]) {
  return requestJson(`${server.url}/api/chat/conversations`, { body: { usernames }, headers: { authorization: `Bearer ${from.token}` } })
}

const errorAbout = (about: string) => (f: any) => f.type === 'error' && f.about === about

describe('edits and deletions', () => {
  test('an author edits their message; everyone sees it; history says edited; others may not', async () => {
    const a = await connect(ann)
    const b = await connect(bob)
    await join(a)
    await join(b)
    const original = await say(a, 'the meeting is at 3')
    a.send({ type: 'chat.edit', room: 'global', messageId: original.id, text: 'the meeting is at 4' })
    const seen = await b.next((f) => f.type === 'chat.edited' && f.messageId === original.id)
    expect(seen.text).toBe('the meeting is at 4')
    expect(seen.editedAt).toBeGreaterThanOrEqual(original.at)

    // Someone else's message; an unknown id; an empty text.
    b.send({ type: 'chat.edit', room: 'global', messageId: original.id, text: 'hijacked' })
    expect((await b.next(errorAbout('chat.edit'))).code).toBe('forbidden')
    a.send({ type: 'chat.edit', room: 'global', messageId: 999_999_999, text: 'x' })
    expect((await a.next(errorAbout('chat.edit'))).code).toBe('unknown_message')
    a.send({ type: 'chat.edit', room: 'global', messageId: original.id, text: '   ' })
    expect((await a.next(errorAbout('chat.edit'))).code).toBe('empty_message')

    // A fresh join shows the edited text, marked edited.
    const c = await connect(cat)
    const joined = await join(c)
    const shown = joined.messages.find((m: any) => m.id === original.id)
    expect(shown.text).toBe('the meeting is at 4')
    expect(shown.editedAt).toBe(seen.editedAt)

    // A removed message cannot be edited.
    a.send({ type: 'chat.delete', room: 'global', messageId: original.id })
    await b.next((f) => f.type === 'chat.removed' && f.messageId === original.id)
    a.send({ type: 'chat.edit', room: 'global', messageId: original.id, text: 'back' })
    expect((await a.next(errorAbout('chat.edit'))).code).toBe('unknown_message')
    for (const s of [a, b, c]) s.close()
  })

  test('an edit after the window is refused with edit_window_passed', async () => {
    const strict = await startServer({ ...FAST, CHAT_EDIT_WINDOW_SECONDS: '1' })
    try {
      const someone = await registerAndLogin(strict.url)
      const socket = await connect(someone, strict)
      await join(socket)
      const message = await say(socket, 'typo hre')
      socket.send({ type: 'chat.edit', room: 'global', messageId: message.id, text: 'typo here' })
      await socket.next((f) => f.type === 'chat.edited')
      await Bun.sleep(1200)
      socket.send({ type: 'chat.edit', room: 'global', messageId: message.id, text: 'too late' })
      const refused = await socket.next(errorAbout('chat.edit'))
      expect(refused.code).toBe('edit_window_passed')
      const [row] = await strict.query<{ text: string }>('select text from messages where id = ?', message.id)
      expect(row!.text).toBe('typo here')
      socket.close()
    } finally {
      await strict.dispose()
    }
  })

  test('a client that was away catches up on edits, removals and reactions, not only new messages', async () => {
    const a = await connect(ann)
    await join(a)
    const first = await say(a, 'catch-up one')
    const second = await say(a, 'catch-up two')
    const third = await say(a, 'catch-up three')
    const b = await connect(bob)
    const joined = await join(b)
    const lastId = joined.messages.at(-1).id
    b.close()

    a.send({ type: 'chat.edit', room: 'global', messageId: first.id, text: 'catch-up one, edited' })
    await a.next((f) => f.type === 'chat.edited')
    a.send({ type: 'chat.delete', room: 'global', messageId: second.id })
    await a.next((f) => f.type === 'chat.removed')
    a.send({ type: 'chat.react', room: 'global', messageId: third.id, emoji: '👍', on: true })
    await a.next((f) => f.type === 'chat.reactions')
    const fourth = await say(a, 'catch-up four')

    const again = await connect(bob)
    const caught = await join(again, 'global', { after: lastId, changedSince: joined.syncedAt })
    expect(caught.messages.map((m: any) => m.id)).toEqual([fourth.id])
    const changed = new Map(caught.changed.map((m: any) => [m.id, m]))
    expect((changed.get(first.id) as any).text).toBe('catch-up one, edited')
    expect((changed.get(first.id) as any).editedAt).toBeNumber()
    expect((changed.get(second.id) as any).removed).toBe(true)
    expect((changed.get(third.id) as any).reactions[0].emoji).toBe('👍')
    // Only what changed since: joining again from the new sync point brings nothing.
    again.close()
    const third_ = await connect(bob)
    const quiet = await join(third_, 'global', { after: fourth.id, changedSince: caught.syncedAt })
    expect(quiet.messages).toEqual([])
    expect(quiet.changed).toBeUndefined()
    for (const s of [a, third_]) s.close()
  })
})

describe('replies and mentions', () => {
  test('a reply carries a quote of the original; a removed original shows as removed', async () => {
    const a = await connect(ann)
    const b = await connect(bob)
    await join(a)
    await join(b)
    const question = await say(a, 'who brings the projector?')
    const answer = await say(b, 'I do', { replyTo: question.id })
    expect(answer.replyTo).toEqual({ id: question.id, author: { id: ann.user.id, username: ann.username }, excerpt: 'who brings the projector?' })
    a.send({ type: 'chat.delete', room: 'global', messageId: question.id })
    await a.next((f) => f.type === 'chat.removed')
    const c = await connect(cat)
    const joined = await join(c)
    expect(joined.messages.find((m: any) => m.id === answer.id).replyTo).toMatchObject({ id: question.id, removed: true, excerpt: '' })
    // An answer to nothing, or to a message of another room, is refused and not stored.
    expect((await say(b, 'to nothing', { replyTo: 999_999_999 })).code).toBe('invalid_reply')
    for (const s of [a, b, c]) s.close()
  })

  test('a mention is resolved, told to the person named, and counted for them; names that cannot read are not', async () => {
    const a = await connect(ann)
    const b = await connect(bob)
    await join(a)
    const sent = await say(a, `hey @${bob.username.toUpperCase()} and @nobody_here_at_all, see this`)
    expect(sent.mentions).toEqual([{ id: bob.user.id, username: bob.username }])
    const activity = await b.next((f) => f.type === 'chat.activity' && f.messageId === sent.id)
    expect(activity).toMatchObject({ room: 'global', mention: true, author: { id: ann.user.id } })
    expect(activity.excerpt).toContain('hey @')

    // In a conversation of ann and bob, cat cannot read: naming her resolves to nobody and tells her nothing.
    const started = await startConversation(ann, [bob.username])
    const room = started.body.conversation.room
    const c = await connect(cat)
    await join(a, room)
    const private_ = await say(a, `@${cat.username} should not hear of this, @${bob.username} should`, {}, room)
    expect(private_.mentions).toEqual([{ id: bob.user.id, username: bob.username }])
    await b.next((f) => f.type === 'chat.activity' && f.messageId === private_.id && f.mention === true)
    await Bun.sleep(200)
    expect(c.frames.filter((f) => f.type === 'chat.activity')).toEqual([])
    // An edit that names someone new tells them.
    a.send({ type: 'chat.edit', room: 'global', messageId: sent.id, text: `hey @${cat.username}` })
    const edited = await a.next((f) => f.type === 'chat.edited' && f.messageId === sent.id)
    expect(edited.mentions).toEqual([{ id: cat.user.id, username: cat.username }])
    await c.next((f) => f.type === 'chat.activity' && f.messageId === sent.id && f.mention)
    for (const s of [a, b, c]) s.close()
  })
})

describe('unread state', () => {
  test('follows a person across two tabs, with mentions and "mark as unread"', async () => {
    const dan = await registerAndLogin(server.url)
    const tab1 = await connect(dan)
    const tab2 = await connect(dan)
    await join(tab1)
    tab1.send({ type: 'chat.unread' })
    const start = (await tab1.next((f) => f.type === 'chat.unread')).rooms.find((r: any) => r.room === 'global')
    expect(start.unread).toBe(0)

    const a = await connect(ann)
    await join(a)
    await say(a, 'unread one')
    const mention = await say(a, `unread two for @${dan.username}`)
    const last = await say(a, 'unread three')
    tab2.send({ type: 'chat.unread' })
    const before = (await tab2.next((f) => f.type === 'chat.unread')).rooms.find((r: any) => r.room === 'global')
    expect(before).toMatchObject({ unread: 3, mentions: 1, lastReadId: start.lastReadId })

    // Reading in one tab updates the other.
    tab1.send({ type: 'chat.read', room: 'global', messageId: last.id })
    const synced = await tab2.next((f) => f.type === 'chat.unread')
    expect(synced.rooms).toEqual([{ room: 'global', lastReadId: last.id, unread: 0, mentions: 0 }])
    // Mark as unread from the mention on.
    tab2.send({ type: 'chat.read', room: 'global', messageId: mention.id - 1 })
    const marked = await tab1.next((f) => f.type === 'chat.unread' && f.rooms[0].lastReadId === mention.id - 1)
    expect(marked.rooms[0]).toMatchObject({ unread: 2, mentions: 1 })
    // Not a chat that keeps read state.
    tab1.send({ type: 'chat.read', room: 'some-video-room', messageId: 1 })
    expect((await tab1.next(errorAbout('chat.read'))).code).toBe('invalid_room')
    for (const s of [a, tab1, tab2]) s.close()
  })
})

describe('private conversations', () => {
  test('only its members can read, list, write or learn that it exists', async () => {
    const eve = await registerAndLogin(server.url)
    const fay = await registerAndLogin(server.url)
    const started = await startConversation(eve, [fay.username])
    expect(started.status).toBe(201)
    const { room, id } = started.body.conversation
    expect(room).toBe(`dm:${id}`)
    expect(started.body.conversation.members.map((m: any) => m.username).sort()).toEqual([eve.username, fay.username].sort())
    // Starting it again, from either side, finds the same one.
    const again = await startConversation(fay, [eve.username])
    expect(again.status).toBe(200)
    expect(again.body.conversation.id).toBe(id)

    const e = await connect(eve)
    const f = await connect(fay)
    const c = await connect(cat)
    await join(e, room)
    const secret = await say(e, 'the zebra codeword is xylophone', {}, room)
    const activity = await f.next((x) => x.type === 'chat.activity' && x.room === room)
    expect(activity).toMatchObject({ messageId: secret.id, mention: false })
    const fJoined = await join(f, room)
    expect(fJoined.messages.map((m: any) => m.text)).toEqual(['the zebra codeword is xylophone'])
    // Unread for fay before she reads it.
    f.send({ type: 'chat.unread' })
    const unread = (await f.next((x) => x.type === 'chat.unread')).rooms.find((r: any) => r.room === room)
    expect(unread).toMatchObject({ unread: 1, lastReadId: 0 })

    // cat: not listed; joining, reading, marking, searching it, or one that does not exist: the same answer.
    const listed = await requestJson(`${server.url}/api/chat/conversations`, { headers: { authorization: `Bearer ${cat.token}` } })
    expect(listed.body.conversations.map((x: any) => x.id)).not.toContain(id)
    const refusals = []
    for (const probe of [room, 'dm:999999999']) {
      c.send({ type: 'chat.join', room: probe })
      refusals.push(await c.next(errorAbout('chat.join')))
      c.send({ type: 'chat.read', room: probe, messageId: 1 })
      refusals.push(await c.next(errorAbout('chat.read')))
      c.send({ type: 'chat.search', req: `s-${probe}`, query: 'xylophone', room: probe })
      refusals.push(await c.next(errorAbout('chat.search')))
    }
    expect(refusals.map((r) => [r.code, r.message])).toEqual(Array(6).fill(['unknown_conversation', 'no such conversation']))
    c.send({ type: 'chat.send', room, clientId: 'sneak', text: 'let me in' })
    expect((await c.next((x) => x.type === 'error' && x.ref === 'sneak')).code).toBe('not_joined')
    c.send({ type: 'chat.search', req: 'all', query: 'xylophone' })
    expect((await c.next((x) => x.type === 'chat.search' && x.req === 'all')).hits).toEqual([])
    // A member finds it.
    f.send({ type: 'chat.search', req: 'mine', query: 'xylo' })
    const found = await f.next((x) => x.type === 'chat.search' && x.req === 'mine')
    expect(found.hits.map((h: any) => [h.room, h.message.id])).toEqual([[room, secret.id]])
    // Listed for both members, newest activity first.
    const mine = await requestJson(`${server.url}/api/chat/conversations`, { headers: { authorization: `Bearer ${fay.token}` } })
    expect(mine.body.conversations[0]).toMatchObject({ id, lastMessageId: secret.id })
    const [stored] = await server.query<{ n: number }>('select count(*) as n from messages where room = ?', room)
    expect(Number(stored!.n)).toBe(1)
    for (const s of [e, f, c]) s.close()
  })

  test('bad requests: yourself, unknown people, more than 8, malformed', async () => {
    const auth = { authorization: `Bearer ${ann.token}` }
    const self = await startConversation(ann, [ann.username])
    expect([self.status, self.body.error.code]).toEqual([400, 'self_conversation'])
    const unknown = await startConversation(ann, ['no_such_person_here'])
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'user_not_found'])
    const crowd = await startConversation(ann, ['p1x', 'p2x', 'p3x', 'p4x', 'p5x', 'p6x', 'p7x', 'p8x'])
    expect([crowd.status, crowd.body.error.code]).toEqual([400, 'too_many_members'])
    for (const body of [{}, { usernames: [] }, { usernames: 'bob' }, { usernames: [42] }]) {
      const bad = await requestJson(`${server.url}/api/chat/conversations`, { body, headers: auth })
      expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_request'])
    }
    // A group of three.
    const group = await startConversation(ann, [bob.username, cat.username])
    expect(group.status).toBeOneOf([200, 201])
    expect(group.body.conversation.members).toHaveLength(3)
  })
})

describe('search', () => {
  test('finds every word (prefixes too), newest first, skips removed messages, follows edits; FTS syntax is plain text', async () => {
    const a = await connect(ann)
    await join(a)
    const older = await say(a, 'Quarterly budget review for the aardvark team')
    const newer = await say(a, 'the aardvark budget is approved')
    const removed = await say(a, 'aardvark budget draft (wrong)')
    await say(a, 'unrelated budget line')
    a.send({ type: 'chat.delete', room: 'global', messageId: removed.id })
    await a.next((f) => f.type === 'chat.removed')
    // Searches are budgeted per person (a burst of 10, then 2 a second): wait when told to, as the client does.
    const search = async (query: string, extra: Record<string, unknown> = {}): Promise<any> => {
      const req = `q-${++sequence}`
      a.send({ type: 'chat.search', req, query, ...extra })
      const answer = await a.next((f) => (f.type === 'chat.search' || f.type === 'error') && (f.req === req || f.ref === req))
      if (answer.code !== 'rate_limited') return answer
      await Bun.sleep(answer.retryAfterMs)
      return search(query, extra)
    }
    const hits = await search('AARDVARK budg')
    expect(hits.terms).toEqual(['aardvark', 'budg'])
    expect(hits.hits.map((h: any) => h.message.id)).toEqual([newer.id, older.id])
    // Edited text is what is found.
    a.send({ type: 'chat.edit', room: 'global', messageId: older.id, text: 'Quarterly review for the okapi team' })
    await a.next((f) => f.type === 'chat.edited')
    expect((await search('aardvark budget')).hits.map((h: any) => h.message.id)).toEqual([newer.id])
    expect((await search('okapi')).hits.map((h: any) => h.message.id)).toEqual([older.id])
    // FTS5 and tsquery syntax in the query are plain characters: only its words count.
    for (const query of ['"aardvark', 'aardvark*) (budget', "aardvark' & !budget:*", '-budget | aardvark^', '{aardvark}']) {
      const answer = await search(query)
      expect(answer.type).toBe('chat.search')
      expect(answer.hits.map((h: any) => h.message.id)).toContain(newer.id)
    }
    // Operators are words like any other ("near", "and" are in none of these messages).
    for (const query of ['NEAR(aardvark budget)', 'aardvark AND budget', 'aardvark OR zzzz']) {
      const answer = await search(query)
      expect([answer.type, answer.hits]).toEqual(['chat.search', []])
    }
    expect((await search('*** ')).code).toBe('invalid_query')
    // Too fast: refused with the pause to take.
    const burst = []
    for (let i = 0; i < 12; i++) {
      const req = `burst-${i}`
      a.send({ type: 'chat.search', req, query: 'aardvark' })
      burst.push(await a.next((f) => f.req === req || f.ref === req))
    }
    expect(burst.some((f) => f.code === 'rate_limited' && f.retryAfterMs > 0)).toBe(true)
    // Paging: before the last hit.
    const first = await search('aardvark', { before: newer.id })
    expect(first.hits.map((h: any) => h.message.id)).not.toContain(newer.id)
    a.close()
  })

  test('a hit opens in context: history around a message', async () => {
    const a = await connect(ann)
    await join(a)
    const ids = []
    for (let i = 0; i < 30; i++) ids.push((await say(a, `context line ${i}`)).id)
    a.send({ type: 'chat.history', room: 'global', around: ids[10], limit: 10 })
    const page = await a.next((f) => f.type === 'chat.history' && f.direction === 'around')
    expect(page.messages.map((m: any) => m.id)).toEqual(ids.slice(5, 15))
    expect(page.hasMore).toBe(true)
    expect(page.hasMoreAfter).toBe(true)
    a.close()
  })
})
