// The call inside a video room: its members, each member's media state and connection state, and the relay of
// mesh signalling between two members. It is part of its Room actor's state: only the Room calls it, from inside
// a command, so nothing here interleaves.
import { randomUUID } from 'node:crypto'
import type { Connection } from './connection'
import type { CallMember, ClientMessageOf, IceServer, MediaSource, MediaState, ServerMessage, UserRef } from './protocol'
import { TokenBucket } from './token-bucket'
import { checkCandidate, checkDescription } from './mesh/signal'
import { DEFAULT_SESSION_POLICY, SfuError, SfuSession, type SessionPolicy } from './sfu/session'
import type { WorkerPool } from './sfu/workers'
import type { HostRequest, MediaMode, MediaModeInfo, SfuRequest, Waiting } from './protocol'
import { HandQueue } from './hands'

export interface CallLimits {
  /** Members a call holds (reconnecting ones included); a join beyond it is refused with room_full. */
  maxMembers: number
  /** Members one user may have in one call at once (a laptop and a phone), so nobody fills a room alone. */
  maxMembersPerUser: number
  /** A member whose socket dropped keeps its place this long, shown as reconnecting, and may resume it. */
  reconnectGraceMs: number
  /** Signalling frames (offers, answers, candidates) one member may send in a burst, and per second after it. */
  signalBurst: number
  signalsPerSecond: number
}

/** When a room moves between the peer-to-peer mesh and the SFU. */
export interface MediaPolicy {
  /** auto: mesh while small, SFU from `up` members, back to mesh at `down`; or pinned to one. */
  mode: 'auto' | MediaMode
  up: number
  down: number
  /** After a switch back to mesh, the SFU keeps forwarding this long so nobody loses a picture meanwhile. */
  drainMs: number
  /** The workers; undefined while they start, or when none could be started: rooms then stay on the mesh. */
  pool: () => WorkerPool | undefined
  /** Last-N, audio by level, the consumer budget per worker, plain RTP. */
  sfu?: SessionPolicy
  onError?: (error: unknown, context: string) => void
  /** The room moved between mesh and SFU (or to a new router), for the logs. */
  onModeChange?: (room: string, mode: MediaMode, epoch: number, members: number, worker: number | undefined) => void
}

export interface CallDeps {
  limits: CallLimits
  /** Admins and moderators: hosts in every room, never kicked, never kept in a lobby. Asked on every use. */
  isStaff?: (userId: number) => boolean
  /** Writes a host's action to the audit log. */
  audit?: (entry: { actor: UserRef; action: string; target?: UserRef; detail?: Record<string, unknown> }) => Promise<void>
  iceServers(user: UserRef): IceServer[]
  /** When a member should ask for fresh ICE servers (its TURN credentials expire); undefined: never. */
  iceRefreshInSeconds?: number
  media?: MediaPolicy
  now?: () => number
}

/** Work a Call asks its actor to do later (timers and mediasoup events arrive outside the actor). */
export type CallTimer = { kind: 'graceExpired'; memberId: string } | { kind: 'step'; step: () => void | Promise<void> }


interface Member {
  id: string
  user: UserRef
  /** Absent while the member's socket is down and it may still resume. */
  conn: Connection | undefined
  /** Join order; in every pair the later joiner is the polite peer. */
  seq: number
  media: MediaState
  signals: TokenBucket
  /** Reactions it may send: a burst, then a few per second. */
  reactions: TokenBucket
  graceTimer?: ReturnType<typeof setTimeout>
  /** Made host (the first member, or named by a host); staff are hosts without it. */
  host: boolean
}

/** People who may wait in one room's lobby at once. */
export const MAX_LOBBY = 20
/** Reactions one member may send in a burst, and per second after it. */
export const REACTION_BURST = 5
export const REACTIONS_PER_SECOND = 1

/** What a host's action did beyond the call itself: who is gone from it (their room quota is freed). */
export interface HostOutcome {
  gone: UserRef[]
}

type Refuse = (conn: Connection, code: string, message: string, extra?: { retryAfterMs?: number; ref?: string }) => void

