import { DomainError } from '../common/errors/domain-error.js';
import type { AdminRole } from '../admin-users/admin-user.entity.js';

/** No session, an expired or revoked one, or an API key presented to the admin API. */
export class AdminUnauthenticatedError extends DomainError {
  readonly code = 'admin_unauthenticated';
  constructor(detail = 'Not signed in, or the session has ended') {
    super(detail);
  }
}

export class AdminForbiddenError extends DomainError {
  readonly code = 'admin_forbidden';
  constructor(required: AdminRole) {
    super(`This action needs the ${required} role`);
    this.extra.required_role = required;
  }
}

export class CsrfFailedError extends DomainError {
  readonly code = 'csrf_failed';
  constructor(detail: string) {
    super(detail);
  }
}

export class ReauthRequiredError extends DomainError {
  readonly code = 'reauth_required';
  constructor() {
    super('Confirm with a current authenticator code first (POST /admin/api/auth/reauth)');
  }
}

/** The one answer for an unknown email, a wrong password and an inactive admin. */
export class InvalidCredentialsError extends DomainError {
  readonly code = 'invalid_credentials';
  constructor() {
    super('Invalid email or password');
  }
}

export class AdminAccountLockedError extends DomainError {
  readonly code = 'account_locked';
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many failed sign-in attempts; try again in ${retryAfterSeconds} seconds`);
    this.extra.retry_after_seconds = retryAfterSeconds;
    this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}

export class AuthThrottledError extends DomainError {
  readonly code = 'too_many_requests';
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many requests; try again in ${retryAfterSeconds} seconds`);
    this.extra.retry_after_seconds = retryAfterSeconds;
    this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}

export class InvalidMfaCodeError extends DomainError {
  readonly code = 'invalid_mfa_code';
  constructor() {
    super('Invalid or already used code');
  }
}

export class MfaNotEnrolledError extends DomainError {
  readonly code = 'mfa_not_enrolled';
  constructor() {
    super('Two-factor authentication is not set up yet: enrol first');
  }
}

export class MfaAlreadyEnrolledError extends DomainError {
  readonly code = 'mfa_already_enrolled';
  constructor() {
    super('Two-factor authentication is already set up');
  }
}

export class MfaEnrollmentNotStartedError extends DomainError {
  readonly code = 'mfa_enrollment_not_started';
  constructor() {
    super('Start enrolment first (POST /admin/api/auth/mfa/enroll)');
  }
}

export class InvalidSetupTokenError extends DomainError {
  readonly code = 'invalid_setup_token';
  constructor() {
    super('This setup link is invalid, expired or already used');
  }
}

export class WeakPasswordError extends DomainError {
  readonly code = 'weak_password';
  constructor(detail: string) {
    super(detail);
  }
}

export class LastSuperAdminError extends DomainError {
  readonly code = 'last_super_admin';
  constructor() {
    super('The last active super_admin cannot be demoted or deactivated');
  }
}

export class SessionNotFoundError extends DomainError {
  readonly code = 'session_not_found';
  constructor() {
    super('Session not found');
  }
}

export class ConsoleDisabledError extends DomainError {
  readonly code = 'console_disabled';
  constructor() {
    super('The admin console is disabled on this server');
  }
}
