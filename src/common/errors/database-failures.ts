import { QueryFailedError } from 'typeorm';

/**
 * What a failed database call says about its statement:
 *  - `unavailable`: the statement never ran, or ran and was rolled back (no connection, the pool's
 *    wait ran out, the server refused or cancelled it). Retrying is safe whatever the request.
 *  - `interrupted`: the connection broke, or the client stopped waiting, after the statement may
 *    have reached the server. Whether it committed is unknown.
 * Anything else (constraint violations, bad input, bugs) is not a database failure: `undefined`.
 */
export type DatabaseFailure = 'unavailable' | 'interrupted';

/** SQLSTATEs meaning the server did not (or no longer would) run the statement to completion. */
const ROLLED_BACK = new Set([
  '57014', // query_canceled: statement_timeout, or a cancel request
  '57P01', // admin_shutdown: the session was terminated (pg_terminate_backend, fast shutdown)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting up or shutting down
  '53300', // too_many_connections
  '25P03', // idle_in_transaction_session_timeout: the transaction was rolled back
]);

/** Socket errors raised while connecting: nothing was sent. */
const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

/** Messages of pg and pg-pool when no connection could be had: nothing was sent. */
const NOT_SENT = [
  'timeout exceeded when trying to connect', // pg-pool: connectionTimeoutMillis while waiting for a client
  'Connection terminated due to connection timeout', // pg: connectionTimeoutMillis while connecting
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end on the pool',
];

/** Messages of pg when the connection broke or the client's read timeout fired mid-statement. */
const MID_STATEMENT = ['Connection terminated', 'Query read timeout', 'read ECONNRESET', 'write EPIPE'];
const MID_STATEMENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/** Classifies an error thrown by TypeORM, pg or pg-pool; see {@link DatabaseFailure}. */
export function databaseFailure(error: unknown): DatabaseFailure | undefined {
  const cause = error instanceof QueryFailedError ? (error.driverError as unknown) : error;
  if (!(cause instanceof Error)) return undefined;
  const { code } = cause as { code?: unknown };
  if (typeof code === 'string') {
    if (ROLLED_BACK.has(code) || code.startsWith('08')) return 'unavailable';
    if (CONNECT_ERRORS.has(code)) return 'unavailable';
    if (MID_STATEMENT_CODES.has(code)) return 'interrupted';
  }
  const message = cause.message;
  if (NOT_SENT.some((m) => message.startsWith(m))) return 'unavailable';
  if (MID_STATEMENT.some((m) => message.startsWith(m))) return 'interrupted';
  // An AggregateError of connect attempts (IPv4 and IPv6 both refused).
  if (cause instanceof AggregateError && cause.errors.every((e) => databaseFailure(e) === 'unavailable'))
    return 'unavailable';
  return undefined;
}
