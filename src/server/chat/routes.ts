// Private conversations over HTTP: list yours, and start one (or find the one you already have with the same
// people). Reading and writing them goes over the socket like every chat; the room actor checks membership there.
import { Elysia, t } from 'elysia'
import { MAX_CONVERSATION_MEMBERS } from '../../rooms/constants'
import { MAX_CONVERSATIONS_STARTED, type ConversationStore } from '../../db/conversations'
import type { UserStore } from '../../db/users'
import { authentication, type SessionDeps } from '../auth/session'
import { readJsonBody } from '../body'
import { ApiError } from '../errors'
import type { Logger } from '../log'

export interface ChatRouteDeps extends SessionDeps {
  users: UserStore
  conversations: ConversationStore
  log: Logger
}

export const chatRoutes = (deps: ChatRouteDeps) =>
  new Elysia({ prefix: '/api/chat' })
    .use(authentication(deps))
    .get('/conversations', async ({ user }) => ({ conversations: await deps.conversations.list(user.id) }), { auth: true })
    // @mention completion in the global chat, whose readers are everyone: names starting with what was typed.
    .get('/people', async ({ query }) => ({ people: await deps.users.named(query.prefix, 8) }), {
      auth: true,
      query: t.Object({ prefix: t.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_.-]+$' }) }),
    })
    .post(
      '/conversations',
      async ({ user, request, set }) => {
        const body = (await readJsonBody(request, 4096)) as { usernames?: unknown } | undefined
        const names = body?.usernames
        if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string' && n.trim().length > 0 && n.length <= 64)) {
          throw new ApiError(400, 'invalid_request', 'send { "usernames": ["…"] }: the people to talk with')
        }
        const wanted = [...new Set((names as string[]).map((n) => n.trim().toLowerCase()))]
        if (wanted.length + 1 > MAX_CONVERSATION_MEMBERS) {
          throw new ApiError(400, 'too_many_members', `a conversation holds at most ${MAX_CONVERSATION_MEMBERS} people, you included`)
        }
        const members = []
        for (const name of wanted) {
          const found = await deps.users.byUsername(name)
          if (!found || found.disabled) throw new ApiError(404, 'user_not_found', `no user is called "${name.slice(0, 64)}"`)
          if (found.id === user.id) throw new ApiError(400, 'self_conversation', 'a conversation needs someone besides you')
          members.push(found.id)
        }
        const opened = await deps.conversations.open(user.id, members, new Date())
        if (opened === 'too_many') throw new ApiError(409, 'too_many_conversations', `you may start at most ${MAX_CONVERSATIONS_STARTED} conversations`)
        if (opened.created) deps.log.info({ event: 'chat.conversation_started', userId: user.id, conversation: opened.id, members: members.length + 1 }, 'conversation started')
        set.status = opened.created ? 201 : 200
        const [conversation] = await deps.conversations.list(user.id, opened.id)
        return { conversation: conversation! }
      },
      { auth: true, parse: 'none' },
    )
