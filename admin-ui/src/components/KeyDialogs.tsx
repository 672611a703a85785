// The key dialogs of ADMIN_CONSOLE.md §4.3: create, show-once, rotate, revoke and edit.
import { useEffect, useRef, useState } from 'preact/hooks';
import type {
  ApiKeySummary,
  CreateKeyRequest,
  CreateKeyResponse,
  Environment,
  KeyResponse,
  Permission,
  RevokeKeyRequest,
  RotateKeyRequest,
  RotateKeyResponse,
  UpdateKeyRequest,
} from '../../../src/admin-console/contract.js';
import { api } from '../api.js';
import {
  DEFAULT_EXPIRY,
  DEFAULT_GRACE_SECONDS,
  expiryChoices,
  expiryDays,
  GRACE_CHOICES,
  type ExpiryChoice,
} from '../lib/choices.js';
import { errorMessage } from '../lib/errors.js';
import { formatDate, formatDateTime, formatRelative } from '../lib/format.js';
import { curlLine, maskKey } from '../lib/secrets.js';
import {
  checkKeyName,
  checkPermissions,
  checkRateLimit,
  checkReason,
  DEFAULT_PERMISSIONS,
  KEY_PERMISSIONS,
  SENSITIVE_PERMISSIONS,
} from '../lib/validation.js';
import { setNavigationBlocker } from '../router.js';
import { useSession } from '../session.js';
import { Dialog } from './Dialog.js';
import { ErrorBanner, Field, Mono, Notice } from './ui.js';

const PERMISSION_HELP: Record<Permission, string> = {
  'billing:read': 'credit checks, account and transaction reads',
  'billing:write': 'charges, credits, purchases, account creation',
  'billing:admin': 'suspend, reactivate, close accounts; adjust balances',
  'analytics:read': 'usage and revenue reports of every account',
};

function PermissionPicker(props: { value: string[]; onChange: (value: string[]) => void; error?: string | null }) {
  return (
    <fieldset class="field">
      <legend>Permissions</legend>
      {KEY_PERMISSIONS.map((p) => (
        <label class="checkbox" key={p}>
          <input
            type="checkbox"
            name="permission"
            value={p}
            checked={props.value.includes(p)}
            onChange={(e) =>
              props.onChange(e.currentTarget.checked ? [...props.value, p] : props.value.filter((x) => x !== p))
            }
          />{' '}
          <Mono>{p}</Mono> <span class="muted small">{PERMISSION_HELP[p]}</span>
        </label>
      ))}
      {props.value.some((p) => (SENSITIVE_PERMISSIONS as readonly string[]).includes(p)) ? (
        <Notice kind="warning">
          <strong>billing:admin</strong> and <strong>analytics:read</strong> reach every account of the environment.
          Give them only to a trusted back-office service, never to an agent.
        </Notice>
      ) : null}
      {props.error ? (
        <div class="field-error" role="alert">
          {props.error}
        </div>
      ) : null}
    </fieldset>
  );
}

