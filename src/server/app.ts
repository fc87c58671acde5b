// Composes the server from its feature plugins. Nothing here owns state; rooms and stores are passed in.
import { Elysia } from 'elysia'
import type { Config } from './config'
import type { Logger } from './log'
import type { UserStore } from '../db/users'
import type { SessionStore } from '../db/sessions'
import { errorHandling } from './errors'
import { securityHeaders } from './security-headers'
import { healthRoute, type HealthProbe } from './health'
import { authRoutes } from './auth/routes'
import { socketRoute, type EdgeCluster } from './ws/socket'
import { appShell, webClient } from './web'
import { findShare, shareRoutes, shareState } from './vault/share-routes'
import type { ShareStore } from '../db/shares'
import type { MessageStore } from '../db/messages'
import type { PasswordHasher } from './auth/passwords'
import type { RoomRegistry, RoomRouter } from '../rooms/registry'
import type { Inbox } from '../rooms/inbox'
import type { ConversationStore } from '../db/conversations'
import { chatRoutes } from './chat/routes'
import type { LiveSockets } from './ws/live-sockets'
import type { FileStore } from '../db/files'
import type { BlobStore } from '../vault/blob-store'
import type { UploadManager, VaultLimits } from '../vault/uploads'
import { vaultRoutes } from './vault/routes'
import { folderRoutes } from './vault/folder-routes'
import { grantRoutes } from './vault/grant-routes'
import { dropRoutes, dropState, findDrop } from './vault/drop-routes'
import type { DropStore } from '../db/drops'
import type { FolderStore } from '../db/folders'
import type { GrantStore } from '../db/grants'
import { metricsRoute, type Metrics } from './metrics'
import { requestLog } from './request-log'
import type { Counters } from './auth/throttle'
import { adminRoutes, registrationPolicy } from './admin/routes'
import type { AuditStore, InviteStore, SettingsStore } from '../db/governance'
import type { Moderation } from '../rooms/moderation'

export interface AppDeps {
  config: Config
  log: Logger
  jwtSecret: string
  users: UserStore
  sessions: SessionStore
  passwords: PasswordHasher
  rooms: RoomRegistry
  /** Where the sockets' commands go: the rooms here, or their owners in a cluster. */
  router: RoomRouter
  edgeCluster?: EdgeCluster
  /** What /api/health says beyond "ok" (cluster mode: the node, its rooms, the engines). */
  health?: HealthProbe
  liveSockets: LiveSockets
  vault: { files: FileStore; folders: FolderStore; grants: GrantStore; drops: DropStore; blobs: BlobStore; uploads: UploadManager; limits: VaultLimits; shares: ShareStore; messages: MessageStore }
  metrics: Metrics
  /** Login and registration attempts counted across nodes (cluster mode); in memory otherwise. */
  counters?: Counters
  governance: { settings: SettingsStore; invites: InviteStore; audit: AuditStore }
  moderation: Moderation
  chat: { conversations: ConversationStore; inbox: Inbox }
}

