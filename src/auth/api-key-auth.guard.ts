import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { ApiKeyVerifier } from '../api-keys/api-key-verifier.js';
import { MetricsService } from '../common/metrics/metrics.service.js';
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
    if (error || !user) {
      const failure = error instanceof Error ? error : new MissingApiKeyError();
      this.metrics.authFailure(failure);
      throw failure;
    }
    const req = context.switchToHttp().getRequest<Request>();
    this.verifier.recordUse((user as unknown as Principal).keyId, req.ip ?? null);
    return user;
  }
}
