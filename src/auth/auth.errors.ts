import { DomainError, UnauthenticatedError } from '../common/errors/domain-error.js';
import type { Permission } from '../api-keys/permissions.js';

export class MissingApiKeyError extends UnauthenticatedError {
  readonly code = 'missing_api_key';
  constructor() {
    super('Missing required header X-API-Key');
  }
}

export class PermissionDeniedError extends DomainError {
  readonly code = 'permission_denied';
  constructor(permission: Permission) {
    super(`Missing required permission: ${permission}`);
  }
}

/** A route that declares neither a permission nor `@Public()`: refused, never allowed by accident. */
export class RouteNotPermittedError extends DomainError {
  readonly code = 'route_not_permitted';
  constructor() {
    super('This route declares no permission and is refused');
  }
}

/** 429 past a key's `rate_limit_per_minute`; `Retry-After` and the limit go with it. */
export class RateLimitedError extends DomainError {
  readonly code = 'rate_limited';
  constructor(limit: number, retryAfterSeconds: number) {
    super(`Rate limit exceeded: ${limit} requests per minute for this API key`);
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    this.headers['Retry-After'] = String(seconds);
    Object.assign(this.extra, { limit_per_minute: limit, retry_after_seconds: seconds });
  }
}

/** 429 for a client address past the failed-authentication limit (see AuthFailureThrottle). */
export class TooManyAuthFailuresError extends DomainError {
  readonly code = 'too_many_auth_failures';
  constructor(limit: number, windowSeconds: number, retryAfterSeconds: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super(`Too many failed authentications from this address: try again in ${seconds} s`);
    this.headers['Retry-After'] = String(seconds);
    Object.assign(this.extra, { limit, window_seconds: windowSeconds, retry_after_seconds: seconds });
  }
}