export class Call {
  private readonly members = new Map<string, Member>()
  private readonly byConn = new Map<string, Member>()
  private nextSeq = 1
  private mode: MediaMode = 'mesh'
  private epoch = 0
  private sfu: SfuSession | undefined
  /** The SFU of an earlier epoch, still forwarding while the members bring their mesh up. */
  private draining: SfuSession | undefined
  private drainTimer: ReturnType<typeof setTimeout> | undefined
  private closed = false
  /** Locked: newcomers (not staff) wait in the lobby until a host admits them. */
  private locked = false
  private readonly lobby = new Map<string, Waiting & { conn: Connection; media: MediaState }>()
  /** Users a host removed: they cannot come back while the room is open. */
  private readonly banned = new Set<number>()
  private readonly hands = new HandQueue()

  constructor(
    private readonly room: string,
    private readonly deps: CallDeps,
    private readonly refuse: Refuse,
    /** Hands work to the owning actor (a timer or an event cannot act on the state itself). */
    private readonly later: (work: CallTimer) => void,
  ) {}

  get mediaMode(): MediaModeInfo {
    return { mode: this.mode, epoch: this.epoch, ...(this.mode === 'sfu' && this.sfu ? { routerRtpCapabilities: this.sfu.rtpCapabilities } : {}) }
  }

  /** The SFU state, for tests and metrics. */
  sfuCounts() {
    return this.sfu?.counts()
  }

  get sfuWorker(): number | undefined {
    return this.sfu?.worker
  }

  get size(): number {
    return this.members.size
  }

  /** Members as seen by tests and metrics. */
  list(): Array<{ id: string; user: UserRef; media: MediaState; connected: boolean }> {
    return [...this.members.values()].map((m) => ({ id: m.id, user: m.user, media: { ...m.media }, connected: m.conn !== undefined }))
  }

  /** Whether the user has a member in the call (connected or reconnecting). */
  hasUser(userId: number): boolean {
    for (const member of this.members.values()) if (member.user.id === userId) return true
    return false
  }

  memberOf(conn: Connection): string | undefined {
    return this.byConn.get(conn.id)?.id
  }

  private view(member: Member, viewer: Member): CallMember {
    return {
      id: member.id,
      user: member.user,
      media: member.media,
      connection: member.conn ? 'connected' : 'reconnecting',
      polite: viewer.seq > member.seq,
      host: this.isHost(member),
    }
  }

  private isStaff(userId: number): boolean {
    return this.deps.isStaff?.(userId) ?? false
  }

  private isHost(member: Member): boolean {
    return member.host || this.isStaff(member.user.id)
  }

  /** Sends to every member but one whose socket is up; each frame may depend on the receiver. */
  private tellOthers(except: Member, frame: (receiver: Member) => ServerMessage) {
    for (const member of this.members.values()) if (member !== except && member.conn) member.conn.send(frame(member))
  }

