// Account actions (ADMIN_CONSOLE.md §4.4): suspend / reactivate with a reason, a balance adjustment
// with a preview and an idempotency key minted when the dialog opens, and close (typing the external id).
import { useState } from 'preact/hooks';
import type {
  AccountDetail,
  AccountStatusChangeRequest,
  AccountStatusChangeResponse,
  AdjustmentKind,
  AdjustmentRequest,
  AdjustmentResponse,
  CloseAccountRequest,
} from '../../../src/admin-console/contract.js';
import { api } from '../api.js';
import { errorMessage } from '../lib/errors.js';
import { formatMoney } from '../lib/format.js';
import { checkCloseConfirmation, checkReason, parseMoneyInput, previewAdjustment } from '../lib/validation.js';
import { useSession } from '../session.js';
import { Dialog } from './Dialog.js';
import { ErrorBanner, Field, Mono, Notice } from './ui.js';

export function StatusChangeDialog(props: {
  account: AccountDetail;
  action: 'suspend' | 'reactivate';
  onClose: () => void;
  onDone: () => void;
}) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const suspend = props.action === 'suspend';
  const submit = async (event: Event) => {
    event.preventDefault();
    const checked = checkReason(reason);
    setError(checked.ok ? null : checked.error);
    if (!checked.ok) return;
    setBusy(true);
    setFailure(null);
    try {
      const body: AccountStatusChangeRequest = { reason: checked.value };
      await api.post<AccountStatusChangeResponse>(`/accounts/${props.account.id}/${props.action}`, body);
      props.onDone();
    } catch (failed) {
      setFailure(errorMessage(failed));
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={suspend ? 'Suspend account' : 'Reactivate account'}
      onRequestClose={props.onClose}
      testId="status-dialog"
    >
      <form onSubmit={(e) => void submit(e)} noValidate>
        <ErrorBanner message={failure} />
        <p>
          {suspend
            ? 'Credit checks for this user answer has_credit: false (“Account suspended”) until it is reactivated. The balance is kept.'
            : 'The user can use free uses and the balance again.'}{' '}
          <Mono>{props.account.external_id}</Mono>
        </p>
        <Field label="Reason (recorded in the audit log)" error={error} id="status-reason">
          <textarea
            id="status-reason"
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
          <button type="submit" class={`button ${suspend ? 'danger' : 'primary'}`} disabled={busy}>
            {suspend ? 'Suspend' : 'Reactivate'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

const KINDS: { value: AdjustmentKind; label: string }[] = [
  { value: 'correction', label: 'Correction' },
  { value: 'goodwill', label: 'Goodwill credit' },
  { value: 'refund', label: 'Refund' },
  { value: 'chargeback', label: 'Chargeback' },
  { value: 'other', label: 'Other' },
];

export function AdjustBalanceDialog(props: {
  account: AccountDetail;
  onClose: () => void;
  onDone: (result: AdjustmentResponse) => void;
}) {
  const { me } = useSession();
  const account = props.account;
  // Minted once, when the dialog opens: a double click or a retry after a timeout applies once.
  const [idempotencyKey] = useState(() => `console-${crypto.randomUUID()}`);
  const [amount, setAmount] = useState('');
  const [kind, setKind] = useState<AdjustmentKind>('correction');
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<Record<string, string | null>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const parsed = amount.trim() ? parseMoneyInput(amount, account.currency) : null;
  const preview = parsed?.ok
    ? previewAdjustment(account.balance_minor, parsed.value, account.currency, account.held_minor)
    : null;
  const threshold = me.console.adjustment_step_up_threshold_minor;

  const submit = async (event: Event) => {
    event.preventDefault();
    const a = parseMoneyInput(amount, account.currency);
    const r = checkReason(reason);
    const below = a.ok
      ? previewAdjustment(account.balance_minor, a.value, account.currency, account.held_minor).error
      : null;
    setErrors({ amount: a.ok ? below : a.error, reason: r.ok ? null : r.error });
    if (!a.ok || !r.ok || below) return;
    setBusy(true);
    setFailure(null);
    try {
      const body: AdjustmentRequest = { amount_minor: a.value, kind, reason: r.value, idempotency_key: idempotencyKey };
      props.onDone(await api.post<AdjustmentResponse>(`/accounts/${account.id}/adjustments`, body));
    } catch (failed) {
      setFailure(errorMessage(failed));
      setBusy(false);
    }
  };

  return (
    <Dialog title="Adjust balance" onRequestClose={props.onClose} testId="adjust-dialog">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <ErrorBanner message={failure} />
        <p>
          Current balance <strong>{formatMoney(account.balance_minor, account.currency)}</strong> ·{' '}
          <Mono>{account.external_id}</Mono>
        </p>
        <Field
          label={`Amount in ${account.currency} (negative to debit)`}
          error={errors.amount ?? (parsed && !parsed.ok ? parsed.error : null)}
          id="adjust-amount"
        >
          <input
            id="adjust-amount"
            class="input narrow"
            inputMode="decimal"
            placeholder="e.g. 5.00 or -2.50"
            value={amount}
            data-autofocus
            onInput={(e) => {
              setAmount(e.currentTarget.value);
              setErrors({ ...errors, amount: null });
            }}
          />
        </Field>
        {preview ? (
          <div
            class={`preview ${preview.error ? 'preview-error' : ''}`}
            data-testid="adjust-preview"
            role={preview.error ? 'alert' : 'status'}
          >
            New balance: {preview.text}
            {preview.error ? <div>{preview.error}</div> : null}
          </div>
        ) : null}
        {parsed?.ok && Math.abs(parsed.value) > threshold ? (
          <Notice>
            Above {formatMoney(threshold, account.currency)}: you will be asked for an authenticator code.
          </Notice>
        ) : null}
        <Field label="Kind" id="adjust-kind">
          <select
            id="adjust-kind"
            class="input narrow"
            value={kind}
            onChange={(e) => setKind(e.currentTarget.value as AdjustmentKind)}
          >
            {KINDS.map((k) => (
              <option key={k.value} value={k.value}>
                {k.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Reason (recorded in the ledger and the audit log)" error={errors.reason} id="adjust-reason">
          <textarea
            id="adjust-reason"
            class="input"
            rows={2}
            value={reason}
            onInput={(e) => {
              setReason(e.currentTarget.value);
              setErrors({ ...errors, reason: null });
            }}
          />
        </Field>
        <div class="muted small">
          Idempotency key <Mono>{idempotencyKey}</Mono>
        </div>
        <div class="form-actions">
          <button type="button" class="button" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="submit"
            class="button primary"
            disabled={busy || Boolean(preview?.error)}
            data-testid="adjust-submit"
          >
            {busy ? 'Applying…' : 'Apply adjustment'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function CloseAccountDialog(props: { account: AccountDetail; onClose: () => void; onDone: () => void }) {
  const [typed, setTyped] = useState('');
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<Record<string, string | null>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const c = checkCloseConfirmation(typed, props.account.external_id);
    const r = checkReason(reason);
    setErrors({ confirm: c.ok ? null : c.error, reason: r.ok ? null : r.error });
    if (!c.ok || !r.ok) return;
    setBusy(true);
    setFailure(null);
    try {
      const body: CloseAccountRequest = { reason: r.value, confirm_external_id: c.value };
      await api.post<AccountStatusChangeResponse>(`/accounts/${props.account.id}/close`, body);
      props.onDone();
    } catch (failed) {
      setFailure(errorMessage(failed));
      setBusy(false);
    }
  };
  return (
    <Dialog title="Close account" onRequestClose={props.onClose} testId="close-dialog">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <ErrorBanner message={failure} />
        <Notice kind="warning">
          Closing is permanent: the account can no longer be charged or credited, and credit checks answer “Account
          closed”.
        </Notice>
        <Field label="Reason" error={errors.reason} id="close-reason">
          <textarea
            id="close-reason"
            class="input"
            rows={2}
            value={reason}
            data-autofocus
            onInput={(e) => {
              setReason(e.currentTarget.value);
              setErrors({ ...errors, reason: null });
            }}
          />
        </Field>
        <Field
          label={`Type the external id to confirm: ${props.account.external_id}`}
          error={errors.confirm}
          id="close-confirm"
        >
          <input
            id="close-confirm"
            class="input"
            value={typed}
            autoComplete="off"
            onInput={(e) => {
              setTyped(e.currentTarget.value);
              setErrors({ ...errors, confirm: null });
            }}
          />
        </Field>
        <div class="form-actions">
          <button type="button" class="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="button danger" disabled={busy || typed !== props.account.external_id}>
            Close account
          </button>
        </div>
      </form>
    </Dialog>
  );
}
