// Every setting PartyRoom reads, in one typed place. A wrong value stops the server at start with a message that
// names the variable, instead of surfacing later as a confusing runtime failure.
import { join, resolve } from 'node:path'
import { availableParallelism, hostname, networkInterfaces } from 'node:os'
import { isIP } from 'node:net'
import { existsSync } from 'node:fs'
import type { IceConfig } from '../rooms/ice'

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`)
    this.name = 'ConfigError'
  }
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

export interface Config {
  /** TCP port of the HTTP and WebSocket server; 0 picks a free port. */
  port: number
  host: string
  /** Holds the SQLite database, the generated JWT secret and the vault's files. */
  dataDir: string
  /** When unset, a random secret is generated once and kept in DATA_DIR. */
  jwtSecret: string | undefined
  /** Lifetime of a login token; it slides forward while the user stays active. */
  sessionTtlSeconds: number
  bcryptCost: number
  loginLimitPerUser: number
  /** Who may register until an admin changes it (then the stored setting wins). */
  registration: 'open' | 'invite' | 'closed'
  /** Audit log entries older than this go. */
  auditRetentionDays: number
  loginLimitPerAddress: number
  registerLimitPerAddress: number
  /** Trust X-Forwarded-For / X-Forwarded-Proto from a reverse proxy in front of us. */
  trustProxy: boolean
  logLevel: LogLevel
  /** Built SolidJS client (vite build output). */
  webDir: string
  chat: {
    retentionDays: number
    retentionMaxMessages: number
    retentionIntervalMinutes: number
    messageBurst: number
    messagesPerSecond: number
    presenceGraceMs: number
    /** An author may edit a message this long after sending it. */
    editWindowMs: number
  }
  /** Frames one socket may send per second (bursts of twice that); beyond it they are dropped with an error. */
  wsFramesPerSecond: number
  /** Open WebSockets per user and on the whole server. */
  wsMaxSocketsPerUser: number
  wsMaxSockets: number
  /** Rooms (chats and calls) one user may be in at once. */
  roomsPerUser: number
  vault: {
    /** No share link lives longer than this. */
    shareMaxExpiryDays: number
    quotaBytes: number
    maxFileBytes: number
    /** Unfinished uploads one user, and the whole server, may have open at once. */
    maxOpenUploads: number
    maxOpenUploadsTotal: number
    /** An upload that never received a byte is discarded after this long; one that did, after uploadIdleMs. */
    unusedUploadMs: number
    uploadIdleMs: number
  }
  rooms: {
    maxMembers: number
    maxMembersPerUser: number
    reconnectGraceMs: number
    emptyGraceMs: number
    signalsPerSecond: number
  }
  ice: IceConfig
  /** Bearer token for GET /api/metrics; without it the route does not exist. */
  metricsToken: string | undefined
  /** Serve HTTPS directly with these PEM files (otherwise put a TLS reverse proxy in front). */
  tls: { certFile: string; keyFile: string } | undefined
  sfu: {
    /** mediasoup worker processes; 0 disables the SFU (rooms stay on the mesh). */
    workers: number
    workerBin: string | undefined
    listenIp: string
    announcedAddress: string | undefined
    port: number
    mode: 'auto' | 'mesh' | 'sfu'
    up: number
    down: number
    /** Cameras each receiver gets at most (besides pins and screen shares). */
    lastN: number
    /** Microphones forwarded at once in a room larger than audioAllUpTo. */
    audioSpeakers: number
    audioAllUpTo: number
    /** Consumers one worker carries for a room before newcomers go to a router on another worker. */
    consumersPerWorker: number
    /** Plain RTP transports (unencrypted) for scripted participants. */
    plainRtp: boolean
  }
  /** PostgreSQL instead of the SQLite file (cluster mode). */
  databaseUrl: string | undefined
  databasePoolSize: number
  /** Vault bytes in an S3-compatible bucket instead of DATA_DIR (cluster mode). */
  s3: S3Config | undefined
  /** Nodes coordinating through Redis (cluster mode); without it, one node, in-process. */
  cluster: { redisUrl: string; nodeId: string; prefix: string } | undefined
}

export interface S3Config {
  endpoint: string
  bucket: string
  region: string
  accessKeyId: string
  secretAccessKey: string
  forcePathStyle: boolean
}

/** Documentation of each variable, used by the README table and by error messages. */
export const CONFIG_DOC: ReadonlyArray<{ name: string; default: string; meaning: string }> = [
  { name: 'PORT', default: '8080', meaning: 'HTTP and WebSocket port (0 picks a free port)' },
  { name: 'HOST', default: '0.0.0.0', meaning: 'address to listen on' },
  { name: 'DATA_DIR', default: './data', meaning: 'SQLite database, generated secret, vault files' },
  { name: 'JWT_SECRET', default: 'generated once into DATA_DIR/jwt-secret', meaning: 'HMAC key for login tokens (at least 32 characters)' },
  { name: 'SESSION_TTL_SECONDS', default: '3600', meaning: 'login token lifetime; renewed while the user is active' },
  { name: 'BCRYPT_COST', default: '12', meaning: 'bcrypt work factor for passwords (10-16)' },
  { name: 'REGISTRATION', default: 'open', meaning: 'who may register: open, invite (with an invite link) or closed; an admin can change it at runtime, and the stored choice then wins' },
  { name: 'AUDIT_RETENTION_DAYS', default: '365', meaning: 'the audit log (admin and moderation actions) keeps entries this long' },
  { name: 'LOGIN_LIMIT_PER_USER', default: '10', meaning: 'failed logins per username from one address per minute (ten times that from all addresses only holds back addresses that failed; the owner elsewhere is never locked out)' },
  { name: 'LOGIN_LIMIT_PER_ADDRESS', default: '30', meaning: 'login attempts per client address per minute' },
  { name: 'REGISTER_LIMIT_PER_ADDRESS', default: '20', meaning: 'registrations per client address per minute' },
  { name: 'TRUST_PROXY', default: 'false', meaning: 'use X-Forwarded-For/-Proto from a reverse proxy' },
  { name: 'LOG_LEVEL', default: 'info', meaning: 'debug, info, warn, error or silent' },
  { name: 'WEB_DIR', default: 'dist/web in the project', meaning: 'built web client to serve at /' },
  { name: 'CHAT_RETENTION_DAYS', default: '30', meaning: 'chat messages older than this are deleted (0 keeps them)' },
  { name: 'CHAT_RETENTION_MAX_MESSAGES', default: '100000', meaning: 'newest messages kept per room (0: no cap)' },
  { name: 'CHAT_RETENTION_INTERVAL_MINUTES', default: '60', meaning: 'how often the cleanup runs (also at start)' },
  { name: 'CHAT_MESSAGE_BURST', default: '10', meaning: 'chat messages a user may send at once' },
  { name: 'CHAT_MESSAGES_PER_SECOND', default: '3', meaning: 'sustained chat messages per user per second' },
  { name: 'CHAT_EDIT_WINDOW_SECONDS', default: '900', meaning: 'how long after sending a message its author may edit it' },
  { name: 'WS_FRAMES_PER_SECOND', default: '100', meaning: 'frames one socket may send per second (bursts of twice that)' },
  { name: 'WS_MAX_SOCKETS_PER_USER', default: '16', meaning: 'open WebSocket connections one user may have (tabs and devices); more are refused with 429' },
  { name: 'WS_MAX_SOCKETS', default: '10000', meaning: 'open WebSocket connections the server holds; more are refused with 503' },
  { name: 'ROOMS_PER_USER', default: '20', meaning: 'rooms (the global chat, video rooms) one user may be in at once; more are refused with too_many_rooms' },
  { name: 'VAULT_UPLOADS_PER_USER', default: '10', meaning: 'unfinished vault uploads one user may have open' },
  { name: 'VAULT_UPLOADS_TOTAL', default: '200', meaning: 'unfinished vault uploads open on the whole server' },
  { name: 'VAULT_UNUSED_UPLOAD_SECONDS', default: '600', meaning: 'an upload that never received a byte is discarded after this long' },
  { name: 'VAULT_UPLOAD_IDLE_HOURS', default: '24', meaning: 'an unfinished upload nobody touched for this long is discarded' },
  { name: 'SHARE_MAX_EXPIRY_DAYS', default: '30', meaning: 'the longest a vault share link may live (a link asks for its own expiry up to this; 7 days when it asks for none)' },
  { name: 'VAULT_QUOTA_BYTES', default: '10737418240 (10 GiB)', meaning: 'vault space per user' },
  { name: 'VAULT_MAX_FILE_BYTES', default: '4294967296 (4 GiB)', meaning: 'largest single vault file' },
  { name: 'PRESENCE_GRACE_MS', default: '3000', meaning: 'how long a user with no open tab still shows as present' },
  { name: 'ROOM_MAX_MEMBERS', default: '50 (8 without the SFU)', meaning: 'members one video room holds; more are refused with room_full' },
  { name: 'ROOM_MAX_MEMBERS_PER_USER', default: '2', meaning: 'places one user may take in one call at once (a laptop and a phone); more are refused with too_many_devices' },
  { name: 'ROOM_RECONNECT_GRACE_MS', default: '15000', meaning: 'a call member whose connection dropped keeps its place this long' },
  { name: 'ROOM_EMPTY_GRACE_MS', default: '10000', meaning: 'an empty video room closes after this long' },
  { name: 'ROOM_SIGNALS_PER_SECOND', default: '50', meaning: 'offers, answers and ICE candidates one member may send per second (bursts of 4x)' },
  { name: 'STUN_URLS', default: 'stun:stun.l.google.com:19302', meaning: 'comma-separated STUN URLs given to browsers (empty: none)' },
  { name: 'TURN_URLS', default: '(none)', meaning: 'comma-separated TURN URLs, e.g. turn:turn.example.org:3478?transport=udp' },
  { name: 'TURN_SECRET', default: '(none)', meaning: "coturn's static-auth-secret; required with TURN_URLS" },
  { name: 'SFU_WORKERS', default: 'one per CPU core', meaning: 'mediasoup worker processes (0: no SFU, every room stays a mesh)' },
  { name: 'SFU_LISTEN_IP', default: '0.0.0.0', meaning: 'address the SFU listens on for WebRTC media' },
  { name: 'SFU_ANNOUNCED_ADDRESS', default: 'the first non-internal IPv4 address', meaning: 'address browsers send media to (the public IP behind NAT)' },
  { name: 'SFU_PORT', default: '40000', meaning: 'worker i takes port SFU_PORT+i, UDP and TCP (0: random ports)' },
  { name: 'MEDIASOUP_WORKER_BIN', default: 'found by the install step', meaning: 'path of the mediasoup-worker binary' },
  { name: 'ROOM_MEDIA_MODE', default: 'auto', meaning: 'auto (mesh while small, SFU when large), or pin every room to mesh or sfu' },
  { name: 'ROOM_SFU_AT', default: '4', meaning: 'in auto mode, a room moves to the SFU when it reaches this many members' },
  { name: 'ROOM_MESH_AT', default: '2', meaning: 'in auto mode, a room on the SFU moves back to mesh when down to this many' },
  { name: 'SFU_LAST_N', default: '9', meaning: 'cameras each member receives at most on the SFU: the latest speakers (plus pinned tiles and screen shares); the others show their name' },
  { name: 'SFU_AUDIO_SPEAKERS', default: '4', meaning: 'in a room larger than SFU_AUDIO_ALL_UP_TO, the microphones forwarded at once: the latest speakers' },
  { name: 'SFU_AUDIO_ALL_UP_TO', default: '10', meaning: 'up to this many members every microphone reaches everyone' },
  { name: 'SFU_CONSUMERS_PER_WORKER', default: '500', meaning: "consumers a room puts on one mediasoup worker before newcomers go to a router on another worker (mediasoup's documented figure)" },
  { name: 'SFU_PLAIN_RTP', default: 'false', meaning: 'allow plain (unencrypted) RTP transports for scripted participants; only on a trusted network' },
  { name: 'METRICS_TOKEN', default: '(none: no metrics route)', meaning: 'bearer token that GET /api/metrics requires (at least 16 characters)' },
  { name: 'TLS_CERT_FILE', default: '(none)', meaning: 'PEM certificate chain to serve HTTPS directly (with TLS_KEY_FILE)' },
  { name: 'TLS_KEY_FILE', default: '(none)', meaning: 'PEM private key for TLS_CERT_FILE' },
  { name: 'DATABASE_URL', default: '(none: SQLite in DATA_DIR)', meaning: 'postgres://user:password@host:port/database: accounts, sessions, chat and vault metadata in PostgreSQL (cluster mode)' },
  { name: 'DATABASE_POOL_SIZE', default: '10', meaning: 'connections each node keeps to PostgreSQL' },
  { name: 'REDIS_URL', default: '(none: one node, in-process)', meaning: 'redis://[:password@]host:port[/db]: nodes share chat, presence and calls through Redis (cluster mode; needs DATABASE_URL)' },
  { name: 'REDIS_PREFIX', default: 'partyroom', meaning: "the start of every key and channel this cluster uses in Redis, so several clusters can share one Redis" },
  { name: 'NODE_ID', default: 'host name and process id', meaning: "this node's name in the cluster (health, metrics, logs); letters, digits, . _ -" },
  { name: 'S3_ENDPOINT', default: '(none: vault bytes in DATA_DIR)', meaning: 'URL of an S3-compatible store for vault bytes (cluster mode), e.g. https://s3.eu-west-1.amazonaws.com or http://minio:9000' },
  { name: 'S3_BUCKET', default: '(none)', meaning: 'bucket for vault bytes; required with S3_ENDPOINT' },
  { name: 'S3_REGION', default: 'us-east-1', meaning: "the bucket's region" },
  { name: 'S3_ACCESS_KEY_ID', default: '(none)', meaning: 'access key; required with S3_ENDPOINT' },
  { name: 'S3_SECRET_ACCESS_KEY', default: '(none)', meaning: 'secret key; required with S3_ENDPOINT' },
  { name: 'S3_FORCE_PATH_STYLE', default: 'true', meaning: 'address the bucket as ENDPOINT/BUCKET (MinIO, Swift, Ceph) rather than BUCKET.ENDPOINT' },
  { name: 'TURN_CREDENTIAL_TTL_SECONDS', default: '43200', meaning: 'lifetime of the TURN credentials handed to each member' },
]

type Env = Record<string, string | undefined>

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `expected a whole number, got "${raw}"`)
  const value = Number(raw)
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`)
  return value
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase()
  if (raw === undefined || raw === '') return fallback
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true
  if (['0', 'false', 'no', 'off'].includes(raw)) return false
  throw new ConfigError(name, `expected true or false, got "${env[name]}"`)
}

