import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request, Response } from 'express';
import { ApiKeyVerifier } from '../api-keys/api-key-verifier.js';
import { MetricsService, outcomeOf } from '../common/metrics/metrics.service.js';
import { KeyUsageRecorder } from '../key-usage/key-usage.recorder.js';
import { MissingApiKeyError } from './auth.errors.js';
import { API_KEY_STRATEGY } from './api-key.strategy.js';
import { AuthFailureThrottle } from './auth-failure-throttle.js';
import { IS_PUBLIC } from './decorators.js';
import type { Principal } from './principal.js';

/** Names when the calling key stops working, on every response while it is inside its warning window. */
export const KEY_EXPIRES_HEADER = 'X-API-Key-Expires-At';

/**
 * Global: every route needs a valid API key unless it is `@Public()`. Failed authentications go
 * through the {@link AuthFailureThrottle} (which may turn a 401 into a 429 for the address).
 */
@Injectable()
export class ApiKeyAuthGuard extends AuthGuard(API_KEY_STRATEGY) {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: ApiKeyVerifier,
    private readonly metrics: MetricsService,
    private readonly throttle: AuthFailureThrottle,
    private readonly usage: KeyUsageRecorder,
  ) {
    super();
  }

  override canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    if (this.throttle.blocksValidKeys) {
      const refused = this.throttle.refuseBlocked(context.switchToHttp().getRequest<Request>().ip);
      if (refused) {
        this.metrics.authFailure(refused);
        throw refused;
      }
    }
    // Failures only: the throttle counts them per client address and may answer 429 instead.
    return (super.canActivate(context) as Promise<boolean>).catch(async (error: unknown) => {
      throw await this.throttle.onFailure(context.switchToHttp().getRequest<Request>().ip, error);
    });
  }

  override handleRequest<T = Principal>(error: unknown, user: T | false, _info: unknown, context: ExecutionContext): T {
    // The strategy only fails without an error when the header is absent or empty.
    if (error || !user) {
      const failure = error instanceof Error ? error : new MissingApiKeyError();
      this.metrics.authFailure(failure);
      // Hourly failed-auth counters (reason, presented key prefix, client IP), flushed in batches.
      this.usage.authFailed(outcomeOf(failure), context.switchToHttp().getRequest<Request>());
      throw failure;
    }
    const req = context.switchToHttp().getRequest<Request>();
    const principal = user as unknown as Principal;
    this.verifier.recordUse(principal.keyId, req.ip ?? null);
    // Counted per key and outcome (ok, 402, 403, 429 …) when the response is sent; flushed in batches.
    this.usage.trackRequest(principal.keyId, context.switchToHttp().getResponse<Response>());
    if (principal.expiresSoon && principal.stopsWorkingAt) {
      context
        .switchToHttp()
        .getResponse<Response>()
        .setHeader(KEY_EXPIRES_HEADER, principal.stopsWorkingAt.toISOString());
    }
    return user;
  }
}
