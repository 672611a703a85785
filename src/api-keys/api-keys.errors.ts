import { DomainError, UnauthenticatedError } from '../common/errors/domain-error.js';

export class ApiKeyNotFoundError extends DomainError {
  readonly code = 'api_key_not_found';
  constructor(id: string) {
    super(`API key not found: ${id}`);
  }
}

export class ApiKeyNotRotatableError extends DomainError {
  readonly code = 'key_not_rotatable';
  constructor(id: string, status: string) {
    super(`API key ${id} is ${status} and cannot be rotated`);
  }
}

export class InvalidPermissionError extends DomainError {
  readonly code = 'invalid_permission';
  constructor(invalid: string[], valid: readonly string[]) {
    super(`Unknown permission(s): ${invalid.join(', ')}. Valid permissions: ${valid.join(', ')}`);
  }
}

/** A lifetime longer than `API_KEY_MAX_EXPIRY_DAYS` allows (or none, when a maximum is set). */
export class ApiKeyLifetimeTooLongError extends DomainError {
  readonly code = 'api_key_lifetime_too_long';
  constructor(maxDays: number, requestedDays: number | null) {
    super(
      `API keys may live at most ${maxDays} days (API_KEY_MAX_EXPIRY_DAYS): ` +
        (requestedDays === null ? 'a key that never expires is refused' : `${requestedDays} days requested`),
    );
    Object.assign(this.extra, { max_days: maxDays });
  }
}

export class ApiKeyNotUpdatableError extends DomainError {
  readonly code = 'api_key_not_updatable';
  constructor(id: string) {
    super(`API key ${id} is revoked and cannot be changed`);
  }
}

/** Authentication failures of a presented key (the verifier's verdicts). */
export class InvalidApiKeyError extends UnauthenticatedError {
  readonly code = 'invalid_api_key';
  constructor() {
    super('Authentication failed: Invalid API key');
  }
}

export class ApiKeyExpiredError extends UnauthenticatedError {
  readonly code = 'api_key_expired';
  constructor() {
    super('Authentication failed: API key expired');
  }
}

export class ApiKeyRevokedError extends UnauthenticatedError {
  readonly code = 'api_key_revoked';
  constructor() {
    super('Authentication failed: API key revoked');
  }
}