function iceUrls(env: Env, name: string, fallback: string[], schemes: readonly string[]): string[] {
  const raw = env[name]
  if (raw === undefined) return fallback
  const urls = raw
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean)
  for (const url of urls) {
    const scheme = url.slice(0, url.indexOf(':'))
    if (!schemes.includes(scheme) || url.length <= scheme.length + 1 || /\s/.test(url)) {
      throw new ConfigError(name, `"${url}" is not a ${schemes.join(':/')}: URL`)
    }
  }
  return urls
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name]?.trim()
  if (raw === undefined || raw === '') return fallback
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${raw}"`)
  return raw as T
}

export function loadConfig(env: Env = process.env): Config {
  const jwtSecret = env.JWT_SECRET === '' ? undefined : env.JWT_SECRET
  if (jwtSecret !== undefined && jwtSecret.length < 32) throw new ConfigError('JWT_SECRET', 'must be at least 32 characters')
  const databaseUrl = loadDatabaseUrl(env)
  const sfu = loadSfu(env)
  // A large room needs the SFU: with workers and rooms not pinned to the mesh, 50 by default; else a mesh's 8.
  const sfuPossible = sfu.workers > 0 && sfu.mode !== 'mesh'
  const s3 = loadS3(env)
  // Nodes that share data must sign and check tokens with one key: a key generated into one node's DATA_DIR would
  // make every other node refuse its tokens.
  if ((databaseUrl || s3) && !jwtSecret) {
    throw new ConfigError('JWT_SECRET', `must be set when ${databaseUrl ? 'DATABASE_URL' : 'S3_ENDPOINT'} is: every node sharing the data signs tokens with the same key`)
  }
  const cluster = loadCluster(env, databaseUrl)
  return {
    cluster,
    databaseUrl,
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    s3,
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: env.HOST?.trim() || '0.0.0.0',
    dataDir: resolve(env.DATA_DIR?.trim() || './data'),
    jwtSecret,
    sessionTtlSeconds: integer(env, 'SESSION_TTL_SECONDS', 3600, 60, 30 * 24 * 3600),
    bcryptCost: integer(env, 'BCRYPT_COST', 12, 10, 16),
    loginLimitPerUser: integer(env, 'LOGIN_LIMIT_PER_USER', 10, 1, 1_000_000),
    registration: oneOf(env, 'REGISTRATION', 'open', ['open', 'invite', 'closed'] as const),
    auditRetentionDays: integer(env, 'AUDIT_RETENTION_DAYS', 365, 1, 36_500),
    loginLimitPerAddress: integer(env, 'LOGIN_LIMIT_PER_ADDRESS', 30, 1, 1_000_000),
    registerLimitPerAddress: integer(env, 'REGISTER_LIMIT_PER_ADDRESS', 20, 1, 1_000_000),
    trustProxy: boolean(env, 'TRUST_PROXY', false),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', ['debug', 'info', 'warn', 'error', 'silent'] as const),
    webDir: env.WEB_DIR?.trim() ? resolve(env.WEB_DIR.trim()) : join(import.meta.dir, '../../dist/web'),
    chat: {
      retentionDays: integer(env, 'CHAT_RETENTION_DAYS', 30, 0, 36500),
      retentionMaxMessages: integer(env, 'CHAT_RETENTION_MAX_MESSAGES', 100_000, 0, 1_000_000_000),
      retentionIntervalMinutes: integer(env, 'CHAT_RETENTION_INTERVAL_MINUTES', 60, 1, 7 * 24 * 60),
      messageBurst: integer(env, 'CHAT_MESSAGE_BURST', 10, 1, 1_000_000),
      messagesPerSecond: integer(env, 'CHAT_MESSAGES_PER_SECOND', 3, 1, 1_000_000),
      presenceGraceMs: integer(env, 'PRESENCE_GRACE_MS', 3000, 0, 600_000),
      editWindowMs: integer(env, 'CHAT_EDIT_WINDOW_SECONDS', 900, 0, 30 * 24 * 3600) * 1000,
    },
    wsFramesPerSecond: integer(env, 'WS_FRAMES_PER_SECOND', 100, 1, 1_000_000),
    wsMaxSocketsPerUser: integer(env, 'WS_MAX_SOCKETS_PER_USER', 16, 1, 10_000),
    wsMaxSockets: integer(env, 'WS_MAX_SOCKETS', 10_000, 1, 1_000_000),
    roomsPerUser: integer(env, 'ROOMS_PER_USER', 20, 1, 10_000),
    vault: {
      shareMaxExpiryDays: integer(env, 'SHARE_MAX_EXPIRY_DAYS', 30, 1, 3650),
      quotaBytes: integer(env, 'VAULT_QUOTA_BYTES', 10 * 1024 ** 3, 0, 2 ** 52),
      maxFileBytes: integer(env, 'VAULT_MAX_FILE_BYTES', 4 * 1024 ** 3, 0, 2 ** 52),
      maxOpenUploads: integer(env, 'VAULT_UPLOADS_PER_USER', 10, 1, 10_000),
      maxOpenUploadsTotal: integer(env, 'VAULT_UPLOADS_TOTAL', 200, 1, 1_000_000),
      unusedUploadMs: integer(env, 'VAULT_UNUSED_UPLOAD_SECONDS', 600, 1, 7 * 24 * 3600) * 1000,
      uploadIdleMs: integer(env, 'VAULT_UPLOAD_IDLE_HOURS', 24, 1, 24 * 30) * 3_600_000,
    },
    rooms: {
      maxMembers: integer(env, 'ROOM_MAX_MEMBERS', sfuPossible ? 50 : 8, 2, 1000),
      maxMembersPerUser: integer(env, 'ROOM_MAX_MEMBERS_PER_USER', 2, 1, 1000),
      reconnectGraceMs: integer(env, 'ROOM_RECONNECT_GRACE_MS', 15_000, 0, 600_000),
      emptyGraceMs: integer(env, 'ROOM_EMPTY_GRACE_MS', 10_000, 0, 3_600_000),
      signalsPerSecond: integer(env, 'ROOM_SIGNALS_PER_SECOND', 50, 1, 100_000),
    },
    ice: loadIce(env),
    metricsToken: loadMetricsToken(env),
    tls: loadTls(env),
    sfu,
  }
}

