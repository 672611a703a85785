import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import type { Permission } from '../api-keys/permissions.js';

/** Who is calling: the API key that authenticated the request (never the key material). */
export interface Principal {
  keyId: string;
  keyName: string;
  environment: KeyEnvironment;
  permissions: readonly Permission[];
  rateLimitPerMinute: number | null;
  status: 'active' | 'rotating';
  expiresAt: Date | null;
  gracePeriodUntil: Date | null;
  /** When the key stops working (expiry, or the end of a rotation's grace period). */
  stopsWorkingAt: Date | null;
  /** Inside the warning window: responses carry `X-API-Key-Expires-At`. */
  expiresSoon: boolean;
}
