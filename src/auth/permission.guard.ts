import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { PermissionDeniedError, RouteNotPermittedError } from './auth.errors.js';
import { IS_PUBLIC, RequirePermission } from './decorators.js';
import { KeyRateLimiter } from './key-rate-limiter.js';
import { isGranted } from './permissions.js';
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
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const required = this.reflector.getAllAndOverride(RequirePermission, targets);
    if (!required) throw new RouteNotPermittedError();
    const principal = context.switchToHttp().getRequest<Request & { user: Principal }>().user;
    if (!isGranted(principal.permissions, required)) throw new PermissionDeniedError(required);
    await this.rateLimiter.consume(principal);
    return true;
  }
}
