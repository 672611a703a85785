import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The console session cookie (`__Host-`: Secure, Path=/, no Domain — bound to this exact origin). */
export const SESSION_COOKIE = '__Host-ciris_admin';
/** The few minutes between password and second factor. */
export const PENDING_COOKIE = '__Host-ciris_admin_pending';

/** 256 random bits, URL-safe. */
export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database keeps of a token: its SHA-256 (the token has 256 bits, a slow hash adds nothing). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The session's CSRF token, derived from the session token: nothing extra to store, useless without the cookie. */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('ciris-admin-csrf').digest('base64url');
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const RECOVERY_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** `XXXXX-XXXXX` from a 32-letter alphabet without look-alikes: 50 random bits. */
export function newRecoveryCode(): string {
  const bytes = randomBytes(10);
  const chars = [...bytes].map((b) => RECOVERY_ALPHABET[b % 32]);
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
}

/** Case, spaces and dashes do not matter when a code is typed back. */
export function hashRecoveryCode(code: string): string {
  return hashToken(code.toUpperCase().replace(/[\s-]/g, ''));
}
