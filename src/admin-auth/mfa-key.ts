import { createHash } from 'node:crypto';
import { parseSecretBoxKey } from '../common/crypto/secret-box.js';
import type { Env } from '../config/env.js';

/**
 * The AES-256-GCM key that seals TOTP secrets: ADMIN_MFA_ENCRYPTION_KEY. Outside production a
 * fixed, publicly known development key stands in when none is set (validateEnv refuses to start
 * in production without one), so `npm start` works on a laptop but nothing sealed with it is secret.
 */
export function mfaEncryptionKey(env: Env): Buffer {
  if (env.ADMIN_MFA_ENCRYPTION_KEY) {
    const key = parseSecretBoxKey(env.ADMIN_MFA_ENCRYPTION_KEY);
    if (key) return key;
  }
  return createHash('sha256').update('ciris-billing insecure development MFA key').digest();
}