export function CreateKeyDialog(props: { onClose: () => void; onCreated: (result: CreateKeyResponse) => void }) {
  const { me, environment } = useSession();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [env, setEnv] = useState<Environment>(environment);
  const [permissions, setPermissions] = useState<string[]>([...DEFAULT_PERMISSIONS]);
  const [expiry, setExpiry] = useState<ExpiryChoice>(DEFAULT_EXPIRY);
  const [expiryDate, setExpiryDate] = useState('');
  const [rateLimit, setRateLimit] = useState('');
  const [errors, setErrors] = useState<Record<string, string | null>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const n = checkKeyName(name);
    const p = checkPermissions(permissions);
    const r = checkRateLimit(rateLimit);
    const e = expiryDays(expiry, expiryDate);
    const found = {
      name: n.ok ? null : n.error,
      permissions: p.ok ? null : p.error,
      rateLimit: r.ok ? null : r.error,
      expiry: 'error' in e ? e.error : null,
    };
    setErrors(found);
    if (!n.ok || !p.ok || !r.ok || 'error' in e) return;
    const body: CreateKeyRequest = {
      name: n.value,
      description: description.trim() || null,
      environment: env,
      permissions: p.value,
      expires_in_days: e.days,
      rate_limit_per_minute: r.value,
    };
    setBusy(true);
    setFailure(null);
    try {
      props.onCreated(await api.post<CreateKeyResponse>('/keys', body));
    } catch (error) {
      setFailure(errorMessage(error));
      setBusy(false);
    }
  };

  return (
    <Dialog title="Create an API key" onRequestClose={props.onClose} testId="create-key-dialog">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <ErrorBanner message={failure} />
        <Field label="Name" error={errors.name} id="key-name" hint="Who uses it, e.g. “Support agent (prod)”.">
          <input
            id="key-name"
            class="input"
            value={name}
            maxLength={100}
            data-autofocus
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </Field>
        <Field label="Description (optional)" id="key-description">
          <input
            id="key-description"
            class="input"
            value={description}
            maxLength={500}
            onInput={(e) => setDescription(e.currentTarget.value)}
          />
        </Field>
        <fieldset class="field">
          <legend>Environment</legend>
          <div class="radio-row">
            {(['live', 'test'] as const).map((value) => (
              <label class="radio" key={value}>
                <input
                  type="radio"
                  name="environment"
                  value={value}
                  checked={env === value}
                  onChange={() => setEnv(value)}
                />{' '}
                {value === 'live' ? 'Live (real money)' : 'Test'}
              </label>
            ))}
          </div>
        </fieldset>
        <PermissionPicker value={permissions} onChange={setPermissions} error={errors.permissions} />
        <Field label="Expires" error={errors.expiry} id="key-expiry">
          <div class="inline-fields">
            <select
              id="key-expiry"
              class="input"
              value={expiry}
              onChange={(e) => setExpiry(e.currentTarget.value as ExpiryChoice)}
            >
              {expiryChoices(me.user.role).map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                  {c.value === DEFAULT_EXPIRY ? ' (default)' : ''}
                </option>
              ))}
            </select>
            {expiry === 'date' ? (
              <input
                type="date"
                class="input"
                aria-label="Expiry date"
                value={expiryDate}
                min={formatDate(new Date(Date.now() + 86_400_000).toISOString())}
                onInput={(e) => setExpiryDate(e.currentTarget.value)}
              />
            ) : null}
          </div>
          {expiry === 'never' ? (
            <div class="field-hint warning-text">A key that never expires must be revoked by hand.</div>
          ) : null}
        </Field>
        <Field label="Rate limit (requests per minute, optional)" error={errors.rateLimit} id="key-rate-limit">
          <input
            id="key-rate-limit"
            class="input narrow"
            inputMode="numeric"
            value={rateLimit}
            onInput={(e) => setRateLimit(e.currentTarget.value)}
          />
        </Field>
        <div class="form-actions">
          <button type="button" class="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="button primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create key'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/**
 * The plaintext key, shown once. It lives only in this component's props (memory): never in the
 * URL, storage or a log. Closing without ticking "I have stored this key" asks first; leaving the
 * page asks the browser's beforeunload question; back/forward is held by the router's blocker.
 */
export function ShowOnceDialog(props: {
  plaintext: string;
  apiKey: ApiKeySummary;
  title: string;
  onClose: () => void;
  extra?: preact.ComponentChildren;
}) {
  const [revealed, setRevealed] = useState(false);
  const [stored, setStored] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const storedRef = useRef(false);
  storedRef.current = stored;

  useEffect(() => {
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    setNavigationBlocker(() => {
      if (storedRef.current) return true;
      setConfirming(true);
      return false;
    });
    return () => {
      window.removeEventListener('beforeunload', onBeforeUnload);
      setNavigationBlocker(null);
    };
  }, []);

  const origin = window.location.origin;
  const curl = curlLine(origin, props.plaintext);
  const shown = revealed ? props.plaintext : maskKey(props.plaintext);
  const shownCurl = revealed ? curl : curlLine(origin, maskKey(props.plaintext));

  return (
    <Dialog
      title={props.title}
      onRequestClose={() => (stored ? props.onClose() : setConfirming(true))}
      size="wide"
      testId="show-once-dialog"
    >
      <Notice kind="warning">
        Copy this key now. It is shown <strong>once</strong>: the service keeps only a hash and cannot show it again.
      </Notice>
      {props.extra}
      <div class="secret-box">
        <div class="secret-label">
          {props.apiKey.name} · <span class="muted">{props.apiKey.environment}</span>
        </div>
        <div class="secret-row">
          <code class="mono secret" data-testid="plaintext-key">
            {shown}
          </code>
          <button type="button" class="button small" onClick={() => setRevealed(!revealed)} data-testid="reveal-key">
            {revealed ? 'Hide' : 'Reveal'}
          </button>
          <CopySecretButton text={props.plaintext} label="Copy key" testId="copy-key" />
        </div>
        <div class="secret-label">Try it</div>
        <div class="secret-row">
          <code class="mono curl" data-testid="curl-line">
            {shownCurl}
          </code>
          <CopySecretButton text={curl} label="Copy curl" testId="copy-curl" />
        </div>
      </div>
      <label class="checkbox strong">
        <input
          type="checkbox"
          checked={stored}
          data-testid="stored-checkbox"
          onChange={(e) => setStored(e.currentTarget.checked)}
        />{' '}
        I have stored this key
      </label>
      {confirming && !stored ? (
        <div
          class="confirm-box"
          role="alertdialog"
          aria-label="Close without storing the key?"
          data-testid="close-confirmation"
        >
          <p>
            <strong>Close without storing the key?</strong> It cannot be shown again; you would have to rotate or create
            another.
          </p>
          <div class="form-actions left">
            <button type="button" class="button primary" data-autofocus onClick={() => setConfirming(false)}>
              Keep it open
            </button>
            <button type="button" class="button danger" onClick={props.onClose} data-testid="discard-key">
              Close without storing
            </button>
          </div>
        </div>
      ) : null}
      <div class="form-actions">
        <button type="button" class="button primary" disabled={!stored} onClick={props.onClose} data-testid="done">
          Done
        </button>
      </div>
    </Dialog>
  );
}