/** The API without the web client: what the typed client (Eden) sees. */
export function createApi(deps: AppDeps) {
  const { config } = deps
  const sessionDeps = {
    secret: deps.jwtSecret,
    sessions: deps.sessions,
    ttlSeconds: config.sessionTtlSeconds,
    trustProxy: config.trustProxy,
  }
  return new Elysia({
    // Upload bodies are streamed to disk, never buffered, so the only cap is the largest file (plus headroom);
    // small JSON routes cap their own bodies.
    serve: { maxRequestBodySize: config.vault.maxFileBytes + 1024 * 1024 },
    websocket: {
      maxPayloadLength: 64 * 1024,
      idleTimeout: 120,
      perMessageDeflate: false,
      // A client that stops reading is cut off once 4 MiB wait for it, instead of growing our memory.
      backpressureLimit: 4 * 1024 * 1024,
      closeOnBackpressureLimit: true,
    },
  })
    .use(errorHandling(deps.log))
    .use(requestLog(deps.log, deps.metrics))
    .use(securityHeaders({ tls: config.tls !== undefined }))
    .use(healthRoute(deps.health))
    .use(metricsRoute(deps.metrics, config.metricsToken))
    .use(
      authRoutes({
        ...sessionDeps,
        users: deps.users,
        passwords: deps.passwords,
        log: deps.log,
        loginLimitPerUser: config.loginLimitPerUser,
        loginLimitPerAddress: config.loginLimitPerAddress,
        registerLimitPerAddress: config.registerLimitPerAddress,
        onSessionEnded: (sessionId) => deps.liveSockets.endSession(sessionId),
        counters: deps.counters,
        registration: () => registrationPolicy(deps.governance.settings, config.registration),
      }),
    )
    .use(
      adminRoutes({
        ...sessionDeps,
        ...deps.governance,
        users: deps.users,
        files: deps.vault.files,
        uploads: deps.vault.uploads,
        rooms: deps.rooms,
        liveSockets: deps.liveSockets,
        log: deps.log,
        defaultRegistration: config.registration,
        moderation: deps.moderation,
      }),
    )
    .use(vaultRoutes({ ...sessionDeps, ...deps.vault, log: deps.log, bytesOut: (bytes) => deps.metrics.vaultBytesOut(bytes) }))
    .use(folderRoutes({ ...sessionDeps, ...deps.vault, log: deps.log, bytesOut: (bytes) => deps.metrics.vaultBytesOut(bytes) }))
    .use(
      dropRoutes({
        ...sessionDeps,
        drops: deps.vault.drops,
        folders: deps.vault.folders,
        uploads: deps.vault.uploads,
        limits: deps.vault.limits,
        log: deps.log,
        maxExpiryDays: config.vault.shareMaxExpiryDays,
        counters: deps.counters,
      }),
    )
    .use(grantRoutes({ ...sessionDeps, ...deps.vault, users: deps.users, log: deps.log, bytesOut: (bytes) => deps.metrics.vaultBytesOut(bytes) }))
    .use(
      shareRoutes({
        ...sessionDeps,
        shares: deps.vault.shares,
        messages: deps.vault.messages,
        files: deps.vault.files,
        blobs: deps.vault.blobs,
        passwords: deps.passwords,
        log: deps.log,
        maxExpiryDays: config.vault.shareMaxExpiryDays,
        counters: deps.counters,
        bytesOut: (bytes) => deps.metrics.vaultBytesOut(bytes),
      }),
    )
    .use(
      socketRoute({
        ...sessionDeps,
        log: deps.log,
        router: deps.router,
        cluster: deps.edgeCluster,
        liveSockets: deps.liveSockets,
        framesPerSecond: config.wsFramesPerSecond,
        maxSocketsPerUser: config.wsMaxSocketsPerUser,
        maxSockets: config.wsMaxSockets,
        moderation: deps.moderation,
        inbox: deps.chat.inbox,
        editWindowSeconds: Math.round(config.chat.editWindowMs / 1000),
      }),
    )
    .use(chatRoutes({ ...sessionDeps, users: deps.users, conversations: deps.chat.conversations, log: deps.log }))
}

export type Api = ReturnType<typeof createApi>

export async function createApp(deps: AppDeps) {
  const shell = appShell(deps.config.webDir)
  return (
    createApi(deps)
      // A share link's page: the app shows it; its status says whether the link still works (404, 410), and search
      // engines are told to keep away.
      .get('/s/:token', async ({ params }) => {
        const found = await findShare(deps.vault.shares, params.token)
        const status = !found ? 404 : shareState(found) === 'live' ? 200 : 410
        return shell(status, { 'x-robots-tag': 'noindex, nofollow' })
      })
      // A file drop's page, the same way.
      .get('/d/:token', async ({ params }) => {
        const found = await findDrop(deps.vault.drops, params.token)
        const status = !found ? 404 : dropState(found.drop) === 'live' ? 200 : 410
        return shell(status, { 'x-robots-tag': 'noindex, nofollow' })
      })
      .use(await webClient(deps.config.webDir))
  )
}