  /** Joins (true), waits in the lobby of a locked room ('waiting'), or is refused (false, with an error frame). */
  async join(conn: Connection, media: MediaState, resume: string | undefined): Promise<boolean | 'waiting'> {
    if (this.byConn.has(conn.id) || [...this.lobby.values()].some((w) => w.conn.id === conn.id)) {
      this.refuse(conn, 'already_joined', `this connection is already in the call in room "${this.room}"`)
      return false
    }
    const previous = resume === undefined ? undefined : this.members.get(resume)
    if (previous && previous.user.id === conn.user.id) {
      // The same page back on a new socket: it keeps its member id, and everyone keeps their peer connection to it.
      clearTimeout(previous.graceTimer)
      previous.graceTimer = undefined
      if (previous.conn) {
        // Its old socket is still open as far as we know (a half-open TCP connection); this one replaces it.
        this.byConn.delete(previous.conn.id)
        previous.conn.send({ type: 'room.left', room: this.room, reason: 'this call continued on another connection' })
      }
      previous.conn = conn
      previous.media = media
      this.byConn.set(conn.id, previous)
      // On the SFU it starts over: frames sent while its socket was down (new consumers) are lost, so its
      // transports go and the page sets up its producers and consumers again from the room.joined.
      this.sfu?.removeMember(previous.id)
      this.draining?.removeMember(previous.id)
      this.sendJoined(previous, true)
      this.tellOthers(previous, () => ({ type: 'room.member-connection', room: this.room, member: previous.id, connection: 'connected' }))
      this.tellOthers(previous, () => ({ type: 'room.media', room: this.room, member: previous.id, media }))
      return true
    }
    // The same person's places that are only waiting for a dropped socket to come back (a reload that said no
    // goodbye, a crashed tab) give way to the new one, instead of lingering as ghosts and filling the room.
    for (const ghost of [...this.members.values()]) if (ghost.user.id === conn.user.id && !ghost.conn) this.remove(ghost)
    const own = [...this.members.values()].filter((m) => m.user.id === conn.user.id).length
    if (own >= this.deps.limits.maxMembersPerUser) {
      this.refuse(conn, 'too_many_devices', `you are already in the call in room "${this.room}" ${own === 1 ? 'once' : `${own} times`}; leave it on another device first`)
      return false
    }
    if (this.members.size >= this.deps.limits.maxMembers) {
      this.refuse(conn, 'room_full', `room "${this.room}" is full (${this.deps.limits.maxMembers} members)`)
      return false
    }
    const staff = this.isStaff(conn.user.id)
    if (this.banned.has(conn.user.id) && !staff) {
      this.refuse(conn, 'kicked', `a host removed you from the call in room "${this.room}"; you cannot rejoin while it is open`)
      return false
    }
    if (this.locked && !staff && this.members.size > 0) {
      if (this.lobby.size >= MAX_LOBBY) {
        this.refuse(conn, 'lobby_full', `room "${this.room}" is locked and ${MAX_LOBBY} people already wait to be let in; try later`)
        return false
      }
      const id = randomUUID()
      this.lobby.set(id, { id, user: conn.user, conn, media })
      conn.send({ type: 'room.waiting', room: this.room })
      this.tellHostsLobby()
      return 'waiting'
    }
    return this.admitMember(conn, media)
  }

  private async admitMember(conn: Connection, media: MediaState): Promise<true> {
    const { limits } = this.deps
    const member: Member = {
      id: randomUUID(),
      user: conn.user,
      conn,
      seq: this.nextSeq++,
      media,
      signals: new TokenBucket(limits.signalBurst, limits.signalsPerSecond, this.deps.now),
      reactions: new TokenBucket(REACTION_BURST, REACTIONS_PER_SECOND, this.deps.now),
      // The first member of a room hosts it.
      host: this.members.size === 0,
    }
    this.members.set(member.id, member)
    this.byConn.set(conn.id, member)
    // Growing past the threshold moves the room to the SFU before the newcomer hears of the mode, so it never
    // starts a mesh it would have to leave at once.
    await this.rebalance(member)
    this.sendJoined(member, false)
    this.tellOthers(member, (receiver) => ({ type: 'room.member-joined', room: this.room, member: this.view(member, receiver) }))
    return true
  }

  private sendJoined(member: Member, resumed: boolean) {
    member.conn!.send({
      type: 'room.joined',
      room: this.room,
      self: member.id,
      resumed,
      members: [...this.members.values()].filter((m) => m !== member).map((m) => this.view(m, member)),
      iceServers: this.deps.iceServers(member.user),
      ...(this.deps.iceRefreshInSeconds ? { iceRefreshInSeconds: this.deps.iceRefreshInSeconds } : {}),
      maxMembers: this.deps.limits.maxMembers,
      host: this.isHost(member),
      locked: this.locked,
      lobby: this.isHost(member) ? this.lobbyList() : [],
      media: this.mediaMode,
      hands: this.hands.order(),
    })
  }

  private lobbyList(): Waiting[] {
    return [...this.lobby.values()].map((w) => ({ id: w.id, user: w.user }))
  }

  private tellHostsLobby() {
    const waiting = this.lobbyList()
    for (const member of this.members.values()) {
      if (member.conn && this.isHost(member)) member.conn.send({ type: 'room.lobby', room: this.room, waiting })
    }
  }

  private tellAll(frame: ServerMessage) {
    for (const member of this.members.values()) member.conn?.send(frame)
  }

