// A real TURN server for the tests: Debian's coturn (`turnserver`), on 127.0.0.1 only, with the shared-secret
// credentials PartyRoom hands out (TURN_SECRET), relaying to loopback peers (the pages and the SFU are all on
// 127.0.0.1 here). `npm test` installs the package.
import { existsSync } from 'node:fs'

export const TURNSERVER = '/usr/bin/turnserver'

export interface TurnServer {
  /** For TURN_URLS: UDP and TCP on the same port. */
  urls: string
  secret: string
  /** Allocations coturn has made so far (from its log), to show that media went through it. */
  allocations(): number
  /** coturn's log so far (a restart is marked by a line "--- restarted ---"). */
  log(): string
  /** Stops it and starts it again on the same port with the same secret: every allocation it held is gone. */
  restart(): Promise<void>
  stop(): Promise<void>
}

async function freeUdpPort(): Promise<number> {
  const socket = await Bun.udpSocket({ hostname: '127.0.0.1', port: 0 })
  const port = socket.port
  socket.close()
  return port
}

export async function startTurn(): Promise<TurnServer> {
  if (!existsSync(TURNSERVER)) throw new Error(`coturn not found at ${TURNSERVER}: run "npm test", which installs it`)
  const port = await freeUdpPort()
  // Relayed ports above Linux's ephemeral range (32768-60999), so they meet no port the OS hands out; a thousand,
  // because an allocation keeps its port for its lifetime (10 minutes) after a page is gone without releasing it:
  // with 100, a benchmark of a few dozen relayed joins ran out and a join got no media.
  const relayFrom = 61_000 + Math.floor(Math.random() * 4) * 1000
  const secret = `turn-secret-${crypto.randomUUID()}`
  let log = ''
  const spawn = async () => {
    const child = Bun.spawn(
      [
        TURNSERVER,
        '--listening-ip=127.0.0.1',
        '--relay-ip=127.0.0.1',
        `--listening-port=${port}`,
        `--min-port=${relayFrom}`,
        `--max-port=${relayFrom + 999}`,
        '--use-auth-secret',
        `--static-auth-secret=${secret}`,
        '--realm=partyroom.test',
        '--allow-loopback-peers',
        '--no-tls',
        '--no-dtls',
        '--no-cli',
        '--no-multicast-peers',
        '--fingerprint',
        // Its log on stdout (coturn's --log-file wrote nothing here), read as it comes.
        '--log-file=stdout',
        '--verbose',
      ],
      { stdout: 'pipe', stderr: 'pipe' },
    )
    void (async () => {
      const decoder = new TextDecoder()
      for await (const chunk of child.stdout) log = (log + decoder.decode(chunk, { stream: true })).slice(-1_000_000)
    })()
    // Ready when it accepts TCP on its port (it opens UDP and TCP together).
    const deadline = Date.now() + 10_000
    for (;;) {
      if (child.exitCode !== null) throw new Error(`turnserver exited with ${child.exitCode}: ${await new Response(child.stderr).text()}`)
      const open = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {}, open() {} } }).then(
        (s) => (s.end(), true),
        () => false,
      )
      if (open) return child
      if (Date.now() > deadline) throw new Error('turnserver did not open its port within 10 s')
      await Bun.sleep(50)
    }
  }
  let child = await spawn()
  return {
    urls: `turn:127.0.0.1:${port}?transport=udp,turn:127.0.0.1:${port}?transport=tcp`,
    secret,
    allocations: () => (log.match(/ALLOCATE processed, success/g) ?? []).length,
    log: () => log,
    async restart() {
      child.kill()
      await child.exited
      log += '\n--- restarted ---\n'
      child = await spawn()
    },
    async stop() {
      child.kill()
      await child.exited
    },
  }
}
