import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { MetricsService } from '../common/metrics/metrics.service.js';
import { PermissionDeniedError, RouteNotPermittedError } from './auth.errors.js';
import { IS_PUBLIC, RequirePermission } from './decorators.js';
import { KeyRateLimiter } from './key-rate-limiter.js';
import { isGranted } from '../api-keys/permissions.js';
import type { Principal } from './principal.js';

/**
 * Global, after authentication: the route's `@RequirePermission` must be granted (no declaration,
 * no entry), then the key's own rate limit, if it has one, is applied.
 */
@Injectable()
export class PermissionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly rateLimiter: KeyRateLimiter,
    private readonly metrics: MetricsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const required = this.reflector.getAllAndOverride(RequirePermission, targets);
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