  /** When the last host has gone, the member present longest hosts. */
  private keepAHost() {
    const present = [...this.members.values()]
    if (present.length === 0 && this.lobby.size > 0) {
      // Nobody left to let them in: the lock goes, and whoever waits comes in (the first of them hosts).
      this.locked = false
      this.later({ kind: 'step', step: async () => void (await this.admitAll()) })
      return
    }
    if (present.length === 0 || present.some((m) => this.isHost(m))) return
    const eldest = present.reduce((a, b) => (a.seq < b.seq ? a : b))
    eldest.host = true
    this.tellAll({ type: 'room.member-host', room: this.room, member: eldest.id, host: true })
    if (eldest.conn) eldest.conn.send({ type: 'room.lobby', room: this.room, waiting: this.lobbyList() })
  }

  /** A host's action. Anyone else gets `forbidden` and nothing changes. */
  async hostAction(conn: Connection, frame: HostRequest): Promise<HostOutcome> {
    const none: HostOutcome = { gone: [] }
    const actor = this.requireMember(conn)
    if (!actor) return none
    // Asked now: a host whose role was taken away a moment ago is no longer one.
    if (!this.isHost(actor)) {
      this.refuse(conn, 'forbidden', 'only a host of this call may do that')
      return none
    }
    const by = actor.user
    const target = 'member' in frame && frame.type !== 'room.admit' && frame.type !== 'room.deny' ? this.members.get(frame.member) : undefined
    const needTarget = () => {
      this.refuse(conn, 'unknown_member', `no member "${('member' in frame ? frame.member : '').slice(0, 64)}" in room "${this.room}"`)
      return none
    }
    switch (frame.type) {
      case 'room.kick': {
        if (!target) return needTarget()
        if (target === actor) return this.refuse(conn, 'invalid_message', 'leave the call instead of removing yourself'), none
        if (this.isStaff(target.user.id)) return this.refuse(conn, 'forbidden', 'an admin or a moderator cannot be removed from a call'), none
        this.banned.add(target.user.id)
        await this.deps.audit?.({ actor: by, action: 'room.kick', target: target.user, detail: { room: this.room } })
        // Every place of that person goes (another tab too): they cannot come back while the room is open.
        const places = [...this.members.values()].filter((m) => m.user.id === target.user.id)
        for (const place of places) {
          place.conn?.send({ type: 'room.left', room: this.room, reason: `${by.username} removed you from the call`, code: 'kicked', by })
          this.remove(place)
        }
        this.keepAHost()
        return { gone: places.map((p) => p.user) }
      }
      case 'room.mute': {
        if (!target) return needTarget()
        this.mute(target, frame.source, by)
        await this.deps.audit?.({ actor: by, action: 'room.mute', target: target.user, detail: { room: this.room, source: frame.source } })
        return none
      }
      case 'room.mute-all': {
        for (const member of this.members.values()) if (member !== actor && !this.isHost(member) && member.media.mic) this.mute(member, 'mic', by)
        await this.deps.audit?.({ actor: by, action: 'room.mute-all', detail: { room: this.room } })
        return none
      }
      case 'room.lock': {
        if (this.locked === frame.locked) return none
        this.locked = frame.locked
        this.tellAll({ type: 'room.locked', room: this.room, locked: frame.locked, by })
        await this.deps.audit?.({ actor: by, action: frame.locked ? 'room.lock' : 'room.unlock', detail: { room: this.room } })
        // Unlocked: whoever waits comes in.
        if (!frame.locked) return await this.admitAll()
        return none
      }
      case 'room.admit':
      case 'room.deny': {
        const waiting = this.lobby.get(frame.member)
        if (!waiting) return this.refuse(conn, 'unknown_member', `nobody "${frame.member.slice(0, 64)}" waits to join room "${this.room}"`), none
        this.lobby.delete(frame.member)
        this.tellHostsLobby()
        await this.deps.audit?.({ actor: by, action: frame.type === 'room.deny' ? 'room.deny' : 'room.admit', target: waiting.user, detail: { room: this.room } })
        if (frame.type === 'room.deny') {
          waiting.conn.send({ type: 'room.left', room: this.room, reason: `${by.username} did not let you in`, code: 'denied', by })
          return { gone: [waiting.user] }
        }
        if (this.members.size >= this.deps.limits.maxMembers) {
          this.lobby.set(waiting.id, waiting)
          this.tellHostsLobby()
          return this.refuse(conn, 'room_full', `room "${this.room}" is full (${this.deps.limits.maxMembers} members)`), none
        }
        await this.admitMember(waiting.conn, waiting.media)
        return none
      }
      case 'room.end': {
        await this.deps.audit?.({ actor: by, action: 'room.end', detail: { room: this.room, members: this.members.size } })
        const gone: UserRef[] = []
        for (const waiting of this.lobby.values()) {
          waiting.conn.send({ type: 'room.left', room: this.room, reason: `${by.username} ended the call`, code: 'ended', by })
          gone.push(waiting.user)
        }
        this.lobby.clear()
        for (const member of [...this.members.values()]) {
          member.conn?.send({ type: 'room.left', room: this.room, reason: `${by.username} ended the call`, code: 'ended', by })
          this.remove(member)
          gone.push(member.user)
        }
        return { gone }
      }
      case 'room.host': {
        if (!target) return needTarget()
        if (target.host) return none
        target.host = true
        this.tellAll({ type: 'room.member-host', room: this.room, member: target.id, host: true })
        target.conn?.send({ type: 'room.lobby', room: this.room, waiting: this.lobbyList() })
        await this.deps.audit?.({ actor: by, action: 'room.host', target: target.user, detail: { room: this.room } })
        return none
      }
    }
  }