function loadIce(env: Env): IceConfig {
  const turnUrls = iceUrls(env, 'TURN_URLS', [], ['turn', 'turns'])
  const turnSecret = env.TURN_SECRET?.trim() || undefined
  if (turnUrls.length > 0 && !turnSecret) throw new ConfigError('TURN_SECRET', 'is required when TURN_URLS is set')
  return {
    stunUrls: iceUrls(env, 'STUN_URLS', ['stun:stun.l.google.com:19302'], ['stun', 'stuns']),
    turnUrls,
    turnSecret,
    turnCredentialTtlSeconds: integer(env, 'TURN_CREDENTIAL_TTL_SECONDS', 43_200, 60, 30 * 24 * 3600),
  }
}

function loadMetricsToken(env: Env): string | undefined {
  const token = env.METRICS_TOKEN?.trim()
  if (!token) return undefined
  if (token.length < 16) throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters')
  return token
}

function loadTls(env: Env): Config['tls'] {
  const certFile = env.TLS_CERT_FILE?.trim()
  const keyFile = env.TLS_KEY_FILE?.trim()
  if (!certFile && !keyFile) return undefined
  if (!certFile || !keyFile) throw new ConfigError(certFile ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE', 'TLS_CERT_FILE and TLS_KEY_FILE go together')
  for (const [name, file] of [['TLS_CERT_FILE', certFile], ['TLS_KEY_FILE', keyFile]] as const) {
    if (!existsSync(file)) throw new ConfigError(name, `no such file: ${file}`)
  }
  return { certFile: resolve(certFile), keyFile: resolve(keyFile) }
}

function firstPublicIpv4(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  }
  return '127.0.0.1'
}

