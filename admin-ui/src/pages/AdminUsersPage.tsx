import { useState } from 'preact/hooks';
import type {
  AdminRole,
  AdminUserListResponse,
  AdminUserResponse,
  AdminUserSummary,
  InviteAdminRequest,
  InviteAdminResponse,
  UpdateAdminUserRequest,
} from '../../../src/admin-console/contract.js';
import { api } from '../api.js';
import { Dialog } from '../components/Dialog.js';
import {
  Badge,
  Card,
  CopyButton,
  EmptyState,
  ErrorBanner,
  Field,
  Loading,
  Mono,
  Notice,
  PageHeader,
  Pager,
  Time,
} from '../components/ui.js';
import { useCursorPages, useLoad } from '../hooks.js';
import { errorMessage } from '../lib/errors.js';
import { can } from '../lib/roles.js';
import { useSession } from '../session.js';

const ROLES: { value: AdminRole; label: string; help: string }[] = [
  { value: 'viewer', label: 'Viewer', help: 'reads everything, changes nothing' },
  { value: 'admin', label: 'Admin', help: 'keys, suspensions, adjustments, CSV export' },
  { value: 'super_admin', label: 'Super admin', help: 'also closes accounts and manages operators' },
];

function InviteDialog(props: { onClose: () => void; onInvited: (result: InviteAdminResponse) => void }) {
  const [email, setEmail] = useState('');
  const [fullName, setFullName] = useState('');
  const [role, setRole] = useState<AdminRole>('viewer');
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!/^[^@\s]+@[^@\s]+$/.test(email.trim()) || !fullName.trim())
      return setFailure('Enter an email address and a name.');
    setBusy(true);
    setFailure(null);
    try {
      const body: InviteAdminRequest = { email: email.trim(), full_name: fullName.trim(), role };
      props.onInvited(await api.post<InviteAdminResponse>('/admin-users', body));
    } catch (failed) {
      setFailure(errorMessage(failed));
      setBusy(false);
    }
  };
  return (
    <Dialog title="Invite an operator" onRequestClose={props.onClose} testId="invite-dialog">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <ErrorBanner message={failure} />
        <Field label="Email" id="invite-email">
          <input
            id="invite-email"
            class="input"
            type="email"
            value={email}
            data-autofocus
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </Field>
        <Field label="Full name" id="invite-name">
          <input id="invite-name" class="input" value={fullName} onInput={(e) => setFullName(e.currentTarget.value)} />
        </Field>
        <fieldset class="field">
          <legend>Role</legend>
          {ROLES.map((r) => (
            <label class="radio" key={r.value}>
              <input type="radio" name="role" checked={role === r.value} onChange={() => setRole(r.value)} /> {r.label}{' '}
              <span class="muted small">{r.help}</span>
            </label>
          ))}
        </fieldset>
        <div class="form-actions">
          <button type="button" class="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="button primary" disabled={busy}>
            Create invitation
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function EditOperatorDialog(props: { user: AdminUserSummary; onClose: () => void; onDone: (message: string) => void }) {
  const [role, setRole] = useState<AdminRole>(props.user.role);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (label: string, action: () => Promise<unknown>) => {
    setBusy(true);
    setFailure(null);
    try {
      await action();
      props.onDone(label);
    } catch (failed) {
      setFailure(errorMessage(failed));
      setBusy(false);
    }
  };
  const u = props.user;
  const patch = (body: UpdateAdminUserRequest) => api.patch<AdminUserResponse>(`/admin-users/${u.id}`, body);
  return (
    <Dialog title={`Operator ${u.email}`} onRequestClose={props.onClose} testId="operator-dialog">
      <ErrorBanner message={failure} />
      <Field label="Role" id="operator-role" hint="Changing the role signs the operator out everywhere.">
        <div class="inline-fields">
          <select
            id="operator-role"
            class="input"
            value={role}
            onChange={(e) => setRole(e.currentTarget.value as AdminRole)}
          >
            {ROLES.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
          <button
            type="button"
            class="button"
            disabled={busy || role === u.role}
            onClick={() => void run(`Role changed to ${role}.`, () => patch({ role }))}
          >
            Change role
          </button>
        </div>
      </Field>
      <div class="action-list">
        {u.locked_until && Date.parse(u.locked_until) > Date.now() ? (
          <button
            type="button"
            class="button"
            disabled={busy}
            onClick={() => void run('Unlocked.', () => api.post(`/admin-users/${u.id}/unlock`))}
          >
            Unlock sign-in
          </button>
        ) : null}
        {u.mfa_enabled ? (
          <button
            type="button"
            class="button"
            disabled={busy}
            onClick={() =>
              void run('MFA reset: the operator enrols again at the next sign-in.', () =>
                api.post(`/admin-users/${u.id}/reset-mfa`),
              )
            }
          >
            Reset MFA
          </button>
        ) : null}
        {u.active_sessions > 0 ? (
          <button
            type="button"
            class="button"
            disabled={busy}
            onClick={() => void run('Sessions revoked.', () => api.delete(`/admin-users/${u.id}/sessions`))}
          >
            Sign out everywhere
          </button>
        ) : null}
        {u.is_active ? (
          <button
            type="button"
            class="button danger-outline"
            disabled={busy}
            onClick={() => void run('Deactivated.', () => patch({ is_active: false }))}
          >
            Deactivate
          </button>
        ) : (
          <button
            type="button"
            class="button"
            disabled={busy}
            onClick={() => void run('Reactivated.', () => patch({ is_active: true }))}
          >
            Reactivate
          </button>
        )}
      </div>
      <div class="form-actions">
        <button type="button" class="button" onClick={props.onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}

export function AdminUsersPage() {
  const { me } = useSession();
  const pages = useCursorPages('admin-users');
  const allowed = can(me.user.role, 'admin_users:manage');
  const list = useLoad(
    () =>
      allowed
        ? api.get<AdminUserListResponse>('/admin-users', { cursor: pages.cursor, limit: 50 })
        : Promise.resolve(undefined),
    [pages.cursor, allowed],
  );
  const [inviting, setInviting] = useState(false);
  const [invitation, setInvitation] = useState<InviteAdminResponse | null>(null);
  const [editing, setEditing] = useState<AdminUserSummary | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  if (!allowed) {
    return (
      <div>
        <PageHeader title="Admin users" />
        <EmptyState title="Only a super admin manages operators." />
      </div>
    );
  }

  return (
    <div>
      <PageHeader
        title="Admin users"
        subtitle="The people who operate this service. Every role signs in with a password and an authenticator code."
        actions={
          <button type="button" class="button primary" onClick={() => setInviting(true)}>
            Invite operator
          </button>
        }
      />
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      {invitation ? (
        <Notice kind="info">
          <div>
            Send this one-time link to <strong>{invitation.user.email}</strong> over a trusted channel. It works once,
            until <Time iso={invitation.setup_expires_at} />.
          </div>
          <div class="secret-row">
            <code class="mono" data-testid="setup-link">
              {invitation.setup_url}
            </code>
            <CopyButton text={invitation.setup_url} label="Copy link" />
            <button type="button" class="button small ghost" onClick={() => setInvitation(null)}>
              Dismiss
            </button>
          </div>
        </Notice>
      ) : null}
      <Card>
        <ErrorBanner message={list.error} onRetry={list.reload} />
        {!list.data ? (
          list.loading ? (
            <Loading />
          ) : null
        ) : (
          <div class="table-wrap">
            <table class="table" data-testid="admin-users-table">
              <thead>
                <tr>
                  <th>Operator</th>
                  <th>Role</th>
                  <th>State</th>
                  <th>MFA</th>
                  <th>Last sign-in</th>
                  <th class="num">Sessions</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((u) => {
                  const locked = u.locked_until !== null && Date.parse(u.locked_until) > Date.now();
                  return (
                    <tr key={u.id}>
                      <td>
                        <div class="strong">{u.full_name}</div>
                        <div class="muted small">{u.email}</div>
                      </td>
                      <td>{ROLES.find((r) => r.value === u.role)?.label}</td>
                      <td>
                        {!u.is_active ? (
                          <Badge tone="grey">deactivated</Badge>
                        ) : locked ? (
                          <Badge tone="red">locked</Badge>
                        ) : (
                          <Badge tone="green">active</Badge>
                        )}
                        {locked ? (
                          <div class="muted small">
                            until <Time iso={u.locked_until} />
                          </div>
                        ) : null}
                      </td>
                      <td>
                        {u.mfa_enabled ? (
                          <Badge tone="green">enrolled</Badge>
                        ) : (
                          <Badge tone="amber">not enrolled</Badge>
                        )}
                      </td>
                      <td>
                        <Time iso={u.last_login_at} relative />
                      </td>
                      <td class="num">{u.active_sessions}</td>
                      <td>
                        {u.id === me.user.id ? (
                          <span class="muted small">you</span>
                        ) : (
                          <button type="button" class="button small" onClick={() => setEditing(u)}>
                            Manage
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        <Pager page={pages.page} nextCursor={list.data?.next_cursor} onNext={pages.next} onPrevious={pages.previous} />
      </Card>
      <p class="muted small">
        Operators can also be created from the command line: <Mono>node dist/cli create-admin</Mono>.
      </p>
      {inviting ? (
        <InviteDialog
          onClose={() => setInviting(false)}
          onInvited={(r) => {
            setInviting(false);
            setInvitation(r);
            list.reload();
          }}
        />
      ) : null}
      {editing ? (
        <EditOperatorDialog
          user={editing}
          onClose={() => setEditing(null)}
          onDone={(message) => {
            setEditing(null);
            setNotice(message);
            list.reload();
          }}
        />
      ) : null}
    </div>
  );
}