  private async admitAll(): Promise<HostOutcome> {
    const gone: UserRef[] = []
    for (const [id, waiting] of [...this.lobby]) {
      this.lobby.delete(id)
      if (this.members.size >= this.deps.limits.maxMembers) {
        waiting.conn.send({ type: 'room.left', room: this.room, reason: `room "${this.room}" is full`, code: 'denied' })
        gone.push(waiting.user)
      } else await this.admitMember(waiting.conn, waiting.media)
    }
    this.tellHostsLobby()
    return { gone }
  }

  /** Turns off a member's source: everyone sees it off, its SFU producer pauses, and only the member turns it on. */
  private mute(member: Member, source: MediaSource, by: UserRef) {
    if (!member.media[source]) return
    member.media = { ...member.media, [source]: false }
    member.conn?.send({ type: 'room.muted', room: this.room, source, by })
    this.tellOthers(member, () => ({ type: 'room.media', room: this.room, member: member.id, media: member.media }))
    const sfu = this.sfu
    if (sfu) void sfu.pauseSource(member.id, source).then(() => this.later({ kind: 'step', step: () => sfu.refresh() }), () => undefined)
  }

  /** Switches the room between mesh and SFU when its size crosses the thresholds (or as pinned). `quiet`: a
   * newcomer who learns the mode from its room.joined instead. */
  async rebalance(quiet?: Member) {
    const media = this.deps.media
    if (!media?.pool() || this.closed) return
    const size = this.members.size
    const wantSfu = media.mode === 'sfu' || (media.mode === 'auto' && (this.mode === 'sfu' ? size > media.down : size >= media.up))
    if (size === 0) return this.leaveSfu()
    if (wantSfu && this.mode === 'mesh') {
      if (!(await this.openSfu())) return
      this.mode = 'sfu'
      this.announceMode(quiet)
    } else if (!wantSfu && this.mode === 'sfu') {
      this.mode = 'mesh'
      this.epoch++
      // The old SFU keeps forwarding until the members' peer connections are up (or the drain time passes).
      this.startDrain()
      this.announceMode(quiet)
    }
  }

  private announceMode(quiet?: Member) {
    this.deps.media?.onModeChange?.(this.room, this.mode, this.epoch, this.members.size, this.sfu?.worker)
    for (const member of this.members.values()) {
      if (member !== quiet && member.conn) member.conn.send({ type: 'room.mode', room: this.room, ...this.mediaMode })
    }
  }

