// An invitation link (`/admin/setup?token=…`): choose a password, then enrol MFA.
import { useState } from 'preact/hooks';
import type { AuthSessionResponse, SetupRequest } from '../../../src/admin-console/contract.js';
import { anonymousApi } from '../api.js';
import { ErrorBanner, Field } from '../components/ui.js';
import { errorMessage } from '../lib/errors.js';
import { checkNewPassword } from '../lib/validation.js';
import { navigate } from '../router.js';
import { AuthFrame } from './LoginPage.js';
import { MfaEnrollment } from './MfaEnrollment.js';

export function SetupPage(props: { token: string; onSignedIn: (session: AuthSessionResponse) => void }) {
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<string | null>(props.token ? null : 'This setup link is incomplete.');
  const [busy, setBusy] = useState(false);
  const [enrolling, setEnrolling] = useState(false);

  if (enrolling) {
    return (
      <AuthFrame>
        <MfaEnrollment
          onSignedIn={(session) => {
            props.onSignedIn(session);
            navigate('/', { replace: true });
          }}
        />
      </AuthFrame>
    );
  }

  const submit = async (event: Event) => {
    event.preventDefault();
    const checked = checkNewPassword(password, repeat);
    if (!checked.ok) return setError(checked.error);
    setBusy(true);
    try {
      const body: SetupRequest = { token: props.token, password: checked.value };
      await anonymousApi.post('/auth/setup', body);
      // The token is single-use: take it out of the address bar and the history.
      window.history.replaceState(null, '', '/admin/setup');
      setEnrolling(true);
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthFrame>
      <div class="auth-card" data-testid="setup">
        <h1>Set up your operator account</h1>
        <p class="muted">Choose a password (at least 12 characters). Next you will set up two-factor authentication.</p>
        <ErrorBanner message={error} />
        <form onSubmit={(e) => void submit(e)}>
          <Field label="New password" id="setup-password">
            <input
              id="setup-password"
              class="input"
              type="password"
              autoComplete="new-password"
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </Field>
          <Field label="Repeat the password" id="setup-repeat">
            <input
              id="setup-repeat"
              class="input"
              type="password"
              autoComplete="new-password"
              value={repeat}
              onInput={(e) => setRepeat(e.currentTarget.value)}
            />
          </Field>
          <button type="submit" class="button primary block" disabled={busy || !props.token}>
            Continue
          </button>
        </form>
      </div>
    </AuthFrame>
  );
}
