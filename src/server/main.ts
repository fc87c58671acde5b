// Entry point: read configuration, open the database, start the rooms, compose the app, listen, and shut down
// cleanly (pending chat writes flushed, sockets told, database closed) within a bounded time.
import { AuditStore, InviteStore, SettingsStore } from '../db/governance'
import { Moderation } from '../rooms/moderation'
import { FolderStore } from '../db/folders'
import { GrantStore } from '../db/grants'
import { DropStore } from '../db/drops'
import { ShareStore } from '../db/shares'
import { join } from 'node:path'
import { mkdirSync } from 'node:fs'
import { hostname } from 'node:os'
import { ConfigError, loadConfig } from './config'
import { getEmbedded } from './embedded'
import { createLogger } from './log'
import { createApp } from './app'
import { openDatabase, openFailure, type Database } from '../db/database'
import { UserStore } from '../db/users'
import { SessionStore } from '../db/sessions'
import { MessageStore } from '../db/messages'
import { PasswordHasher } from './auth/passwords'
import { loadJwtSecret } from './auth/secret'
import { RoomRegistry } from '../rooms/registry'
import { Inbox } from '../rooms/inbox'
import { ConversationStore } from '../db/conversations'
import { ReadStateStore } from '../db/read-state'
import { SearchIndexer } from '../db/search-index'
import { iceRefreshInSeconds, iceServersFor } from '../rooms/ice'
import { WorkerPool } from '../rooms/sfu/workers'
import { DEFAULT_SESSION_POLICY } from '../rooms/sfu/session'
import { findWorkerBinary } from '../rooms/sfu/worker-binary'
import { ChatRetention } from '../rooms/retention'
import { CloseCode, GLOBAL_ROOM } from '../rooms/protocol'
import { UserQuotas } from '../rooms/quotas'
import { BunBroadcaster } from './ws/broadcaster'
import { LiveSockets } from './ws/live-sockets'
import { FileStore } from '../db/files'
import type { BlobStore } from '../vault/blob-store'
import { LocalBlobStore } from '../vault/local-store'
import { S3BlobStore, describeS3Failure } from '../vault/s3-store'
import { UploadStore } from '../db/uploads'
import { AttemptStore } from '../db/attempts'
import { DatabaseCounters } from './auth/throttle'
import { UploadManager } from '../vault/uploads'
import { Metrics } from './metrics'
import { joinCluster, type ClusterEngines } from '../cluster/node'
import { describeRedisFailure } from '../cluster/redis'
import { ClusterBroadcaster } from '../cluster/broadcaster'
import { ClusterRooms } from '../cluster/relay'
import { LocalRouter } from '../rooms/registry'
import { missingRoomAnswer } from './ws/missing'
import type { EdgeCluster } from './ws/socket'
import type { HealthProbe } from './health'

const DAY_MS = 24 * 60 * 60 * 1000

/** Whether the database answers a trivial query within a second. */
async function databaseAnswers(database: Database): Promise<boolean> {
  const query = database.postgres ? database.postgres`select 1` : Promise.resolve(database.sqlite?.query('select 1').get())
  return Promise.race([query.then(() => true, () => false), Bun.sleep(1000).then(() => false)])
}

