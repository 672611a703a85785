import type { ErrorCode } from './error-codes.js';

/**
 * Base class for every error a service throws on purpose. `code` is stable and machine-readable
 * (one of {@link ErrorCode}, each with its HTTP status); `message` is the human sentence clients
 * see as `detail`. HTTP mapping lives in one place, `HttpErrorFilter`; the CLI maps the same
 * errors to messages and exit codes.
 */
export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
  /** Extra fields merged into the error body (e.g. `charge_id` for a duplicate charge). */
  readonly extra: Record<string, unknown> = {};
  /** Response headers that go with the error (e.g. `X-Existing-Charge-ID`, `Retry-After`). */
  readonly headers: Record<string, string> = {};
}

/** A request without a usable API key: 401 with the `WWW-Authenticate: ApiKey` challenge (SPEC). */
export abstract class UnauthenticatedError extends DomainError {
  constructor(message: string) {
    super(message);
    this.headers['WWW-Authenticate'] = 'ApiKey';
  }
}

export type ValidationIssue = { loc: (string | number)[]; msg: string; type: string };

export class RequestValidationError extends DomainError {
  readonly code = 'validation_error';
  constructor(readonly issues: ValidationIssue[]) {
    super(issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; '));
  }
}

export class PayloadTooLargeError extends DomainError {
  readonly code = 'payload_too_large';
  constructor() {
    super('Request body too large');
  }
}
