// Step-up: the server answered 403 reauth_required; a fresh TOTP code unlocks sensitive actions for
// a few minutes, then the action that asked is retried.
import { useState } from 'preact/hooks';
import type { ReauthRequest } from '../../../src/admin-console/contract.js';
import { request } from '../api.js';
import { ApiError, errorMessage } from '../lib/errors.js';
import { checkTotpCode } from '../lib/validation.js';
import { Dialog } from './Dialog.js';
import { Field } from './ui.js';

export function StepUpDialog(props: { onDone: (ok: boolean) => void; onExpired: () => void }) {
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const checked = checkTotpCode(code);
    if (!checked.ok) return setError(checked.error);
    setBusy(true);
    try {
      const body: ReauthRequest = { code: checked.value };
      await request('POST', '/auth/reauth', { body, anonymous: true });
      props.onDone(true);
    } catch (failure) {
      setBusy(false);
      if (failure instanceof ApiError && failure.code === 'admin_unauthenticated') return props.onExpired();
      setError(errorMessage(failure));
      setCode('');
    }
  };

  return (
    <Dialog title="Confirm it is you" onRequestClose={() => props.onDone(false)} testId="step-up-dialog">
      <form onSubmit={(e) => void submit(e)}>
        <p>This action needs a fresh code from your authenticator app.</p>
        <Field label="6-digit code" error={error} id="step-up-code">
          <input
            id="step-up-code"
            class="input code-input"
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={8}
            value={code}
            data-autofocus
            onInput={(e) => setCode(e.currentTarget.value)}
          />
        </Field>
        <div class="form-actions">
          <button type="button" class="button" onClick={() => props.onDone(false)}>
            Cancel
          </button>
          <button type="submit" class="button primary" disabled={busy}>
            {busy ? 'Checking…' : 'Confirm'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
