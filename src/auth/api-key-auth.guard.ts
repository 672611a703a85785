import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ApiKeyVerifier } from '../api-keys/api-key-verifier.js';
import { MetricsService } from '../common/metrics/metrics.service.js';
import { MissingApiKeyError } from './auth.errors.js';
import { IS_PUBLIC } from './decorators.js';
import type { Principal } from './principal.js';

export const API_KEY_HEADER = 'x-api-key';

/**
 * Global: every route needs a valid API key unless it is `@Public()`. Authenticates only
 * (reads `X-API-Key`, resolves the key to a {@link Principal}); authorisation is
 * {@link PermissionGuard}'s job. It runs on every request of the agents' hot path, so it calls
 * the verifier directly rather than through Passport, whose per-request strategy set-up cost
 * more than the key check itself (docs/performance.md).
 */
@Injectable()
export class ApiKeyAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: ApiKeyVerifier,
    private readonly metrics: MetricsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const req = context.switchToHttp().getRequest<Request & { user?: Principal }>();
    let principal: Principal;
    try {
      const apiKey = req.headers[API_KEY_HEADER];
      if (apiKey === undefined || apiKey === '') throw new MissingApiKeyError();
      principal = await this.verifier.verify(apiKey);
    } catch (error) {
      this.metrics.authFailure(error);
      throw error;
    }
    this.verifier.recordUse(principal.keyId, req.ip ?? null);
    req.user = principal;
    return true;
  }
}
