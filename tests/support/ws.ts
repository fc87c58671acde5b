// A WebSocket client for tests that queues incoming frames so a test can await the next one.
export class TestSocket {
  readonly frames: any[] = []
  private waiters: Array<() => void> = []
  closed: { code: number; reason: string } | undefined
  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (event) => {
      const frame = JSON.parse(String(event.data))
      // Tests reason per message: a batch of live messages becomes one chat.message frame each, in order.
      if (frame.type === 'chat.messages') {
        for (const { clientId, ...message } of frame.messages) this.frames.push({ type: 'chat.message', room: frame.room, message, clientId })
      } else this.frames.push(frame)
      this.wake()
    }
    ws.onclose = (event) => {
      this.closed = { code: event.code, reason: event.reason }
      this.wake()
    }
  }

  private wake() {
    const waiters = this.waiters
    this.waiters = []
    for (const waiter of waiters) waiter()
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<TestSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url.replace(/^http/, 'ws') + '/ws', { headers } as any)
      const socket = new TestSocket(ws)
      ws.onopen = () => resolve(socket)
      ws.onerror = (event) => reject(new Error((event as ErrorEvent).message ?? 'websocket error'))
    })
  }

  send(frame: unknown) {
    if (frame instanceof Uint8Array) this.ws.send(new Uint8Array(frame))
    else this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** The next frame matching the predicate (frames before it are consumed), or throws after the timeout. */
  async next(predicate: (frame: any) => boolean = () => true, timeoutMs = 5000): Promise<any> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const index = this.frames.findIndex(predicate)
      if (index >= 0) return this.frames.splice(0, index + 1).pop()
      if (this.closed) throw new Error(`socket closed (${this.closed.code} ${this.closed.reason}) while waiting`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames)}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  /** Waits for a frame matching the predicate without consuming anything; returns every frame queued by then. */
  async until(predicate: (frame: any) => boolean, timeoutMs = 5000): Promise<any[]> {
    const deadline = Date.now() + timeoutMs
    while (!this.frames.some(predicate)) {
      if (this.closed) throw new Error(`socket closed (${this.closed.code} ${this.closed.reason}) while waiting`)
      if (Date.now() > deadline) throw new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames)}`)
      await Bun.sleep(5)
    }
    return [...this.frames]
  }

  /** Everything received before a ping's answer (what the server sent in reply to the frames before it), consumed
   * up to and including that pong. */
  async drain(): Promise<any[]> {
    const nonce = crypto.randomUUID()
    this.send({ type: 'ping', nonce })
    const isPong = (f: any) => f.type === 'pong' && f.nonce === nonce
    const frames = await this.until(isPong)
    await this.next(isPong)
    return frames.slice(0, frames.findIndex(isPong))
  }

  async waitClosed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs
    while (!this.closed && Date.now() < deadline) await Bun.sleep(20)
    if (!this.closed) throw new Error('socket did not close')
    return this.closed
  }

  close() {
    this.ws.close()
  }
}
