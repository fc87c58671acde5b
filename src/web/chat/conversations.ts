// The person's private conversations, as the server lists them; reloaded when a conversation we did not know about
// shows activity (someone started one with us).
import { createEffect, createResource, on } from 'solid-js'
import { api, errorMessage } from '../api'
import { send } from '../socket/connection'
import { unknownActivity } from './unread'
import type { UserRef } from '../../rooms/protocol'

export interface Conversation {
  id: number
  room: string
  members: UserRef[]
  lastMessageId?: number
  lastMessageAt?: number
}

const [list, { refetch }] = createResource(async () => {
  const { data } = await api.chat.conversations.get()
  return (data?.conversations ?? []) as Conversation[]
})
createEffect(on(unknownActivity, () => void refetch(), { defer: true }))

export { list as conversations, refetch as reloadConversations }

/** "ann, bob": the others in a conversation. */
export const conversationTitle = (conversation: Conversation | undefined, me: number | undefined) =>
  conversation ? conversation.members.filter((m) => m.id !== me).map((m) => m.username).join(', ') || 'just you' : 'Conversation'

/** Starts (or finds) the conversation with these people; its room, or an error to show. */
export async function startConversation(usernames: string[]): Promise<{ conversation?: Conversation; error?: string }> {
  const { data, error } = await api.chat.conversations.post({ usernames })
  if (error) return { error: errorMessage(error) }
  await refetch()
  send({ type: 'chat.unread' })
  return { conversation: data!.conversation as Conversation }
}