  private async openSfu(): Promise<boolean> {
    const media = this.deps.media!
    try {
      const created = await media.pool()!.createRouter()
      const epoch = this.epoch + 1
      this.sfu = await SfuSession.open(
        this.room,
        created,
        {
          send: (memberId, frame) => this.members.get(memberId)?.conn?.send(frame),
          defer: (step) => this.later({ kind: 'step', step }),
          lost: () => this.later({ kind: 'step', step: () => this.sfuLost(epoch) }),
          speaker: (memberId) => this.tellAll({ type: 'sfu.speaker', room: this.room, ...(memberId ? { member: memberId } : {}) }),
          speaking: (members) => this.tellAll({ type: 'sfu.speaking', room: this.room, members }),
          moreRouter: async (avoid) => media.pool()?.createRouter(avoid),
        },
        media.sfu ?? DEFAULT_SESSION_POLICY,
        this.deps.now,
      )
      this.epoch = epoch
      return true
    } catch (error) {
      media.onError?.(error, `room ${this.room}: opening the SFU`)
      return false
    }
  }

  /** The router died with its worker: a new one on a live worker, and everyone sets up their SFU media again. */
  private async sfuLost(epoch: number) {
    if (this.closed || this.mode !== 'sfu' || this.epoch !== epoch) return
    this.sfu = undefined
    if (await this.openSfu()) return this.announceMode()
    // No worker yet (the pool is replacing it): try again shortly.
    setTimeout(() => this.later({ kind: 'step', step: () => this.sfuLost(epoch) }), 500)
  }

  private startDrain() {
    this.stopDrain()
    this.draining = this.sfu
    this.sfu = undefined
    const draining = this.draining
    this.drainTimer = setTimeout(
      () =>
        this.later({
          kind: 'step',
          step: () => {
            if (this.draining === draining) this.stopDrain()
          },
        }),
      this.deps.media!.drainMs,
    )
  }

  private stopDrain() {
    clearTimeout(this.drainTimer)
    this.draining?.close()
    this.draining = undefined
  }

  private leaveSfu() {
    this.stopDrain()
    this.sfu?.close()
    this.sfu = undefined
    if (this.mode === 'sfu') {
      this.mode = 'mesh'
      this.epoch++
    }
  }

  /** An SFU request from a member: answered with its own frame, or an error frame whose ref is the request id. */
  async sfuRequest(conn: Connection, frame: SfuRequest) {
    const ref = 'req' in frame ? frame.req : undefined
    const member = this.requireMember(conn, ref)
    if (!member) return
    // Requests go to the live SFU; in a drain after a switch back to mesh, only what keeps media flowing.
    const session =
      this.sfu ?? (frame.type === 'sfu.resume' || frame.type === 'sfu.view' || frame.type === 'sfu.pin' || frame.type === 'sfu.leave' || frame.type === 'sfu.connect' ? this.draining : undefined)
    if (frame.type === 'sfu.leave') {
      this.draining?.removeMember(member.id)
      return
    }
    if (!session) return this.refuse(conn, 'not_sfu', `room "${this.room}" is not on the SFU now`, ref ? { ref } : {})
    const verdict = member.signals.take()
    if (!verdict.ok) return this.refuse(conn, 'rate_limited', 'too many SFU requests; wait a moment', { retryAfterMs: verdict.retryAfterMs, ...(ref ? { ref } : {}) })
    try {
      switch (frame.type) {
        case 'sfu.transport': {
          const params = await session.createTransport(member.id, frame.direction, frame.rtpCapabilities as never, frame.plain)
          conn.send({ type: 'sfu.transport', room: this.room, req: frame.req, direction: frame.direction, ...params })
          if (frame.direction === 'recv') await session.consumeExisting(member.id)
          break
        }
        case 'sfu.connect':
          await session.connect(member.id, frame.transportId, frame.dtlsParameters as never)
          return conn.send({ type: 'sfu.connected', room: this.room, req: frame.req, transportId: frame.transportId })
        case 'sfu.produce': {
          const producerId = await session.produce(member.id, frame.transportId, frame.kind, frame.rtpParameters as never, frame.source, {
            maxProducers: 3,
          })
          conn.send({ type: 'sfu.produced', room: this.room, req: frame.req, producerId })
          break
        }
        case 'sfu.resume':
          session.resumeConsumer(member.id, frame.consumerId)
          break
        case 'sfu.view':
          await session.setConsumerView(member.id, frame.consumerId, { paused: frame.paused, spatialLayer: frame.spatialLayer })
          break
        case 'sfu.pin':
          session.pin(member.id, frame.members)
          break
        case 'sfu.producer':
          await session.producerAction(member.id, frame.producerId, frame.action)
          break
        case 'sfu.restart-ice': {
          const iceParameters = await session.restartIce(member.id, frame.transportId)
          return conn.send({ type: 'sfu.ice-restarted', room: this.room, req: frame.req, transportId: frame.transportId, iceParameters })
        }
      }
      // What the request changed in anyone's selection (a new camera, a receiver ready, a tile hidden, a pin).
      await session.refresh()
    } catch (error) {
      if (error instanceof SfuError) return this.refuse(conn, error.code, error.message, ref ? { ref } : {})
      this.deps.media?.onError?.(error, `room ${this.room}: ${frame.type}`)
      return this.refuse(conn, 'sfu_failed', `the SFU could not do that: ${(error as Error).message}`.slice(0, 300), ref ? { ref } : {})
    }
  }

