import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC, Public, RequirePermission } from './decorators.js';
import { RouteRulesCache } from './route-rules.js';

@RequirePermission('billing:read')
class ReadRoutes {
  list(): void {}

  @RequirePermission('billing:write')
  write(): void {}

  @Public()
  open(): void {}

  undeclared(): void {}
}

/** Inherits `list` (the same function) under a different class-level permission. */
@RequirePermission('analytics:read')
class AnalyticsRoutes extends ReadRoutes {}

class Undeclared {
  route(): void {}
}

function context(controller: new () => object, method: string): ExecutionContext {
  return {
    getClass: () => controller,
    getHandler: () => (controller.prototype as Record<string, () => void>)[method],
  } as unknown as ExecutionContext;
}

describe('RouteRulesCache', () => {
  const reflector = new Reflector();
  const cases: [new () => object, string][] = [
    [ReadRoutes, 'list'],
    [ReadRoutes, 'write'],
    [ReadRoutes, 'open'],
    [ReadRoutes, 'undeclared'],
    [AnalyticsRoutes, 'list'],
    [AnalyticsRoutes, 'write'],
    [Undeclared, 'route'],
  ];

  it('reads what Reflector.getAllAndOverride reads (method over class), on first and later requests', () => {
    const cache = new RouteRulesCache(reflector);
    for (let round = 0; round < 2; round++) {
      for (const [controller, method] of cases) {
        const targets = [(controller.prototype as Record<string, () => void>)[method], controller];
        expect(cache.of(context(controller, method))).toEqual({
          isPublic: Boolean(reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets)),
          required: reflector.getAllAndOverride(RequirePermission, targets),
        });
      }
    }
  });

  it('keeps an inherited method apart per controller', () => {
    const cache = new RouteRulesCache(reflector);
    expect(cache.of(context(ReadRoutes, 'list')).required).toBe('billing:read');
    expect(cache.of(context(AnalyticsRoutes, 'list')).required).toBe('analytics:read');
    expect(cache.of(context(ReadRoutes, 'list')).required).toBe('billing:read');
    expect(cache.of(context(ReadRoutes, 'open')).isPublic).toBe(true);
    expect(cache.of(context(Undeclared, 'route'))).toEqual({ isPublic: false, required: undefined });
  });
});
