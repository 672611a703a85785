import { CliUsageError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Options every command accepts. */
export interface OutputOptions {
  json?: boolean;
}

export function parseWholeNumber(flag: string, raw: string, { min = 0, max = 36_500 } = {}): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
    throw new CliUsageError(`Invalid value for ${flag}: "${raw}" (expected a whole number from ${min} to ${max})`);
  }
  return Number(raw);
}

export function parseHours(flag: string, raw: string, max = 8_760): number {
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !Number.isFinite(value) || value > max) {
    throw new CliUsageError(`Invalid value for ${flag}: "${raw}" (expected a number of hours from 0 to ${max})`);
  }
  return value;
}

export function requireKeyId(raw: string | undefined): string {
  if (!raw) throw new CliUsageError('Missing <key-id> (see `node dist/cli key list`)');
  if (!UUID.test(raw))
    throw new CliUsageError(`Invalid key id "${raw}": expected a UUID as shown by \`node dist/cli key list\``);
  return raw.toLowerCase();
}

export function requireText(flag: string, raw: string | undefined, maxLength = 255): string {
  const value = raw?.trim() ?? '';
  if (value === '') throw new CliUsageError(`${flag} must not be empty`);
  if (value.length > maxLength) throw new CliUsageError(`${flag} is too long (at most ${maxLength} characters)`);
  return value;
}

export function oneOf<T extends string>(flag: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new CliUsageError(`Invalid value for ${flag}: "${raw}" (expected one of: ${allowed.join(', ')})`);
  }
  return raw as T;
}

/**
 * `--rate-limit-per-minute`: a whole number of requests per minute, or `none` to remove the limit.
 * (Parsers never return null: commander would not store it. {@link orNull} maps the word back.)
 */
export function parseRateLimit(flag: string, raw: string): number | 'none' {
  if (raw.trim().toLowerCase() === 'none') return 'none';
  return parseWholeNumber(flag, raw, { min: 1, max: 1_000_000 });
}

/** `--expires-in-days`: a whole number of days, or `never` for a key that does not expire. */
export function parseExpiresInDays(flag: string, raw: string): number | 'never' {
  if (raw.trim().toLowerCase() === 'never') return 'never';
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > 36_500) {
    throw new CliUsageError(
      `Invalid value for ${flag}: "${raw}" (expected a whole number of days from 1 to 36500, or never)`,
    );
  }
  return Number(raw);
}

/** A parsed `none` / `never` as `null`; a number as itself; an absent option stays undefined. */
export function orNull(value: number | 'none' | 'never' | undefined): number | null | undefined {
  return typeof value === 'string' ? null : value;
}
