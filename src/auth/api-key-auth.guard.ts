import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request, Response } from 'express';
import { ApiKeyVerifier } from '../api-keys/api-key-verifier.js';
import { MetricsService, outcomeOf } from '../common/metrics/metrics.service.js';
import { KeyUsageRecorder } from '../key-usage/key-usage.recorder.js';
import { MissingApiKeyError } from './auth.errors.js';
import { API_KEY_STRATEGY } from './api-key.strategy.js';
import { IS_PUBLIC } from './decorators.js';
import type { Principal } from './principal.js';

/** Global: every route needs a valid API key unless it is `@Public()`. */
@Injectable()
export class ApiKeyAuthGuard extends AuthGuard(API_KEY_STRATEGY) {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: ApiKeyVerifier,
    private readonly metrics: MetricsService,
    private readonly usage: KeyUsageRecorder,
  ) {
    super();
  }

  override canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    return super.canActivate(context) as Promise<boolean>;
  }

  override handleRequest<T = Principal>(error: unknown, user: T | false, _info: unknown, context: ExecutionContext): T {
    // The strategy only fails without an error when the header is absent or empty.
    const req = context.switchToHttp().getRequest<Request>();
    if (error || !user) {
      const failure = error instanceof Error ? error : new MissingApiKeyError();
      this.metrics.authFailure(failure);
      this.usage.authFailed(outcomeOf(failure), req);
      throw failure;
    }
    const keyId = (user as unknown as Principal).keyId;
    this.verifier.recordUse(keyId, req.ip ?? null);
    // Counted per key and outcome (ok, 402, 403, 429 …) when the response is sent; flushed in batches.
    this.usage.trackRequest(keyId, context.switchToHttp().getResponse<Response>());
    return user;
  }
}