function CopySecretButton(props: { text: string; label: string; testId: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <button
      type="button"
      class="button small"
      data-testid={props.testId}
      onClick={() => {
        const clipboard = navigator.clipboard as Clipboard | undefined;
        if (!clipboard) return setState('failed');
        clipboard.writeText(props.text).then(
          () => setState('copied'),
          () => setState('failed'),
        );
      }}
    >
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed: reveal and select' : props.label}
    </button>
  );
}

export function RotateKeyDialog(props: {
  apiKey: ApiKeySummary;
  onClose: () => void;
  onRotated: (result: RotateKeyResponse) => void;
}) {
  const [grace, setGrace] = useState(DEFAULT_GRACE_SECONDS);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const body: RotateKeyRequest = { grace_period_seconds: grace };
      props.onRotated(await api.post<RotateKeyResponse>(`/keys/${props.apiKey.id}/rotate`, body));
    } catch (error) {
      setFailure(errorMessage(error));
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Rotate “${props.apiKey.name}”`} onRequestClose={props.onClose} testId="rotate-dialog">
      <form onSubmit={(e) => void submit(e)}>
        <ErrorBanner message={failure} />
        <p>
          A new key replaces <Mono>{props.apiKey.key_prefix}…</Mono> with the same name, permissions, environment and
          rate limit. How long may the old key keep working while you deploy the new one?
        </p>
        <fieldset class="field">
          <legend>Old key keeps working for</legend>
          <div class="radio-grid">
            {GRACE_CHOICES.map((choice) => (
              <label class="radio" key={choice.seconds}>
                <input
                  type="radio"
                  name="grace"
                  value={choice.seconds}
                  checked={grace === choice.seconds}
                  onChange={() => setGrace(choice.seconds)}
                />{' '}
                {choice.label}
                {choice.seconds === DEFAULT_GRACE_SECONDS ? ' (default)' : ''}
              </label>
            ))}
          </div>
        </fieldset>
        {grace === 0 ? (
          <Notice kind="warning">The old key stops working at once: every client still using it gets 401.</Notice>
        ) : null}
        <div class="form-actions">
          <button type="button" class="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="button primary" disabled={busy}>
            {busy ? 'Rotating…' : 'Rotate key'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** Used within the last hour: revoking it will most likely break a running client. */
export function recentlyUsed(key: ApiKeySummary, now: Date = new Date()): boolean {
  return key.last_used_at !== null && now.getTime() - Date.parse(key.last_used_at) < 3_600_000;
}

export function RevokeKeyDialog(props: {
  apiKey: ApiKeySummary;
  onClose: () => void;
  onRevoked: (key: ApiKeySummary) => void;
}) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const key = props.apiKey;
  const submit = async (event: Event) => {
    event.preventDefault();
    const checked = checkReason(reason);
    setError(checked.ok ? null : checked.error);
    if (!checked.ok) return;
    setBusy(true);
    setFailure(null);
    try {
      const body: RevokeKeyRequest = { reason: checked.value };
      props.onRevoked((await api.post<KeyResponse>(`/keys/${key.id}/revoke`, body)).key);
    } catch (failed) {
      setFailure(errorMessage(failed));
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Revoke “${key.name}”`} onRequestClose={props.onClose} testId="revoke-dialog">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <ErrorBanner message={failure} />
        <p>
          <Mono>{key.key_prefix}…</Mono> stops working on the next request, on every replica. This cannot be undone.
        </p>
        {recentlyUsed(key) ? (
          <Notice kind="warning">
            This key was used {formatRelative(key.last_used_at)}
            {key.last_used_ip ? ` from ${key.last_used_ip}` : ''}. A client still depends on it; consider rotating
            instead.
          </Notice>
        ) : null}
        <Field label="Reason (recorded in the audit log)" error={error} id="revoke-reason">
          <textarea
            id="revoke-reason"
            class="input"
            rows={3}
            value={reason}
            data-autofocus
            onInput={(e) => {
              setReason(e.currentTarget.value);
              setError(null);
            }}
          />
        </Field>
        <div class="form-actions">
          <button type="button" class="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="button danger" disabled={busy}>
            {busy ? 'Revoking…' : 'Revoke key'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function EditKeyDialog(props: {
  apiKey: ApiKeySummary;
  onClose: () => void;
  onSaved: (key: ApiKeySummary) => void;
}) {
  const { me } = useSession();
  const key = props.apiKey;
  const [name, setName] = useState(key.name);
  const [description, setDescription] = useState(key.description ?? '');
  const [permissions, setPermissions] = useState<string[]>([...key.permissions]);
  const initialExpiresOn = key.expires_at ? formatDate(key.expires_at) : '';
  const [expiresOn, setExpiresOn] = useState(initialExpiresOn);
  const [rateLimit, setRateLimit] = useState(
    key.rate_limit_per_minute === null ? '' : String(key.rate_limit_per_minute),
  );
  const [errors, setErrors] = useState<Record<string, string | null>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const canNever = me.user.role === 'super_admin';

  const submit = async (event: Event) => {
    event.preventDefault();
    const n = checkKeyName(name);
    const p = checkPermissions(permissions);
    const r = checkRateLimit(rateLimit);
    let expiresAt: string | null = null;
    let expiryError: string | null = null;
    const expiryChanged = expiresOn !== initialExpiresOn;
    if (expiryChanged && expiresOn) {
      const end = Date.parse(`${expiresOn}T23:59:59.999Z`);
      if (Number.isNaN(end) || end <= Date.now()) expiryError = 'Pick a date in the future.';
      else expiresAt = new Date(end).toISOString();
    } else if (expiryChanged && !canNever) {
      expiryError = 'Only a super admin can make a key that never expires.';
    }
    setErrors({
      name: n.ok ? null : n.error,
      permissions: p.ok ? null : p.error,
      rateLimit: r.ok ? null : r.error,
      expiry: expiryError,
    });
    if (!n.ok || !p.ok || !r.ok || expiryError) return;
    const body: UpdateKeyRequest = {
      name: n.value,
      description: description.trim() || null,
      permissions: p.value,
      rate_limit_per_minute: r.value,
    };
    if (expiryChanged) body.expires_at = expiresAt;
    setBusy(true);
    setFailure(null);
    try {
      props.onSaved((await api.patch<KeyResponse>(`/keys/${key.id}`, body)).key);
    } catch (failed) {
      setFailure(errorMessage(failed));
      setBusy(false);
    }
  };

  return (
    <Dialog title={`Edit “${key.name}”`} onRequestClose={props.onClose} testId="edit-key-dialog">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <ErrorBanner message={failure} />
        <Field label="Name" error={errors.name} id="edit-name">
          <input
            id="edit-name"
            class="input"
            value={name}
            maxLength={100}
            data-autofocus
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </Field>
        <Field label="Description" id="edit-description">
          <input
            id="edit-description"
            class="input"
            value={description}
            maxLength={500}
            onInput={(e) => setDescription(e.currentTarget.value)}
          />
        </Field>
        <PermissionPicker value={permissions} onChange={setPermissions} error={errors.permissions} />
        <Field
          label="Expires at the end of (UTC)"
          error={errors.expiry}
          id="edit-expiry"
          hint={key.expires_at ? `Now: ${formatDateTime(key.expires_at)}` : 'Now: never'}
        >
          <input
            id="edit-expiry"
            type="date"
            class="input narrow"
            value={expiresOn}
            onInput={(e) => setExpiresOn(e.currentTarget.value)}
          />
        </Field>
        <Field label="Rate limit (requests per minute, empty for none)" error={errors.rateLimit} id="edit-rate-limit">
          <input
            id="edit-rate-limit"
            class="input narrow"
            inputMode="numeric"
            value={rateLimit}
            onInput={(e) => setRateLimit(e.currentTarget.value)}
          />
        </Field>
        <div class="form-actions">
          <button type="button" class="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="button primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save changes'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
