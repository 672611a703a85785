import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Permission } from '../api-keys/permissions.js';
import type { MetricsService } from '../common/metrics/metrics.service.js';
import { PermissionDeniedError, RateLimitedError, RouteNotPermittedError } from './auth.errors.js';
import { Public, RequirePermission } from './decorators.js';
import type { KeyRateLimiter } from './key-rate-limiter.js';
import { PermissionGuard } from './permission.guard.js';
import type { Principal } from './principal.js';

class Routes {
  @RequirePermission('billing:write')
  write(): void {}

  @RequirePermission('billing:admin')
  admin(): void {}

  @Public()
  open(): void {}

  undeclared(): void {}
}

@RequirePermission('analytics:read')
class AnalyticsRoutes {
  report(): void {}

  @RequirePermission('billing:read')
  overridden(): void {}
}

const principal = (permissions: Permission[]): Principal => ({
  keyId: '00000000-0000-4000-8000-000000000001',
  keyName: 'unit',
  environment: 'test',
  permissions,
  rateLimitPerMinute: null,
  status: 'active',
  expiresAt: null,
  gracePeriodUntil: null,
  stopsWorkingAt: null,
  expiresSoon: false,
});

function context(controller: new () => object, method: string, user?: Principal): ExecutionContext {
  return {
    getClass: () => controller,
    getHandler: () => (controller.prototype as Record<string, () => void>)[method],
    switchToHttp: () => ({ getRequest: () => ({ user }) }),
  } as unknown as ExecutionContext;
}

describe('PermissionGuard', () => {
  let consumed: Principal[];
  let failures: unknown[];
  let limit: (p: Principal) => Promise<void>;
  let guard: PermissionGuard;

  beforeEach(() => {
    consumed = [];
    failures = [];
    limit = (p) => {
      consumed.push(p);
      return Promise.resolve();
    };
    const rateLimiter = { consume: (p: Principal) => limit(p) } as unknown as KeyRateLimiter;
    const metrics = { authFailure: (e: unknown) => failures.push(e) } as unknown as MetricsService;
    guard = new PermissionGuard(new Reflector(), rateLimiter, metrics);
  });

  it('lets a key through to a route that names a permission it holds, then applies its rate limit', async () => {
    const key = principal(['billing:read', 'billing:write']);
    await expect(guard.canActivate(context(Routes, 'write', key))).resolves.toBe(true);
    expect(consumed).toEqual([key]);
    expect(failures).toEqual([]);
  });

  it('refuses a key without the permission (403 permission_denied), before counting it against the limit', async () => {
    const attempt = guard.canActivate(context(Routes, 'admin', principal(['billing:read', 'billing:write'])));
    await expect(attempt).rejects.toThrow(PermissionDeniedError);
    await expect(attempt).rejects.toMatchObject({ code: 'permission_denied' });
    expect(consumed).toEqual([]);
    expect(failures).toHaveLength(1);
  });

  it('refuses every key on a route that declares no permission (fails closed)', async () => {
    const everything = principal(['billing:read', 'billing:write', 'billing:admin', 'analytics:read']);
    await expect(guard.canActivate(context(Routes, 'undeclared', everything))).rejects.toThrow(RouteNotPermittedError);
  });

  it('lets public routes through without a principal', async () => {
    await expect(guard.canActivate(context(Routes, 'open'))).resolves.toBe(true);
    expect(consumed).toEqual([]);
  });

  it('reads a class-level permission, and a method-level one overrides it', async () => {
    const reader = principal(['billing:read']);
    await expect(guard.canActivate(context(AnalyticsRoutes, 'report', reader))).rejects.toThrow(PermissionDeniedError);
    await expect(guard.canActivate(context(AnalyticsRoutes, 'overridden', reader))).resolves.toBe(true);
    await expect(guard.canActivate(context(AnalyticsRoutes, 'report', principal(['analytics:read'])))).resolves.toBe(
      true,
    );
  });

  it('passes a rate-limit refusal on and counts it', async () => {
    limit = () => Promise.reject(new RateLimitedError(3, 20));
    await expect(guard.canActivate(context(Routes, 'write', principal(['billing:write'])))).rejects.toThrow(
      RateLimitedError,
    );
    expect(failures).toHaveLength(1);
  });
});
