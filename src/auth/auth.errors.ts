import { DomainError } from '../common/errors/domain-error.js';
import type { Permission } from '../api-keys/permissions.js';

export class MissingApiKeyError extends DomainError {
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
  constructor(limit: number) {
    super(`Rate limit exceeded: ${limit} requests per minute for this API key`);
  }
}
