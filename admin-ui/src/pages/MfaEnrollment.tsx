// MFA enrolment (ADMIN_CONSOLE.md §3): the server's QR code and secret, a code to confirm, then the
// ten recovery codes shown once. Used after a first login and after an invitation link.
import { useEffect, useState } from 'preact/hooks';
import type {
  AuthSessionResponse,
  MfaEnrollConfirmRequest,
  MfaEnrollConfirmResponse,
  MfaEnrollResponse,
} from '../../../src/admin-console/contract.js';
import { anonymousApi } from '../api.js';
import { CopyButton, ErrorBanner, Field, Loading, Notice } from '../components/ui.js';
import { errorMessage } from '../lib/errors.js';
import { checkTotpCode } from '../lib/validation.js';

/** The server's SVG as an image: a data: URL, so it is never parsed into the page's DOM. */
export function svgDataUrl(svg: string): string {
  return `data:image/svg+xml;base64,${btoa(unescape(encodeURIComponent(svg)))}`;
}

export function MfaEnrollment(props: { onSignedIn: (session: AuthSessionResponse) => void }) {
  const [enrolment, setEnrolment] = useState<MfaEnrollResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [codeError, setCodeError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirmed, setConfirmed] = useState<MfaEnrollConfirmResponse | null>(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    anonymousApi
      .post<MfaEnrollResponse>('/auth/mfa/enroll')
      .then(setEnrolment, (e: unknown) => setError(errorMessage(e)));
  }, []);

  if (confirmed) {
    const codes = confirmed.recovery_codes;
    return (
      <div class="auth-card wide" data-testid="recovery-codes">
        <h1>Save your recovery codes</h1>
        <p>
          Each code signs you in once if you lose your authenticator. They are shown <strong>only now</strong>: store
          them in your password manager.
        </p>
        <ol class="recovery-codes">
          {codes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ol>
        <div class="form-actions left">
          <CopyButton text={codes.join('\n')} label="Copy all codes" />
        </div>
        <label class="checkbox">
          <input type="checkbox" checked={saved} onChange={(e) => setSaved(e.currentTarget.checked)} /> I have stored
          these recovery codes
        </label>
        <div class="form-actions">
          <button type="button" class="button primary" disabled={!saved} onClick={() => props.onSignedIn(confirmed)}>
            Continue to the console
          </button>
        </div>
      </div>
    );
  }

  const submit = async (event: Event) => {
    event.preventDefault();
    const checked = checkTotpCode(code);
    if (!checked.ok) return setCodeError(checked.error);
    setBusy(true);
    setCodeError(null);
    try {
      const body: MfaEnrollConfirmRequest = { code: checked.value };
      setConfirmed(await anonymousApi.post<MfaEnrollConfirmResponse>('/auth/mfa/enroll/confirm', body));
    } catch (failure) {
      setCodeError(errorMessage(failure));
      setCode('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="auth-card wide" data-testid="mfa-enrollment">
      <h1>Set up two-factor authentication</h1>
      <p class="muted">Every operator signs in with a password and a code from an authenticator app.</p>
      <ErrorBanner message={error} />
      {!enrolment && !error ? <Loading /> : null}
      {enrolment ? (
        <div class="enrol-grid">
          <div>
            <img
              class="qr"
              src={svgDataUrl(enrolment.qr_svg)}
              alt="QR code to scan with your authenticator app"
              width={200}
              height={200}
            />
          </div>
          <div>
            <ol class="steps">
              <li>Scan the QR code with an authenticator app (1Password, Google Authenticator, Aegis…).</li>
              <li>
                Or enter this secret by hand:
                <div class="secret-row">
                  <code class="mono" data-testid="totp-secret">
                    {enrolment.secret_base32}
                  </code>
                  <CopyButton text={enrolment.secret_base32} />
                </div>
              </li>
              <li>Enter the 6-digit code the app shows.</li>
            </ol>
            <form onSubmit={(e) => void submit(e)}>
              <Field label="Code" error={codeError} id="enrol-code">
                <input
                  id="enrol-code"
                  class="input code-input"
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  value={code}
                  onInput={(e) => setCode(e.currentTarget.value)}
                />
              </Field>
              <button type="submit" class="button primary" disabled={busy}>
                {busy ? 'Checking…' : 'Confirm and enable'}
              </button>
            </form>
          </div>
        </div>
      ) : null}
      <Notice>The QR code is drawn by this server; the secret never leaves it for a third party.</Notice>
    </div>
  );
}
