// The call inside a video room: its members, each member's media state and connection state, and the relay of
// mesh signalling between two members. It is part of its Room actor's state: only the Room calls it, from inside
// a command, so nothing here interleaves.
import { randomUUID } from 'node:crypto'
import type { Connection } from './connection'
import type { CallMember, ClientMessageOf, IceServer, MediaState, ServerMessage, UserRef } from './protocol'
import { TokenBucket } from './token-bucket'
import { checkCandidate, checkDescription } from './mesh/signal'

export interface CallLimits {
  /** Members a call holds (reconnecting ones included); a join beyond it is refused with room_full. */
  maxMembers: number
  /** A member whose socket dropped keeps its place this long, shown as reconnecting, and may resume it. */
  reconnectGraceMs: number
  /** Signalling frames (offers, answers, candidates) one member may send in a burst, and per second after it. */
  signalBurst: number
  signalsPerSecond: number
}

export interface CallDeps {
  limits: CallLimits
  iceServers(user: UserRef): IceServer[]
  now?: () => number
}

interface Member {
  id: string
  user: UserRef
  /** Absent while the member's socket is down and it may still resume. */
  conn: Connection | undefined
  /** Join order; in every pair the later joiner is the polite peer. */
  seq: number
  media: MediaState
  signals: TokenBucket
  graceTimer?: ReturnType<typeof setTimeout>
}

type Refuse = (conn: Connection, code: string, message: string, extra?: { retryAfterMs?: number }) => void

export class Call {
  private readonly members = new Map<string, Member>()
  private readonly byConn = new Map<string, Member>()
  private nextSeq = 1

  constructor(
    private readonly room: string,
    private readonly deps: CallDeps,
    private readonly refuse: Refuse,
    /** Tells the owning actor that a member's grace ran out (a timer cannot act on the state itself). */
    private readonly onGraceTimer: (memberId: string) => void,
  ) {}

  get size(): number {
    return this.members.size
  }

  /** Members as seen by tests and metrics. */
  list(): Array<{ id: string; user: UserRef; media: MediaState; connected: boolean }> {
    return [...this.members.values()].map((m) => ({ id: m.id, user: m.user, media: { ...m.media }, connected: m.conn !== undefined }))
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
    }
  }

  /** Sends to every member but one whose socket is up; each frame may depend on the receiver. */
  private tellOthers(except: Member, frame: (receiver: Member) => ServerMessage) {
    for (const member of this.members.values()) if (member !== except && member.conn) member.conn.send(frame(member))
  }

  join(conn: Connection, media: MediaState, resume: string | undefined): boolean {
    if (this.byConn.has(conn.id)) {
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
      this.sendJoined(previous, true)
      this.tellOthers(previous, () => ({ type: 'room.member-connection', room: this.room, member: previous.id, connection: 'connected' }))
      this.tellOthers(previous, () => ({ type: 'room.media', room: this.room, member: previous.id, media }))
      return true
    }
    if (this.members.size >= this.deps.limits.maxMembers) {
      this.refuse(conn, 'room_full', `room "${this.room}" is full (${this.deps.limits.maxMembers} members)`)
      return false
    }
    const { limits } = this.deps
    const member: Member = {
      id: randomUUID(),
      user: conn.user,
      conn,
      seq: this.nextSeq++,
      media,
      signals: new TokenBucket(limits.signalBurst, limits.signalsPerSecond, this.deps.now),
    }
    this.members.set(member.id, member)
    this.byConn.set(conn.id, member)
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
      maxMembers: this.deps.limits.maxMembers,
    })
  }

  /** The member on this connection leaves for good. Returns whether it was in the call. */
  leave(conn: Connection): boolean {
    const member = this.byConn.get(conn.id)
    if (!member) return false
    this.remove(member)
    return true
  }

  private remove(member: Member) {
    clearTimeout(member.graceTimer)
    this.members.delete(member.id)
    if (member.conn) this.byConn.delete(member.conn.id)
    this.tellOthers(member, () => ({ type: 'room.member-left', room: this.room, member: member.id }))
  }

  /** The member's socket dropped without saying goodbye: it is shown as reconnecting and may resume. */
  dropped(conn: Connection): boolean {
    const member = this.byConn.get(conn.id)
    if (!member) return false
    this.byConn.delete(conn.id)
    member.conn = undefined
    if (this.deps.limits.reconnectGraceMs === 0) {
      this.remove(member)
      return true
    }
    this.tellOthers(member, () => ({ type: 'room.member-connection', room: this.room, member: member.id, connection: 'reconnecting' }))
    member.graceTimer = setTimeout(() => this.onGraceTimer(member.id), this.deps.limits.reconnectGraceMs)
    return true
  }

  graceExpired(memberId: string) {
    const member = this.members.get(memberId)
    if (member && !member.conn) this.remove(member)
  }

  media(conn: Connection, media: MediaState) {
    const member = this.requireMember(conn)
    if (!member) return
    member.media = media
    this.tellOthers(member, () => ({ type: 'room.media', room: this.room, member: member.id, media }))
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

  private requireMember(conn: Connection): Member | undefined {
    const member = this.byConn.get(conn.id)
    if (!member) this.refuse(conn, 'not_joined', `join the call in room "${this.room}" first`)
    return member
  }

  /** Stops timers; for shutdown. */
  close() {
    for (const member of this.members.values()) clearTimeout(member.graceTimer)
  }
}