/** Set once a stop began: a start still under way gives up instead of finishing. */
let stopping = false

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
  // Until the server listens, a stop has nothing to drain: exit at once (SQLite's journal keeps the file whole).
  const stopBeforeListening = () => process.exit(0)
  process.on('SIGTERM', stopBeforeListening)
  process.on('SIGINT', stopBeforeListening)
  // A compiled binary serves the client and applies the migrations it carries (unless WEB_DIR says otherwise).
  const embedded = getEmbedded()
  if (embedded && !process.env.WEB_DIR) config = { ...config, webDir: embedded.webDir }
  const log = createLogger(config.logLevel)
  mkdirSync(config.dataDir, { recursive: true })
  let database: Database
  try {
    database = await openDatabase({
      url: config.databaseUrl,
      file: join(config.dataDir, 'partyroom.sqlite'),
      migrationsDir: embedded?.migrationsDir,
      poolSize: config.databasePoolSize,
    })
  } catch (error) {
    // A wrong URL, bad credentials, a missing database or an unreachable server: say which, and stop.
    console.error(`partyroom: ${config.databaseUrl ? 'DATABASE_URL' : 'DATA_DIR'}: cannot open the database: ${openFailure(error)}`)
    process.exit(2)
  }
  log.info({ event: 'db.opened', dialect: database.dialect }, database.dialect === 'postgres' ? 'using PostgreSQL' : 'using SQLite')
  const sessions = new SessionStore(database)
  const audit = new AuditStore(database)
  const shares = new ShareStore(database)
  const drops = new DropStore(database)
  const invites = new InviteStore(database)
  // Nodes sharing a database count login attempts in it; one node counts them in memory.
  const attempts = database.dialect === 'postgres' ? new AttemptStore(database) : undefined
  await sessions.deleteExpired(new Date())
  const messages = new MessageStore(database)
  // New messages join the full-text index in bulk, on a thread of its own, a second after they are stored (a search
  // indexes what is still pending first). PostgreSQL keeps its own index.
  const searchIndexer = database.sqlite
    ? new SearchIndexer(join(config.dataDir, 'partyroom.sqlite'), 1000, (message) => log.warn({ event: 'chat.search_index_failed' }, message))
    : undefined
  searchIndexer?.start()
  // A video room's chat ends with the room, and no room outlives the process that held it. With a shared database
  // other nodes' rooms are open right now: their chats end when those rooms close.
  if (database.dialect === 'sqlite') {
    const ended = await messages.deleteVideoRoomChats(GLOBAL_ROOM)
    if (ended > 0) log.info({ event: 'chat.room_chats_ended', removed: ended }, 'chats of video rooms closed by the last stop removed')
  }

  // The SFU's workers start beside everything else (they take a moment); until they are up, or without a worker
  // binary, or with SFU_WORKERS=0, rooms stay on the mesh.
  let metrics: Metrics | undefined
  /** The pool once every worker is up; rooms use it from then on. */
  let pool: WorkerPool | undefined
  /** The pool while it starts too, so a stop at any moment closes the workers already started. */
  let starting: WorkerPool | undefined
  const poolStarting = (async () => {
    if (config.sfu.workers === 0) return
    const workerBin = findWorkerBinary(config.sfu.workerBin)
    if (!workerBin) {
      log.error({ event: 'sfu.unavailable' }, 'no mediasoup-worker binary found (run npm start, or set MEDIASOUP_WORKER_BIN); rooms stay peer-to-peer')
      return
    }
    starting = WorkerPool.create(
      { workers: config.sfu.workers, workerBin, listenIp: config.sfu.listenIp, announcedAddress: config.sfu.announcedAddress, basePort: config.sfu.port },
      {
        workerStarted: (index, pid) => log.info({ event: 'sfu.worker_started', worker: index, pid }, 'mediasoup worker started'),
        workerDied: (index, routers, error) =>
          log.error({ event: 'sfu.worker_died', worker: index, routers: routers.length, err: error }, 'mediasoup worker died; replacing it'),
        replaceFailed: (index, error) => log.error({ event: 'sfu.worker_replace_failed', worker: index, err: error }, 'could not replace a mediasoup worker yet'),
      },
    )
    try {
      await starting.started()
      if (stopping) return
      pool = starting
      log.info({ event: 'sfu.ready', workers: config.sfu.workers }, 'SFU ready')
    } catch (error) {
      if (stopping) return
      starting.close()
      log.error({ event: 'sfu.unavailable', err: error }, 'mediasoup workers could not start; rooms stay peer-to-peer')
    }
  })()

  // Cluster mode: Redis is reachable before anything else starts, or the node stops here saying why.
  let cluster: ClusterEngines | undefined
  const quotaLimits = { messageBurst: config.chat.messageBurst, messagesPerSecond: config.chat.messagesPerSecond, maxRoomsPerUser: config.roomsPerUser }
  if (config.cluster) {
    try {
      cluster = await joinCluster(config.cluster.redisUrl, config.cluster.nodeId, config.cluster.prefix, quotaLimits)
    } catch (error) {
      console.error(`partyroom: ${describeRedisFailure(error, config.cluster.redisUrl)}`)
      process.exit(2)
    }
    log.info({ event: 'cluster.joined', node: cluster.nodeId }, 'cluster mode: coordinating through Redis')
  }

  const bunBroadcaster = new BunBroadcaster()
  const broadcaster = cluster ? new ClusterBroadcaster((topic, data) => bunBroadcaster.publishText(topic, data), cluster.bus) : bunBroadcaster
  const moderation = new Moderation((entry) => audit.record(entry).catch((error) => log.error({ err: error }, 'audit record failed')))
  const users = new UserStore(database)
  await moderation.start(() => users.moderationSnapshot(new Date()), 5000, (error) => log.warn({ err: error }, 'could not reload roles and chat mutes'))
  const conversations = new ConversationStore(database)
  const rooms = new RoomRegistry({
    moderation,
    store: messages,
    attachments: (wanted) => shares.forChat(wanted, new Date()),
    conversationMembers: (id) => conversations.members(id),
    broadcaster,
    quotas: cluster?.quotas ?? new UserQuotas(quotaLimits),
    limits: {
      messageBurst: config.chat.messageBurst,
      messagesPerSecond: config.chat.messagesPerSecond,
      signalBurst: 20,
      signalsPerSecond: 5,
      presenceGraceMs: config.chat.presenceGraceMs,
      catchUpPage: 500,
      editWindowMs: config.chat.editWindowMs,
    },
    onError: (error, context) => log.error({ err: error, context }, 'room error'),
    onStored: (count) => metrics?.messagesStored(count),
  }, {
    onOpened: (name) => log.info({ event: 'room.opened', room: name }, 'video room opened'),
    onClosed: (name) => log.info({ event: 'room.closed', room: name }, 'video room closed'),
    emptyGraceMs: config.rooms.emptyGraceMs,
    call: {
      limits: {
        maxMembers: config.rooms.maxMembers,
        maxMembersPerUser: config.rooms.maxMembersPerUser,
        reconnectGraceMs: config.rooms.reconnectGraceMs,
        signalBurst: config.rooms.signalsPerSecond * 4,
        signalsPerSecond: config.rooms.signalsPerSecond,
      },
      iceServers: (user) => iceServersFor(config.ice, user.id),
      isStaff: (userId) => moderation.isStaff(userId),
      audit: (entry) => moderation.audit(entry),
      iceRefreshInSeconds: iceRefreshInSeconds(config.ice),
      media: {
        mode: config.sfu.mode,
        up: config.sfu.up,
        down: config.sfu.down,
        drainMs: 10_000,
        pool: () => pool,
        sfu: {
          ...DEFAULT_SESSION_POLICY,
          lastN: config.sfu.lastN,
          audioSpeakers: config.sfu.audioSpeakers,
          audioAllUpTo: config.sfu.audioAllUpTo,
          consumersPerWorker: config.sfu.consumersPerWorker,
          allowPlainRtp: config.sfu.plainRtp,
        },
        onError: (error, context) => log.error({ err: error, context }, 'sfu error'),
        onModeChange: (room, mode, epoch, members, worker) =>
          log.info({ event: 'room.media_mode', room, mode, epoch, members, worker }, mode === 'sfu' ? 'room moved to the SFU' : 'room moved to the mesh'),
      },
    },
  })
  const liveSockets = new LiveSockets(sessions)
  metrics = new Metrics({ rooms, liveSockets, pool: () => pool, node: cluster?.nodeId })
  const missing = missingRoomAnswer(() => rooms.maxCallMembers)
  // One node: every room is here. A cluster: each room on its owner node, commands relayed to it.
  const clusterRooms = cluster
    ? new ClusterRooms(cluster.bus, cluster.directory, rooms, missing, {
        onError: (error, context) => log.warn({ err: error, context }, 'cluster'),
        onOwnership: (room, event, epoch) => log.info({ event: `room.${event}`, room, epoch, node: cluster!.nodeId }, `room ${event}`),
      })
    : undefined
  const router = clusterRooms ?? new LocalRouter(rooms, missing)
  let edgeCluster: EdgeCluster | undefined
  let health: HealthProbe | undefined
  if (cluster && clusterRooms) {
    const { bus, quotas } = cluster
    // Sessions and accounts ended here end on every node; and the other way round.
    liveSockets.announce = (ended) => bus.broadcast({ t: 'ended', ...ended })
    bus.onMessage((message) => {
      if (message.t !== 'ended') return
      const reason = String(message.reason)
      if (typeof message.sessionId === 'string') liveSockets.endSession(message.sessionId, reason, false)
      if (typeof message.userId === 'number') liveSockets.endUser(message.userId, reason, false)
    })
    // A Redis that restarted empty is told again how many sockets each person has here.
    bus.onResumed(() => void quotas.recountSockets(liveSockets.perUser()))
    edgeCluster = {
      nodeId: cluster.nodeId,
      get accepting() {
        return !clusterRooms.draining
      },
      socketsOf: (userId, here) => quotas.socketsOf(userId, here),
      opened: (conn, close) => {
        clusterRooms.opened(conn, close)
        quotas.socketCounted(conn.user.id, 1)
      },
      closed: (conn) => {
        clusterRooms.closed(conn)
        quotas.socketCounted(conn.user.id, -1)
      },
    }
    health = async () => {
      const redis = cluster!.redisUp() && clusterRooms.beating
      const databaseUp = await databaseAnswers(database)
      return {
        status: clusterRooms.draining ? 'draining' : redis && databaseUp ? 'ok' : 'degraded',
        node: cluster!.nodeId,
        rooms: clusterRooms.ownedRooms().length,
        redis,
        database: databaseUp,
      }
    }
    await clusterRooms.start()
  }

  // Vault bytes on local disk, or in the bucket (cluster mode); unfinished uploads are rows and survive restarts.
  const files = new FileStore(database)
  const blobs: BlobStore = config.s3 ? new S3BlobStore(config.s3) : new LocalBlobStore(join(config.dataDir, 'vault'))
  if (config.s3) {
    try {
      await blobs.verify()
    } catch (error) {
      console.error(`partyroom: ${describeS3Failure(error, config.s3)}`)
      process.exit(2)
    }
    log.info({ event: 'vault.store', store: 's3', endpoint: config.s3.endpoint, bucket: config.s3.bucket }, 'vault bytes in S3')
  }
  const vaultLimits = config.vault
  const uploads = new UploadManager(
    files,
    new UploadStore(database),
    blobs,
    vaultLimits,
    Date.now,
    (bytes) => metrics?.vaultBytesIn(bytes),
    `${hostname()}:${config.dataDir}`,
  )
  await uploads.releaseStaleLeases()
  // Bytes no row refers to (a crash between storing and recording): one node on its own disk has nothing under
  // way at start; a bucket shared by nodes is swept with a grace period, in the background.
  const cleaning = blobs.kind === 'local' ? uploads.removeOrphans(0) : Promise.resolve(0)
  const orphans = await cleaning.catch((error) => (log.warn({ err: error }, 'vault cleanup failed'), 0))
  if (orphans > 0) log.info({ event: 'vault.cleanup', orphans }, 'vault cleaned at start')
  if (blobs.kind === 's3') void uploads.removeOrphans().catch((error) => log.warn({ err: error }, 'vault cleanup failed'))
  uploads.start(Math.min(60_000, vaultLimits.unusedUploadMs / 2))

  const app = await createApp({
    config,
    log,
    jwtSecret: loadJwtSecret(config.dataDir, config.jwtSecret),
    users,
    sessions,
    passwords: await PasswordHasher.create(config.bcryptCost),
    rooms,
    router,
    edgeCluster,
    health,
    liveSockets,
    vault: { files, folders: new FolderStore(database), grants: new GrantStore(database), drops, blobs, uploads, limits: vaultLimits, shares, messages },
    metrics,
    counters: attempts ? new DatabaseCounters(attempts) : undefined,
    governance: { settings: new SettingsStore(database), invites, audit },
    moderation,
    chat: { conversations, inbox: new Inbox({ messages, readState: new ReadStateStore(database), conversations, broadcaster }) },
  })
  app.listen({
    port: config.port,
    hostname: config.host,
    ...(config.tls ? { tls: { cert: Bun.file(config.tls.certFile), key: Bun.file(config.tls.keyFile) } } : {}),
  })
  const server = app.server!
  bunBroadcaster.attach(server)
  liveSockets.start(30_000)

  const retention = new ChatRetention(messages, {
    maxAgeMs: config.chat.retentionDays * DAY_MS,
    maxMessagesPerRoom: config.chat.retentionMaxMessages,
    batchSize: 500,
  })
  retention.start(
    config.chat.retentionIntervalMinutes * 60_000,
    (removed) => removed > 0 && log.info({ event: 'chat.retention', removed }, 'old chat messages removed'),
    (error) => log.error({ err: error }, 'chat retention failed'),
  )
  log.info({ event: 'server.listening', host: config.host, port: server.port, tls: config.tls !== undefined, dataDir: config.dataDir }, 'listening')

  const sweep = setInterval(() => {
    void sessions.deleteExpired(new Date()).catch(() => {})
    void shares.deleteEnded(new Date(Date.now() - 30 * DAY_MS)).catch(() => {})
    void drops.deleteEnded(new Date(Date.now() - 30 * DAY_MS)).catch(() => {})
    void invites.deleteEnded(new Date(Date.now() - 7 * DAY_MS)).catch(() => {})
    void audit.deleteBefore(new Date(Date.now() - config.auditRetentionDays * DAY_MS)).catch(() => {})
    void attempts?.deleteExpired(Date.now()).catch(() => {})
  }, 10 * 60_000)
  sweep.unref()

  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ event: 'server.stopping', signal }, 'shutting down')
    const deadline = setTimeout(() => {
      log.error({ event: 'server.stop_timeout' }, 'shutdown took too long; exiting')
      process.exit(1)
    }, 10_000)
    deadline.unref()
    clearInterval(sweep)
    searchIndexer?.stop()
    moderation.stop()
    uploads.stop()
    // Sockets are told why they close and no new frame arrives; then every message already handed to a room is
    // written (and acknowledged where the socket still listens) before the database closes.
    if (clusterRooms) clusterRooms.draining = true
    liveSockets.closeAll(CloseCode.serverShutdown, 'server shutting down')
    await rooms.close()
    // The rooms it owned move: their members on other nodes reconnect through the load balancer and the first join
    // claims each room on a live node; the node leaves the cluster at once rather than when its heartbeat lapses.
    await clusterRooms?.drain()
    await cluster?.close()
    // The workers go whether they are up or still starting; one that is starting is closed as soon as it exists,
    // and nothing waits for a start that a stop interrupted.
    starting?.close()
    await Promise.race([poolStarting, Bun.sleep(300)])
    await retention.stop()
    await server.stop(true)
    await database.close()
    log.info({ event: 'server.stopped' }, 'stopped')
    process.exit(0)
  }
  process.off('SIGTERM', stopBeforeListening)
  process.off('SIGINT', stopBeforeListening)
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}

await main()
