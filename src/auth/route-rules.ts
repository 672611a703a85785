import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { Permission } from '../api-keys/permissions.js';
import { IS_PUBLIC, RequirePermission } from './decorators.js';

/** What a route declares: `@Public()`, and the `@RequirePermission` on the method or else its controller. */
export interface RouteRules {
  isPublic: boolean;
  required: Permission | undefined;
}

/**
 * The guards' reading of a route's decorators, done once per controller method rather than with
 * four metadata look-ups on every request (decorators are applied when a class is defined and never
 * change). Same precedence as `Reflector.getAllAndOverride([handler, class])`. Keyed by class, then
 * method: an inherited method can sit on more than one controller.
 */
export class RouteRulesCache {
  private readonly byClass = new WeakMap<object, WeakMap<object, RouteRules>>();

  constructor(private readonly reflector: Reflector) {}

  of(context: ExecutionContext): RouteRules {
    const controller = context.getClass();
    const handler = context.getHandler();
    let byHandler = this.byClass.get(controller);
    if (!byHandler) {
      byHandler = new WeakMap();
      this.byClass.set(controller, byHandler);
    }
    let rules = byHandler.get(handler);
    if (!rules) {
      const targets = [handler, controller];
      rules = {
        isPublic: Boolean(this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets)),
        required: this.reflector.getAllAndOverride(RequirePermission, targets),
      };
      byHandler.set(handler, rules);
    }
    return rules;
  }
}
