import { WeakPasswordError } from './admin-auth.errors.js';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

/** Length is what matters (NIST 800-63B): 12 to 1024 characters, not only whitespace. */
export function checkPasswordStrength(password: string): void {
  if (password.trim().length < MIN_PASSWORD_LENGTH) {
    throw new WeakPasswordError(`Password too short: at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new WeakPasswordError(`Password too long: at most ${MAX_PASSWORD_LENGTH} characters`);
  }
}
