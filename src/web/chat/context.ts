import { createContext, useContext } from 'solid-js'
import type { Chat } from './chat-store'

/** The global chat stays joined while the user is logged in, so presence means "in PartyRoom", not "on this page". */
export const GlobalChatContext = createContext<Chat>()

export function useGlobalChat(): Chat {
  const chat = useContext(GlobalChatContext)
  if (!chat) throw new Error('useGlobalChat outside the logged-in shell')
  return chat
}