  /** The member on this connection leaves for good. Returns whether it was in the call. */
  leave(conn: Connection): boolean {
    if (this.leaveLobby(conn)) return true
    const member = this.byConn.get(conn.id)
    if (!member) return false
    this.remove(member)
    this.keepAHost()
    return true
  }

  /** Someone waiting in the lobby went away (left, closed the page, lost the socket). */
  private leaveLobby(conn: Connection): boolean {
    for (const [id, waiting] of this.lobby) {
      if (waiting.conn.id !== conn.id) continue
      this.lobby.delete(id)
      this.tellHostsLobby()
      return true
    }
    return false
  }

  private remove(member: Member) {
    clearTimeout(member.graceTimer)
    this.members.delete(member.id)
    if (member.conn) this.byConn.delete(member.conn.id)
    this.sfu?.removeMember(member.id)
    this.draining?.removeMember(member.id)
    // Whoever the leaver's place in anyone's last-N goes to.
    const sfu = this.sfu
    if (sfu) this.later({ kind: 'step', step: () => sfu.refresh() })
    this.tellOthers(member, () => ({ type: 'room.member-left', room: this.room, member: member.id }))
    if (this.hands.set(member.id, false)) this.tellAll({ type: 'room.hands', room: this.room, hands: this.hands.order(), by: member.user })
  }

  /** Who is in the call, for someone deciding whether to join: names only, each person once. */
  peek(): { people: string[]; members: number; maxMembers: number; locked: boolean } {
    const people = [...new Set([...this.members.values()].sort((a, b) => a.seq - b.seq).map((m) => m.user.username))]
    return { people, members: this.members.size, maxMembers: this.deps.limits.maxMembers, locked: this.locked }
  }

  /** Raises or lowers a hand: your own, or (hosts) lowers anyone's. Everyone gets the queue as it now is. */
  hand(conn: Connection, frame: ClientMessageOf<'room.hand'>) {
    const member = this.requireMember(conn)
    if (!member) return
    const target = frame.member === undefined ? member : this.members.get(frame.member)
    if (!target) return this.refuse(conn, 'unknown_member', `no member "${frame.member!.slice(0, 64)}" in room "${this.room}"`)
    if (target !== member) {
      if (frame.raised) return this.refuse(conn, 'forbidden', 'only the member raises its own hand')
      if (!this.isHost(member)) return this.refuse(conn, 'forbidden', "only a host of this call may lower someone else's hand")
    }
    const verdict = member.signals.take()
    if (!verdict.ok) return this.refuse(conn, 'rate_limited', 'too many requests; wait a moment', { retryAfterMs: verdict.retryAfterMs })
    if (this.hands.set(target.id, frame.raised)) this.tellAll({ type: 'room.hands', room: this.room, hands: this.hands.order(), by: member.user })
  }

