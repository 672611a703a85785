import { useState } from 'preact/hooks';
import type {
  AuthSessionResponse,
  LoginRequest,
  LoginResponse,
  MfaVerifyRequest,
} from '../../../src/admin-console/contract.js';
import { anonymousApi } from '../api.js';
import { ErrorBanner, Field, Notice } from '../components/ui.js';
import { ApiError, errorMessage } from '../lib/errors.js';
import { checkTotpCode } from '../lib/validation.js';
import { MfaEnrollment } from './MfaEnrollment.js';

type Step = 'credentials' | 'mfa' | 'enroll';

export function AuthFrame(props: { children: preact.ComponentChildren }) {
  return (
    <div class="auth-page">
      <div class="auth-brand">
        <span class="brand-mark" aria-hidden="true">
          ◆
        </span>{' '}
        CIRIS Billing <span class="brand-sub">console</span>
      </div>
      {props.children}
    </div>
  );
}

export function LoginPage(props: { expired: boolean; onSignedIn: (session: AuthSessionResponse) => void }) {
  const [step, setStep] = useState<Step>('credentials');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [useRecovery, setUseRecovery] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const login = async (event: Event) => {
    event.preventDefault();
    setError(null);
    if (!email.trim() || !password) return setError('Enter your email and password.');
    setBusy(true);
    try {
      const body: LoginRequest = { email: email.trim(), password };
      const answer = await anonymousApi.post<LoginResponse>('/auth/login', body);
      setPassword('');
      setStep(answer.state === 'mfa_enrollment_required' ? 'enroll' : 'mfa');
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.code === 'account_locked' && failure.body.retry_after_seconds
          ? `${failure.message} Try again in ${Math.ceil(failure.body.retry_after_seconds / 60)} min.`
          : errorMessage(failure),
      );
    } finally {
      setBusy(false);
    }
  };

  const verify = async (event: Event) => {
    event.preventDefault();
    setError(null);
    let body: MfaVerifyRequest;
    if (useRecovery) {
      if (!code.trim()) return setError('Enter one of your recovery codes.');
      body = { recovery_code: code.trim() };
    } else {
      const checked = checkTotpCode(code);
      if (!checked.ok) return setError(checked.error);
      body = { code: checked.value };
    }
    setBusy(true);
    try {
      props.onSignedIn(await anonymousApi.post<AuthSessionResponse>('/auth/mfa/verify', body));
    } catch (failure) {
      setError(errorMessage(failure));
      setCode('');
      // The pending login is short-lived: when it is gone, start again from the password.
      if (failure instanceof ApiError && failure.code === 'admin_unauthenticated') setStep('credentials');
    } finally {
      setBusy(false);
    }
  };

  if (step === 'enroll') {
    return (
      <AuthFrame>
        <MfaEnrollment onSignedIn={props.onSignedIn} />
      </AuthFrame>
    );
  }

  return (
    <AuthFrame>
      <div class="auth-card" data-testid={step === 'mfa' ? 'login-mfa' : 'login'}>
        <h1>{step === 'mfa' ? 'Two-factor authentication' : 'Sign in'}</h1>
        {props.expired && step === 'credentials' ? (
          <Notice kind="warning">Your session ended. Sign in again to continue where you were.</Notice>
        ) : null}
        <ErrorBanner message={error} />
        {step === 'credentials' ? (
          <form onSubmit={(e) => void login(e)}>
            <Field label="Email" id="login-email">
              <input
                id="login-email"
                class="input"
                type="email"
                autoComplete="username"
                value={email}
                onInput={(e) => setEmail(e.currentTarget.value)}
                autoFocus
              />
            </Field>
            <Field label="Password" id="login-password">
              <input
                id="login-password"
                class="input"
                type="password"
                autoComplete="current-password"
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
              />
            </Field>
            <button type="submit" class="button primary block" disabled={busy}>
              {busy ? 'Signing in…' : 'Continue'}
            </button>
          </form>
        ) : (
          <form onSubmit={(e) => void verify(e)}>
            <Field label={useRecovery ? 'Recovery code' : '6-digit code from your authenticator app'} id="login-code">
              <input
                id="login-code"
                class="input code-input"
                inputMode={useRecovery ? 'text' : 'numeric'}
                autoComplete="one-time-code"
                value={code}
                onInput={(e) => setCode(e.currentTarget.value)}
                autoFocus
              />
            </Field>
            <button type="submit" class="button primary block" disabled={busy}>
              {busy ? 'Checking…' : 'Sign in'}
            </button>
            <button
              type="button"
              class="link-button"
              onClick={() => {
                setUseRecovery(!useRecovery);
                setCode('');
                setError(null);
              }}
            >
              {useRecovery ? 'Use an authenticator code instead' : 'Lost your authenticator? Use a recovery code'}
            </button>
          </form>
        )}
      </div>
    </AuthFrame>
  );
}
