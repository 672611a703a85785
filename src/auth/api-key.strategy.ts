import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { HeaderAPIKeyStrategy } from 'passport-headerapikey';
import { ApiKeyVerifier } from '../api-keys/api-key-verifier.js';
import type { Principal } from './principal.js';

export const API_KEY_STRATEGY = 'api-key';

/** Authenticates only: reads `X-API-Key` and resolves the key. Authorisation is {@link PermissionGuard}'s job. */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(HeaderAPIKeyStrategy, API_KEY_STRATEGY) {
  constructor(private readonly verifier: ApiKeyVerifier) {
    super({ header: 'X-API-Key', prefix: '' }, false);
  }

  async validate(apiKey: string): Promise<Principal> {
    const key = await this.verifier.verify(apiKey);
    return {
      keyId: key.id,
      keyName: key.name,
      environment: key.environment,
      permissions: key.permissions,
      rateLimitPerMinute: key.rateLimitPerMinute,
      status: key.status,
      expiresAt: key.expiresAt,
      gracePeriodUntil: key.gracePeriodUntil,
      stopsWorkingAt: key.stopsWorkingAt,
      expiresSoon: key.expiresSoon,
    };
  }
}
