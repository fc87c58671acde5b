// The admin page: live figures, who may register, invite links, accounts and the audit log. Moderators see the
// invites only; the server decides every action again (a role change elsewhere takes effect on the next click).
import { createResource, createSignal, For, onCleanup, Show } from 'solid-js'
import { api, errorMessage } from '../api'
import { user } from '../auth/session'
import { formatBytes, formatWhen as when } from '../ui/format'
import { Pager } from '../ui/Pager'
import { CopyField, copyText } from '../ui/CopyField'

type Role = 'admin' | 'moderator' | 'member'
type Policy = 'open' | 'invite' | 'closed'
const USERS_PAGE = 25

const POLICY_TEXT: Record<Policy, string> = {
  open: 'Open: anyone who finds the server can register',
  invite: 'Invite only: registration needs an invite link',
  closed: 'Closed: nobody can register',
}

const EXPIRY_CHOICES: Array<[string, number]> = [
  ['1 hour', 3600],
  ['1 day', 86_400],
  ['7 days', 7 * 86_400],
  ['30 days', 30 * 86_400],
]


export function AdminPage() {
  const isAdmin = () => user()?.role === 'admin'
  const [error, setError] = createSignal<string>()
  const fail = (e: Parameters<typeof errorMessage>[0]) => setError(errorMessage(e))
  // Bumped after every action on the page, so the audit log shows it at once.
  const [version, setVersion] = createSignal(0)
  const changed = () => setVersion((v) => v + 1)

  return (
    <section class="admin">
      <h1>{isAdmin() ? 'Admin' : 'Invites'}</h1>
      <Show when={error()}>
        <p class="error banner" role="alert">
          {error()} <button class="link" onClick={() => setError(undefined)}>dismiss</button>
        </p>
      </Show>
      <Show when={user()?.role === 'admin' || user()?.role === 'moderator'} fallback={<p class="muted">Only admins and moderators can see this page.</p>}>
        <Show when={isAdmin()}>
          <Figures />
          <Registration fail={fail} changed={changed} />
        </Show>
        <Invites fail={fail} changed={changed} />
        <Show when={isAdmin()}>
          <Users fail={fail} changed={changed} />
          <Audit version={version()} />
        </Show>
      </Show>
    </section>
  )
}

type Fail = { fail: (e: Parameters<typeof errorMessage>[0]) => void; changed: () => void }

