export function ChatPage() {
  return (
    <section>
      <h1>Chat</h1>
      <p class="muted">The global chat arrives with the chat release.</p>
    </section>
  )
}
