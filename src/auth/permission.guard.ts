import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { MetricsService } from '../common/metrics/metrics.service.js';
import { PermissionDeniedError, RouteNotPermittedError } from './auth.errors.js';
import { KeyRateLimiter } from './key-rate-limiter.js';
import { isGranted } from '../api-keys/permissions.js';
import type { Principal } from './principal.js';
import { RouteRulesCache } from './route-rules.js';

/**
 * Global, after authentication: the route's `@RequirePermission` must be granted (no declaration,
 * no entry), then the key's own rate limit, if it has one, is applied.
 */
@Injectable()
export class PermissionGuard implements CanActivate {
  private readonly routes: RouteRulesCache;

  constructor(
    reflector: Reflector,
    private readonly rateLimiter: KeyRateLimiter,
    private readonly metrics: MetricsService,
  ) {
    this.routes = new RouteRulesCache(reflector);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { isPublic, required } = this.routes.of(context);
    if (isPublic) return true;
    const principal = context.switchToHttp().getRequest<Request & { user: Principal }>().user;
    const failure = !required
      ? new RouteNotPermittedError()
      : !isGranted(principal.permissions, required)
        ? new PermissionDeniedError(required)
        : undefined;
    if (failure) {
      this.metrics.authFailure(failure);
      throw failure;
    }
    try {
      await this.rateLimiter.consume(principal);
    } catch (error) {
      this.metrics.authFailure(error);
      throw error;
    }
    return true;
  }
}