function Figures() {
  const [stats, { refetch }] = createResource(async () => (await api.admin.stats.get()).data ?? undefined)
  const timer = setInterval(() => void refetch(), 5000)
  onCleanup(() => clearInterval(timer))
  return (
    <div class="figures" data-testid="figures">
      <div class="card figure">
        <span class="figure-value" data-testid="figure-online">{stats()?.online ?? '…'}</span>
        <span class="muted">people online</span>
      </div>
      <div class="card figure">
        <span class="figure-value">{stats()?.openRooms ?? '…'}</span>
        <span class="muted">open video rooms</span>
      </div>
      <div class="card figure">
        <span class="figure-value">{stats() ? formatBytes(stats()!.vault.bytes) : '…'}</span>
        <span class="muted">
          in the vault ({stats()?.vault.files ?? 0} {stats()?.vault.files === 1 ? 'file' : 'files'})
        </span>
      </div>
      <Show when={(stats()?.rooms.length ?? 0) > 0}>
        <ul class="card room-sizes" aria-label="Open rooms">
          <For each={stats()!.rooms}>
            {(room) => (
              <li>
                <a href={`/rooms/${encodeURIComponent(room.name)}`}>{room.name}</a>
                <span class="muted">
                  {room.members} {room.members === 1 ? 'person' : 'people'} · {room.mode === 'sfu' ? 'SFU' : 'mesh'}
                </span>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </div>
  )
}

function Registration(props: Fail) {
  const [policy, { mutate }] = createResource(async () => (await api.admin.settings.get()).data?.registration)
  const change = async (next: Policy) => {
    const { data, error } = await api.admin.settings.put({ registration: next })
    if (error) return props.fail(error)
    mutate(data.registration)
    props.changed()
  }
  return (
    <fieldset class="card policy" data-testid="registration">
      <legend>Who may register</legend>
      <For each={['open', 'invite', 'closed'] as Policy[]}>
        {(choice) => (
          <label class="choice">
            <input type="radio" name="registration" value={choice} checked={policy() === choice} onChange={() => void change(choice)} />
            {POLICY_TEXT[choice]}
          </label>
        )}
      </For>
    </fieldset>
  )
}

function Invites(props: Fail) {
  const [invites, { refetch }] = createResource(async () => (await api.admin.invites.get()).data?.invites ?? [])
  const [uses, setUses] = createSignal(1)
  const [expiry, setExpiry] = createSignal(86_400)
  const [created, setCreated] = createSignal<string>()

  const create = async (event: SubmitEvent) => {
    event.preventDefault()
    const { data, error } = await api.admin.invites.post({ maxUses: uses(), expiresInSeconds: expiry() })
    if (error) return props.fail(error)
    setCreated(data.invite.url)
    void refetch()
    props.changed()
  }
  const revoke = async (code: string) => {
    const { error } = await api.admin.invites({ code }).delete()
    if (error) props.fail(error)
    void refetch()
    props.changed()
  }

  return (
    <section class="card" data-testid="invites">
      <h2>Invite links</h2>
      <form class="invite-form" onSubmit={create}>
        <label>
          Uses
          <input type="number" min={1} max={1000} required value={uses()} onInput={(e) => setUses(Number(e.currentTarget.value))} />
        </label>
        <label>
          Valid for
          <select value={expiry()} onChange={(e) => setExpiry(Number(e.currentTarget.value))}>
            <For each={EXPIRY_CHOICES}>{([label, seconds]) => <option value={seconds}>{label}</option>}</For>
          </select>
        </label>
        <button type="submit">Create invite link</button>
      </form>
      <Show when={created()} keyed>
        {(url) => <CopyField value={url} label="New invite link" testId="invite-url" />}
      </Show>
      <table class="list">
        <thead>
          <tr>
            <th>Code</th>
            <th class="num">Used</th>
            <th>Expires</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          <For each={invites() ?? []} fallback={<tr><td colSpan={5} class="muted empty">No invites.</td></tr>}>
            {(invite) => (
              <tr data-invite={invite.code} data-state={invite.state}>
                <td>
                  <code>{invite.code.slice(0, 8)}…</code>
                </td>
                <td class="num">
                  {invite.uses} / {invite.maxUses}
                </td>
                <td>{when(invite.expiresAt)}</td>
                <td>{invite.state.replace('_', ' ')}</td>
                <td class="row-actions">
                  <Show when={invite.state === 'live'}>
                    <button class="secondary" onClick={() => void copyText(invite.url)}>Copy link</button>
                    <button class="secondary danger" onClick={() => void revoke(invite.code)}>Revoke</button>
                  </Show>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </section>
  )
}

function Users(props: Fail) {
  const [query, setQuery] = createSignal('')
  const [page, setPage] = createSignal(0)
  const [confirming, setConfirming] = createSignal<{ id: number; username: string }>()
  const [listing, { refetch }] = createResource(
    () => ({ query: query(), offset: page() * USERS_PAGE }),
    async ({ query, offset }) => (await api.admin.users.get({ query: { query, offset, limit: USERS_PAGE } })).data ?? { users: [], total: 0 },
  )
  const change = async (id: number, body: { role?: Role; disabled?: boolean }) => {
    const { error } = await api.admin.users({ id }).patch(body)
    if (error) props.fail(error)
    void refetch()
    props.changed()
  }
  const unmute = async (id: number) => {
    const { error } = await api.admin.users({ id })['chat-mute'].delete()
    if (error) props.fail(error)
    void refetch()
    props.changed()
  }
  const remove = async (id: number) => {
    setConfirming(undefined)
    const { error } = await api.admin.users({ id }).delete()
    if (error) props.fail(error)
    void refetch()
    props.changed()
  }
  return (
    <section class="card" data-testid="users">
      <h2>People</h2>
      <input
        type="search"
        placeholder="Search by name"
        aria-label="Search people by name"
        maxLength={32}
        value={query()}
        onInput={(e) => {
          setQuery(e.currentTarget.value)
          setPage(0)
        }}
      />
      <table class="list">
        <thead>
          <tr>
            <th>Name</th>
            <th>Role</th>
            <th>Joined</th>
            <th />
          </tr>
        </thead>
        <tbody>
          <For each={listing()?.users ?? []} fallback={<tr><td colSpan={4} class="muted empty">{listing.loading ? 'Loading…' : 'Nobody found.'}</td></tr>}>
            {(person) => (
              <tr data-user={person.username} data-role={person.role} data-disabled={String(person.disabled)}>
                <td>
                  <span class="person">{person.username}</span>
                  <Show when={person.online}>
                    <span class="badge ok">online</span>
                  </Show>
                  <Show when={person.disabled}>
                    <span class="badge danger">disabled</span>
                  </Show>
                  <Show when={person.chatMutedUntil}>
                    {(until) => (
                      <span class="badge danger" title={`muted in chat until ${when(until())}`}>
                        muted
                      </span>
                    )}
                  </Show>
                </td>
                <td>
                  <select aria-label={`Role of ${person.username}`} value={person.role} onChange={(e) => void change(person.id, { role: e.currentTarget.value as Role })}>
                    <option value="member">member</option>
                    <option value="moderator">moderator</option>
                    <option value="admin">admin</option>
                  </select>
                </td>
                <td>{when(person.createdAt)}</td>
                <td class="row-actions">
                  <Show when={person.chatMutedUntil}>
                    <button class="secondary" onClick={() => void unmute(person.id)}>Unmute</button>
                  </Show>
                  <button class="secondary" onClick={() => void change(person.id, { disabled: !person.disabled })}>
                    {person.disabled ? 'Enable' : 'Disable'}
                  </button>
                  <button class="secondary danger" onClick={() => setConfirming({ id: person.id, username: person.username })}>
                    Delete
                  </button>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
      <Pager page={page()} total={listing()?.total ?? 0} size={USERS_PAGE} onPage={setPage} />
      <Show when={confirming()}>
        {(person) => (
          <div class="modal-backdrop">
            <div class="card modal" role="dialog" aria-modal="true" aria-label="Delete account">
              <p>
                Delete <strong>{person().username}</strong>? Their sessions end, and their files, uploads, chat messages and reactions are
                deleted with the account. This cannot be undone.
              </p>
              <div class="modal-actions">
                <button class="secondary" onClick={() => setConfirming(undefined)}>Keep</button>
                <button class="danger" onClick={() => void remove(person().id)}>Delete account</button>
              </div>
            </div>
          </div>
        )}
      </Show>
    </section>
  )
}

const ACTION_TEXT: Record<string, string> = {
  'user.role': 'changed the role of',
  'user.disable': 'disabled',
  'user.enable': 'enabled',
  'user.delete': 'deleted',
  'user.create_admin': 'created the admin',
  'settings.registration': 'set registration',
  'invite.create': 'created an invite',
  'invite.revoke': 'revoked an invite',
  'chat.delete': 'removed a chat message by',
  'chat.mute': 'muted in chat',
  'chat.unmute': 'unmuted in chat',
}

function Audit(props: { version: number }) {
  const [before, setBefore] = createSignal<number | undefined>()
  const [page] = createResource(
    () => ({ before: before(), version: props.version }),
    async ({ before }) => (await api.admin.audit.get({ query: before === undefined ? {} : { before } })).data,
  )
  const detail = (d: Record<string, unknown>) =>
    'from' in d && 'to' in d
      ? `${String(d.from)} → ${String(d.to)}`
      : 'seconds' in d
        ? `for ${Math.round(Number(d.seconds) / 60)} min`
        : 'room' in d
          ? `in ${String(d.room)}`
          : 'maxUses' in d ? `${String(d.maxUses)} ${d.maxUses === 1 ? 'use' : 'uses'}` : ''
  return (
    <section class="card" data-testid="audit">
      <h2>Audit log</h2>
      <ol class="audit-list">
        <For each={page()?.entries ?? []} fallback={<li class="muted">Nothing recorded yet.</li>}>
          {(entry) => (
            <li data-action={entry.action}>
              <time class="muted">{when(entry.at)}</time> <strong>{entry.actor.username}</strong> {ACTION_TEXT[entry.action] ?? entry.action}{' '}
              <Show when={entry.target}>
                <strong>{entry.target!.username}</strong>{' '}
              </Show>
              <span class="muted">{detail(entry.detail)}</span>
            </li>
          )}
        </For>
      </ol>
      <nav class="pager">
        <Show when={before() !== undefined}>
          <button class="secondary" onClick={() => setBefore(undefined)}>Newest</button>
        </Show>
        <Show when={page()?.hasMore}>
          <button class="secondary" onClick={() => setBefore(page()!.entries.at(-1)!.id)}>Older</button>
        </Show>
      </nav>
    </section>
  )
}
