import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * API key format: `cbk_<env>_<body><checksum>`.
 * - body: 256 random bits in base62, fixed 43 characters (62^43 > 2^256);
 * - checksum: CRC32 of everything before it, base62, fixed 6 characters.
 * Base62 keeps keys URL-safe and selectable with a double click; the checksum rejects typos and
 * truncation without a database look-up and lets secret scanners recognise real keys.
 */
export const API_KEY_PATTERN = /^cbk_(live|test)_[0-9A-Za-z]{49}$/;

export type KeyEnvironment = 'live' | 'test';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
/** Characters shown in listings and support tickets, e.g. `cbk_live_8f4d`. */
export const KEY_PREFIX_LENGTH = 13;

function toBase62(value: bigint, width: number): string {
  let out = '';
  let rest = value;
  while (rest > 0n) {
    out = ALPHABET[Number(rest % 62n)] + out;
    rest /= 62n;
  }
  return out.padStart(width, '0');
}

function checksum(text: string): string {
  return toBase62(BigInt(crc32(text)), CHECKSUM_LENGTH);
}

export function generateApiKey(environment: KeyEnvironment): string {
  const body = toBase62(BigInt(`0x${randomBytes(32).toString('hex')}`), BODY_LENGTH);
  const head = `cbk_${environment}_${body}`;
  return head + checksum(head);
}

/** Format and checksum only: a `false` here never needs the database. */
export function isWellFormedApiKey(key: string): boolean {
  if (key.length !== 58 || !API_KEY_PATTERN.test(key)) return false;
  const head = key.slice(0, -CHECKSUM_LENGTH);
  return checksum(head) === key.slice(-CHECKSUM_LENGTH);
}

export function environmentOf(key: string): KeyEnvironment {
  return key.startsWith('cbk_live_') ? 'live' : 'test';
}

/** SHA-256 hex. Keys carry 256 random bits, so a slow password hash would add nothing but latency. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function displayPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX_LENGTH);
}
