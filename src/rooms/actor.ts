// An actor: private state, a mailbox, and one message handled at a time. A handler that awaits keeps the mailbox
// closed until it finishes, so asynchronous steps of one message never interleave with another's.

export abstract class Actor<Message> {
  private readonly mailbox: Array<{ message: Message; done?: (error: unknown, value?: unknown) => void }> = []
  private draining = false

  protected abstract receive(message: Message): unknown | Promise<unknown>

  /** Called with a handler's error for a message that nobody awaits; the actor keeps going. */
  protected abstract failed(message: Message, error: unknown): void

  /** Queues a message; nobody waits for the outcome. */
  tell(message: Message): void {
    this.mailbox.push({ message })
    if (!this.draining) void this.drain()
  }

  /** Queues a message and resolves with what its handler returned. */
  ask<T = unknown>(message: Message): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.mailbox.push({ message, done: (error, value) => (error === undefined ? resolve(value as T) : reject(error)) })
      if (!this.draining) void this.drain()
    })
  }

  private async drain(): Promise<void> {
    this.draining = true
    try {
      for (let entry = this.mailbox.shift(); entry; entry = this.mailbox.shift()) {
        try {
          let result = this.receive(entry.message)
          // Synchronous handlers stay synchronous: no microtask per message on the hot path.
          if (result instanceof Promise) result = await result
          entry.done?.(undefined, result)
        } catch (error) {
          if (entry.done) entry.done(error ?? new Error('actor handler failed'))
          else this.failed(entry.message, error)
        }
      }
    } finally {
      this.draining = false
    }
  }
}
