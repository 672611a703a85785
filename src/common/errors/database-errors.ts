import { DomainError } from './domain-error.js';
import { databaseFailure } from './database-failures.js';

import { DATABASE_RETRY_AFTER_S } from './retry-after.js';

export { DATABASE_RETRY_AFTER_S };

/** The database could not be reached in time; the request changed nothing. 503 with `Retry-After`. */
export class DatabaseUnavailableError extends DomainError {
  readonly code = 'database_unavailable';
  constructor() {
    super('The database is unavailable; nothing was changed. Retry later.');
    this.headers['Retry-After'] = String(DATABASE_RETRY_AFTER_S);
  }
}

/**
 * The connection to the database broke (or the wait for its answer ran out) after a request that
 * changes state was sent to it: it may or may not have been applied. 503 with `Retry-After`;
 * retrying the same request with the same `idempotency_key` settles it (README, "Errors").
 */
export class OutcomeUnknownError extends DomainError {
  readonly code = 'outcome_unknown';
  constructor() {
    super(
      'The database connection was lost while the request was being applied: it may or may not have been applied. ' +
        'Retry the same request with the same idempotency_key: if it was applied, the retry answers 409 with the existing id; ' +
        'if not, it is applied once.',
    );
    this.headers['Retry-After'] = String(DATABASE_RETRY_AFTER_S);
  }
}

/** Methods whose requests change nothing: an interrupted read is simply unavailable. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The error to answer for a failed database call, or `undefined` when the failure is not the
 * database's (a constraint, a bug). Reads and unsent statements are {@link DatabaseUnavailableError};
 * a write whose statement may have reached the server is {@link OutcomeUnknownError}.
 */
export function databaseErrorFor(
  error: unknown,
  method: string,
): DatabaseUnavailableError | OutcomeUnknownError | undefined {
  const failure = databaseFailure(error);
  if (!failure) return undefined;
  return failure === 'interrupted' && !READ_METHODS.has(method)
    ? new OutcomeUnknownError()
    : new DatabaseUnavailableError();
}
