// Starts the real server (src/server/main.ts) as a child process on a free port with its own temporary DATA_DIR,
// exactly as an operator would, and keeps its log lines for assertions.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SQL, type Subprocess } from 'bun'
import { Database } from 'bun:sqlite'
import { backend, freshBucket, freshPostgres } from './backend'

const ROOT = join(import.meta.dir, '../..')

export interface TestServer {
  url: string
  port: number
  pid: number
  dataDir: string
  /** Every line the server printed so far. */
  logs: string[]
  stop(): Promise<void>
  /** kill -9: no shutdown handler runs. */
  crash(): Promise<void>
  /** Stops the server and starts it again on the same DATA_DIR (new port). */
  restart(): Promise<TestServer>
  /** Removes the DATA_DIR after stopping. */
  dispose(): Promise<void>
  /** Which engine holds its data. */
  dialect: 'sqlite' | 'postgres'
  /** In the cluster pass: its database and bucket. */
  cluster?: ClusterResources
  /** Runs SQL against the server's database (`?` placeholders, portable SQL), as an operator's client would. */
  query<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]>
}

export const TEST_JWT_SECRET = 'test-secret-0123456789abcdef0123456789abcdef'

export interface StartOptions {
  /** The server to run (default: `bun src/server/main.ts` from the project), and where. */
  command?: string[]
  cwd?: string
  /** https:// URLs (the server serves TLS itself). */
  https?: boolean
  /** Run on the embedded engines even in the cluster pass (tests of the embedded defaults themselves). */
  embedded?: boolean
  /** The cluster pass's resources of a server being restarted (internal). */
  cluster?: ClusterResources
}

/** A server's own PostgreSQL database and S3 bucket in the cluster pass. */
export interface ClusterResources {
  env: Record<string, string>
  /** The bucket's object keys and unfinished multipart uploads. */
  bucketKeys(): Promise<string[]>
  multipartUploads(): Promise<string[]>
  dispose(): Promise<void>
}

export async function clusterResources(): Promise<ClusterResources> {
  const [pg, bucket] = await Promise.all([freshPostgres(), freshBucket()])
  let dropped: Promise<void> | undefined
  return {
    env: { DATABASE_URL: pg.url, ...bucket.env, JWT_SECRET: TEST_JWT_SECRET },
    bucketKeys: bucket.keys,
    multipartUploads: bucket.multipartUploads,
    // A restarted server shares them with the one it replaced: whichever is disposed first drops them, once.
    dispose: async () => {
      dropped ??= Promise.all([pg.drop(), bucket.drop()]).then(() => {})
      await dropped
    },
  }
}

export async function startServer(env: Record<string, string> = {}, dataDir?: string, options: StartOptions = {}): Promise<TestServer> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'partyroom-test-'))
  const cluster = options.cluster ?? (backend === 'cluster' && !options.embedded && !env.DATABASE_URL ? await clusterResources() : undefined)
  const logs: string[] = []
  const child: Subprocess<'ignore', 'pipe', 'pipe'> = Bun.spawn(options.command ?? ['bun', join(ROOT, 'src/server/main.ts')], {
    cwd: options.cwd ?? ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dir,
      LOG_LEVEL: 'debug',
      // One mediasoup worker on 127.0.0.1 and a random port: tests run servers side by side.
      SFU_WORKERS: '1',
      SFU_LISTEN_IP: '127.0.0.1',
      SFU_PORT: '0',
      ...cluster?.env,
      ...env,
    },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })

  let listening: number | undefined
  let sfuSettled = (env.SFU_WORKERS ?? '1') === '0'
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time:\n${logs.join('\n')}`)), 20_000)
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder()
      let buffered = ''
      for await (const chunk of stream) {
        buffered += decoder.decode(chunk, { stream: true })
        let newline: number
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline)
          buffered = buffered.slice(newline + 1)
          logs.push(line)
          if (line.includes('"server.listening"')) listening = JSON.parse(line).port
          // The SFU's workers start beside the server; tests start once both are up (or the SFU is off).
          if (line.includes('"sfu.ready"') || line.includes('"sfu.unavailable"')) sfuSettled = true
          if (listening !== undefined && sfuSettled) {
            clearTimeout(timer)
            resolve(listening)
          }
        }
      }
    }
    void collect(child.stdout)
    void collect(child.stderr)
    void child.exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code} before listening:\n${logs.join('\n')}`))
    })
  })

  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM')
      await child.exited
    }
  }
  return {
    url: `${options.https ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    pid: child.pid,
    dataDir: dir,
    logs,
    stop,
    async crash() {
      child.kill('SIGKILL')
      await child.exited
    },
    async restart() {
      await stop()
      return startServer(env, dir, { ...options, cluster })
    },
    dialect: cluster || env.DATABASE_URL ? 'postgres' : 'sqlite',
    cluster,
    async query<T>(text: string, ...params: unknown[]): Promise<T[]> {
      const url = cluster?.env.DATABASE_URL ?? env.DATABASE_URL
      if (url) {
        const client = new SQL({ url, max: 1 })
        try {
          let n = 0
          return (await client.unsafe(text.replace(/\?/g, () => `$${++n}`), params as never[])) as T[]
        } finally {
          await client.close()
        }
      }
      const db = new Database(join(dir, 'partyroom.sqlite'))
      try {
        return db.query(text).all(...(params as never[])) as T[]
      } finally {
        db.close()
      }
    },
    async dispose() {
      await stop()
      await cluster?.dispose()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Runs the server's entry point to completion (for configuration errors) and returns its exit code and output. */
export async function runServerExpectingExit(env: Record<string, string>): Promise<{ code: number; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'partyroom-test-'))
  const child = Bun.spawn(['bun', join(ROOT, 'src/server/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  const [code, out, err] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()])
  clearTimeout(timer)
  rmSync(dir, { recursive: true, force: true })
  return { code, output: out + err }
}
