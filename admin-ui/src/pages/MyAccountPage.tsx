import { useState } from 'preact/hooks';
import type {
  PasswordChangeRequest,
  RecoveryCodesResponse,
  SessionListResponse,
} from '../../../src/admin-console/contract.js';
import { api } from '../api.js';
import { Badge, Card, CopyButton, ErrorBanner, Field, Loading, Notice, PageHeader, Time } from '../components/ui.js';
import { useLoad } from '../hooks.js';
import { errorMessage } from '../lib/errors.js';
import { formatDuration } from '../lib/format.js';
import { checkNewPassword } from '../lib/validation.js';
import { useSession } from '../session.js';

function PasswordCard() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setDone(false);
    const checked = checkNewPassword(next, repeat);
    if (!current) return setError('Enter your current password.');
    if (!checked.ok) return setError(checked.error);
    setBusy(true);
    setError(null);
    try {
      const body: PasswordChangeRequest = { current_password: current, new_password: checked.value };
      await api.post('/auth/password', body);
      setCurrent('');
      setNext('');
      setRepeat('');
      setDone(true);
    } catch (failed) {
      setError(errorMessage(failed));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Password">
      <form onSubmit={(e) => void submit(e)} noValidate>
        {done ? <Notice kind="success">Password changed. Your other sessions were signed out.</Notice> : null}
        <ErrorBanner message={error} />
        <Field label="Current password" id="pw-current">
          <input
            id="pw-current"
            class="input"
            type="password"
            autoComplete="current-password"
            value={current}
            onInput={(e) => setCurrent(e.currentTarget.value)}
          />
        </Field>
        <Field label="New password (at least 12 characters)" id="pw-new">
          <input
            id="pw-new"
            class="input"
            type="password"
            autoComplete="new-password"
            value={next}
            onInput={(e) => setNext(e.currentTarget.value)}
          />
        </Field>
        <Field label="Repeat the new password" id="pw-repeat">
          <input
            id="pw-repeat"
            class="input"
            type="password"
            autoComplete="new-password"
            value={repeat}
            onInput={(e) => setRepeat(e.currentTarget.value)}
          />
        </Field>
        <button type="submit" class="button primary" disabled={busy}>
          Change password
        </button>
      </form>
    </Card>
  );
}

function RecoveryCodesCard() {
  const [codes, setCodes] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const regenerate = async () => {
    setBusy(true);
    setError(null);
    try {
      setCodes((await api.post<RecoveryCodesResponse>('/auth/recovery-codes')).recovery_codes);
    } catch (failed) {
      setError(errorMessage(failed));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Recovery codes">
      <ErrorBanner message={error} />
      {codes ? (
        <>
          <Notice kind="warning">New codes, shown only now. The old ones no longer work.</Notice>
          <ol class="recovery-codes">
            {codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ol>
          <div class="form-actions left">
            <CopyButton text={codes.join('\n')} label="Copy all codes" />
            <button type="button" class="button" onClick={() => setCodes(null)}>
              I have stored them
            </button>
          </div>
        </>
      ) : (
        <>
          <p class="muted">
            Each code signs you in once without your authenticator. Making new ones cancels the old ones.
          </p>
          <button type="button" class="button" disabled={busy} onClick={() => void regenerate()}>
            Generate new recovery codes
          </button>
        </>
      )}
    </Card>
  );
}

export function MyAccountPage() {
  const { me } = useSession();
  const sessions = useLoad(() => api.get<SessionListResponse>('/auth/sessions'), []);
  const [error, setError] = useState<string | null>(null);
  const others = sessions.data?.items.filter((s) => !s.current) ?? [];
  const revoke = async (path: string) => {
    setError(null);
    try {
      await api.delete(path);
      sessions.reload();
    } catch (failed) {
      setError(errorMessage(failed));
    }
  };
  return (
    <div>
      <PageHeader title="My account" subtitle={`${me.user.full_name} · ${me.user.email}`} />
      <div class="two-col">
        <PasswordCard />
        <RecoveryCodesCard />
      </div>
      <Card
        title="Sessions"
        actions={
          others.length > 0 ? (
            <button type="button" class="button small" onClick={() => void revoke('/auth/sessions')}>
              Sign out other sessions
            </button>
          ) : null
        }
      >
        <p class="muted small">
          A session ends after {formatDuration(me.console.session_idle_timeout_seconds)} without activity and after{' '}
          {formatDuration(me.console.session_absolute_timeout_seconds)} in any case.
        </p>
        <ErrorBanner message={error ?? sessions.error} />
        {!sessions.data ? (
          <Loading />
        ) : (
          <table class="table" data-testid="sessions-table">
            <thead>
              <tr>
                <th>Started</th>
                <th>Last seen</th>
                <th>IP</th>
                <th>Browser</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {sessions.data.items.map((s) => (
                <tr key={s.id}>
                  <td>
                    <Time iso={s.created_at} />
                  </td>
                  <td>
                    <Time iso={s.last_seen_at} relative />
                  </td>
                  <td>{s.ip ?? '—'}</td>
                  <td class="clip">{s.user_agent ?? '—'}</td>
                  <td>
                    {s.current ? (
                      <Badge tone="blue">this browser</Badge>
                    ) : (
                      <button
                        type="button"
                        class="button small ghost"
                        onClick={() => void revoke(`/auth/sessions/${s.id}`)}
                      >
                        Sign out
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </div>
  );
}