  /** A reaction for everyone in the call to see over the sender's tile. */
  react(conn: Connection, frame: ClientMessageOf<'room.react'>) {
    const member = this.requireMember(conn)
    if (!member) return
    const verdict = member.reactions.take()
    if (!verdict.ok) return this.refuse(conn, 'rate_limited', 'too many reactions; wait a moment', { retryAfterMs: verdict.retryAfterMs })
    this.tellAll({ type: 'room.reaction', room: this.room, member: member.id, emoji: frame.emoji })
  }

  /** The member's socket dropped without saying goodbye: it is shown as reconnecting and may resume. */
  dropped(conn: Connection): boolean {
    if (this.leaveLobby(conn)) return true
    const member = this.byConn.get(conn.id)
    if (!member) return false
    this.byConn.delete(conn.id)
    member.conn = undefined
    if (this.deps.limits.reconnectGraceMs === 0) {
      this.remove(member)
      return true
    }
    this.tellOthers(member, () => ({ type: 'room.member-connection', room: this.room, member: member.id, connection: 'reconnecting' }))
    member.graceTimer = setTimeout(() => this.later({ kind: 'graceExpired', memberId: member.id }), this.deps.limits.reconnectGraceMs)
    return true
  }

  graceExpired(memberId: string) {
    const member = this.members.get(memberId)
    if (member && !member.conn) {
      this.remove(member)
      this.keepAHost()
    }
  }

  media(conn: Connection, media: MediaState) {
    const member = this.requireMember(conn)
    if (!member) return
    member.media = media
    this.tellOthers(member, () => ({ type: 'room.media', room: this.room, member: member.id, media }))
  }

  /** Fresh ICE servers for a member whose TURN credentials are about to expire (a long call). */
  ice(conn: Connection) {
    const member = this.requireMember(conn)
    if (!member) return
    const verdict = member.signals.take()
    if (!verdict.ok) return this.refuse(conn, 'rate_limited', 'too many requests; wait a moment', { retryAfterMs: verdict.retryAfterMs })
    conn.send({
      type: 'room.ice',
      room: this.room,
      iceServers: this.deps.iceServers(member.user),
      ...(this.deps.iceRefreshInSeconds ? { iceRefreshInSeconds: this.deps.iceRefreshInSeconds } : {}),
    })
  }

  signal(conn: Connection, frame: ClientMessageOf<'room.signal'>) {
    const member = this.requireMember(conn)
    if (!member) return
    if ((frame.description === undefined) === (frame.candidate === undefined)) {
      return this.refuse(conn, 'invalid_message', 'a signal carries exactly one of "description" or "candidate"')
    }
    if (frame.to === member.id) return this.refuse(conn, 'self_signal', 'a member cannot signal itself')
    const target = this.members.get(frame.to)
    if (!target) return this.refuse(conn, 'unknown_member', `no member "${frame.to.slice(0, 64)}" in room "${this.room}"`)
    const problem = frame.description ? checkDescription(frame.description) : checkCandidate(frame.candidate!)
    if (problem) return this.refuse(conn, problem.code, problem.message)
    const verdict = member.signals.take()
    if (!verdict.ok) {
      return this.refuse(conn, 'rate_limited', 'too much signalling; wait a moment', { retryAfterMs: verdict.retryAfterMs })
    }
    if (!target.conn) return this.refuse(conn, 'member_reconnecting', 'that member is reconnecting; signal again when it is back')
    target.conn.send(
      frame.description
        ? { type: 'room.signal', room: this.room, from: member.id, description: frame.description }
        : { type: 'room.signal', room: this.room, from: member.id, candidate: frame.candidate },
    )
  }

  private requireMember(conn: Connection, ref?: string): Member | undefined {
    const member = this.byConn.get(conn.id)
    if (!member) this.refuse(conn, 'not_joined', `join the call in room "${this.room}" first`, ref ? { ref } : {})
    return member
  }

  /** Stops timers and releases the SFU; for shutdown and when the room closes. */
  close() {
    this.closed = true
    for (const member of this.members.values()) clearTimeout(member.graceTimer)
    this.stopDrain()
    this.sfu?.close()
    this.sfu = undefined
  }
}
