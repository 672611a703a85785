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

export class RateLimitedError extends DomainError {
  readonly code = 'rate_limited';
  /** `retryAfterSeconds`: when the key may call again, sent as `Retry-After`. */
  constructor(limit: number, retryAfterSeconds?: number) {
    super(`Rate limit exceeded: ${limit} requests per minute for this API key`);
    if (retryAfterSeconds !== undefined)
      this.headers['Retry-After'] = String(Math.max(1, Math.ceil(retryAfterSeconds)));
  }
}
