// Entry point: read configuration, open the database, compose the app, listen, and shut down cleanly.
import { join } from 'node:path'
import { mkdirSync } from 'node:fs'
import { ConfigError, loadConfig } from './config'
import { createLogger } from './log'
import { createApp } from './app'
import { openDatabase } from '../db/database'
import { UserStore } from '../db/users'
import { SessionStore } from '../db/sessions'
import { PasswordHasher } from './auth/passwords'
import { loadJwtSecret } from './auth/secret'

async function main() {
  let config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`partyroom: invalid configuration: ${error.message}`)
      process.exit(2)
    }
    throw error
  }
  const log = createLogger(config.logLevel)
  mkdirSync(config.dataDir, { recursive: true })
  const database = openDatabase(join(config.dataDir, 'partyroom.sqlite'))
  const sessions = new SessionStore(database.db)
  sessions.deleteExpired(new Date())
  const app = await createApp({
    config,
    log,
    jwtSecret: loadJwtSecret(config.dataDir, config.jwtSecret),
    users: new UserStore(database.db),
    sessions,
    passwords: await PasswordHasher.create(config.bcryptCost),
  })
  app.listen({ port: config.port, hostname: config.host })
  const server = app.server!
  log.info({ event: 'server.listening', host: config.host, port: server.port, dataDir: config.dataDir }, 'listening')

  const sweep = setInterval(() => sessions.deleteExpired(new Date()), 10 * 60_000)
  sweep.unref()

  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ event: 'server.stopping', signal }, 'shutting down')
    const deadline = setTimeout(() => process.exit(1), 10_000)
    deadline.unref()
    clearInterval(sweep)
    // Closing the listener and every socket; clients reconnect on their own when the server is back.
    await server.stop(true)
    database.close()
    log.info({ event: 'server.stopped' }, 'stopped')
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}

await main()
