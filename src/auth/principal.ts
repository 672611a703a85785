import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import type { Permission } from '../api-keys/permissions.js';

/** Who is calling: the API key that authenticated the request (never the key material). */
export interface Principal {
  keyId: string;
  keyName: string;
  environment: KeyEnvironment;
  permissions: readonly Permission[];
  rateLimitPerMinute: number | null;
}
