import { QueryFailedError } from 'typeorm';
import { DomainError } from '../common/errors/domain-error.js';
import { InvalidEnvironmentError } from '../config/env.js';

/** A mistake in how the CLI was called (bad flag value, missing password): shown as one line. */
export class CliUsageError extends Error {}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
]);
/** PostgreSQL SQLSTATEs that mean "cannot use this database", not "the command failed". */
const CONNECT_SQLSTATES: Record<string, string> = {
  '28P01': 'password authentication failed',
  '28000': 'authentication rejected',
  '3D000': 'database does not exist',
  '57P03': 'the server is starting up or shutting down',
  '53300': 'too many connections',
};

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  if (error instanceof AggregateError) return error.errors.map(codeOf).find((c) => c !== undefined);
  return undefined;
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? text
  );
}

/**
 * The one line an operator sees for a failure. Domain errors carry their own sentence; database
 * trouble is named as such; anything else is reported by its message, never with a stack.
 */
export function describeError(error: unknown): string {
  if (error instanceof DomainError || error instanceof CliUsageError) return error.message;
  if (error instanceof InvalidEnvironmentError) {
    const [head, ...lines] = error.message
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    return `${head} ${lines.join('; ')}`;
  }
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code && NETWORK_CODES.has(code)) return `Database unreachable (${code}): check DATABASE_URL or start the service`;
  if (/timeout/i.test(message) && /connect/i.test(message))
    return 'Database unreachable (connection timed out): check DATABASE_URL';
  if (code && CONNECT_SQLSTATES[code])
    return `Cannot use the database: ${CONNECT_SQLSTATES[code]} (${firstLine(message)})`;
  if (error instanceof QueryFailedError && code === '42P01') {
    return `Database schema is missing (${firstLine(message)}): run \`node dist/cli migrate\` first`;
  }
  return `Unexpected error: ${firstLine(message) || 'unknown'}`;
}