function ipAddress(env: Env, name: string, fallback: string): string {
  const raw = env[name]?.trim()
  if (!raw) return fallback
  if (!isIP(raw)) throw new ConfigError(name, `expected an IPv4 or IPv6 address, got "${raw}"`)
  return raw
}

function loadSfu(env: Env): Config['sfu'] {
  const listenIp = ipAddress(env, 'SFU_LISTEN_IP', '0.0.0.0')
  const announced = env.SFU_ANNOUNCED_ADDRESS?.trim()
  if (announced !== undefined && announced !== '' && /\s|\//.test(announced)) {
    throw new ConfigError('SFU_ANNOUNCED_ADDRESS', `expected an IP address or host name, got "${announced}"`)
  }
  const up = integer(env, 'ROOM_SFU_AT', 4, 2, 1000)
  const down = integer(env, 'ROOM_MESH_AT', 2, 1, 1000)
  if (down >= up) throw new ConfigError('ROOM_MESH_AT', `must be below ROOM_SFU_AT (${up}), or rooms would flap`)
  const workerBin = env.MEDIASOUP_WORKER_BIN?.trim() || undefined
  return {
    workers: integer(env, 'SFU_WORKERS', availableParallelism(), 0, 64),
    workerBin,
    listenIp,
    // A wildcard listen address cannot go in an ICE candidate: announce a real one.
    announcedAddress: announced || (listenIp === '0.0.0.0' || listenIp === '::' ? firstPublicIpv4() : undefined),
    port: integer(env, 'SFU_PORT', 40000, 0, 65000),
    mode: oneOf(env, 'ROOM_MEDIA_MODE', 'auto', ['auto', 'mesh', 'sfu'] as const),
    up,
    down,
    lastN: integer(env, 'SFU_LAST_N', 9, 1, 100),
    audioSpeakers: integer(env, 'SFU_AUDIO_SPEAKERS', 4, 1, 32),
    audioAllUpTo: integer(env, 'SFU_AUDIO_ALL_UP_TO', 10, 2, 1000),
    consumersPerWorker: integer(env, 'SFU_CONSUMERS_PER_WORKER', 500, 10, 100_000),
    plainRtp: boolean(env, 'SFU_PLAIN_RTP', false),
  }
}

function loadDatabaseUrl(env: Env): string | undefined {
  const raw = env.DATABASE_URL?.trim()
  if (!raw) return undefined
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError('DATABASE_URL', 'is not a URL; expected postgres://user:password@host:port/database')
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL', `expected a postgres:// URL, got ${url.protocol}// (without DATABASE_URL the embedded SQLite is used)`)
  }
  if (!url.hostname || url.pathname.length <= 1) throw new ConfigError('DATABASE_URL', 'must name a host and a database: postgres://user:password@host:port/database')
  return raw
}

function loadCluster(env: Env, databaseUrl: string | undefined): Config['cluster'] {
  const raw = env.REDIS_URL?.trim()
  if (!raw) return undefined
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError('REDIS_URL', 'is not a URL; expected redis://host:port')
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError('REDIS_URL', `expected a redis:// or rediss:// URL, got ${url.protocol}//`)
  }
  if (!url.hostname) throw new ConfigError('REDIS_URL', 'must name a host: redis://host:port')
  // Nodes that share rooms must share the chat they store and the accounts they check.
  if (!databaseUrl) throw new ConfigError('REDIS_URL', 'needs DATABASE_URL: the nodes of a cluster share one PostgreSQL database')
  const nodeId = env.NODE_ID?.trim() || `${hostname()}-${process.pid}`
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(nodeId)) throw new ConfigError('NODE_ID', 'letters, digits, ".", "_" and "-", at most 64')
  const prefix = env.REDIS_PREFIX?.trim() || 'partyroom'
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(prefix)) throw new ConfigError('REDIS_PREFIX', 'letters, digits, ".", "_" and "-", at most 64')
  return { redisUrl: raw, nodeId, prefix }
}

function loadS3(env: Env): S3Config | undefined {
  const endpoint = env.S3_ENDPOINT?.trim()
  const others = ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const
  if (!endpoint) {
    const stray = others.find((name) => env[name]?.trim())
    if (stray) throw new ConfigError('S3_ENDPOINT', `is required when ${stray} is set`)
    return undefined
  }
  try {
    const url = new URL(endpoint)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error()
  } catch {
    throw new ConfigError('S3_ENDPOINT', `expected an http:// or https:// URL, got "${endpoint}"`)
  }
  for (const name of others) if (!env[name]?.trim()) throw new ConfigError(name, 'is required when S3_ENDPOINT is set')
  const bucket = env.S3_BUCKET!.trim()
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new ConfigError('S3_BUCKET', `"${bucket}" is not a valid bucket name`)
  return {
    endpoint,
    bucket,
    region: env.S3_REGION?.trim() || 'us-east-1',
    accessKeyId: env.S3_ACCESS_KEY_ID!.trim(),
    secretAccessKey: env.S3_SECRET_ACCESS_KEY!.trim(),
    forcePathStyle: boolean(env, 'S3_FORCE_PATH_STYLE', true),
  }
}
