import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { ApiKeyVerifier } from '../api-keys/api-key-verifier.js';
import { MetricsService, outcomeOf } from '../common/metrics/metrics.service.js';
import { KeyUsageRecorder } from '../key-usage/key-usage.recorder.js';
import { MissingApiKeyError } from './auth.errors.js';
import { ApiKeyStrategy } from './api-key.strategy.js';
import { AuthFailureThrottle } from './auth-failure-throttle.js';
import type { Principal } from './principal.js';
import { RouteRulesCache } from './route-rules.js';

/** Names when the calling key stops working, on every response while it is inside its warning window. */
export const KEY_EXPIRES_HEADER = 'X-API-Key-Expires-At';

/**
 * One authentication of one request by the Passport strategy: the registered {@link ApiKeyStrategy}
 * instance (through the prototype chain) plus this request's state. The strategy calls Passport's
 * actions on it (`success`, `fail`, `error`), which the guard defines once on the shared prototype.
 */
interface Attempt {
  authenticate(req: Request, options?: object): void;
  req: Request;
  res: Response;
  resolve(this: void, value: boolean): void;
  reject(this: void, reason: unknown): void;
}

/**
 * Global: every route needs a valid API key unless it is `@Public()`. The key is authenticated by the
 * Passport strategy ({@link ApiKeyStrategy}, `passport-headerapikey`), run the way
 * `passport.authenticate` runs it (a new object whose prototype is the registered strategy, with
 * Passport's actions on it) but with the actions bound once instead of a middleware, five closures
 * and two promise layers per request. Failed authentications go through the {@link AuthFailureThrottle}
 * (which may turn a 401 into a 429 for the address).
 */
@Injectable()
export class ApiKeyAuthGuard implements CanActivate {
  /** Prototype of every {@link Attempt}: the strategy, with Passport's actions answering this guard. */
  private readonly actions: object;
  private readonly routes: RouteRulesCache;

  constructor(
    reflector: Reflector,
    private readonly verifier: ApiKeyVerifier,
    private readonly metrics: MetricsService,
    private readonly throttle: AuthFailureThrottle,
    private readonly usage: KeyUsageRecorder,
    strategy: ApiKeyStrategy,
  ) {
    this.routes = new RouteRulesCache(reflector);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the actions run with the attempt as `this`
    const guard = this;
    this.actions = Object.create(strategy as object, {
      success: {
        value(this: Attempt, user: Principal) {
          guard.accept(this, user);
        },
      },
      // The strategy only fails without an error when the header is absent or empty.
      fail: {
        value(this: Attempt) {
          guard.refuse(this, new MissingApiKeyError());
        },
      },
      error: {
        value(this: Attempt, error: unknown) {
          guard.refuse(this, error instanceof Error ? error : new MissingApiKeyError());
        },
      },
      redirect: {
        value(this: Attempt) {
          guard.refuse(this, new Error('The API-key strategy redirected, which it never should'));
        },
      },
      pass: {
        value(this: Attempt) {
          guard.refuse(this, new Error('The API-key strategy passed, which it never should'));
        },
      },
    }) as object;
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (this.routes.of(context).isPublic) return true;
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    if (this.throttle.blocksValidKeys) {
      const refused = this.throttle.refuseBlocked(req.ip);
      if (refused) {
        this.metrics.authFailure(refused);
        throw refused;
      }
    }
    const res = http.getResponse<Response>();
    return new Promise<boolean>((resolve, reject) => {
      const attempt = Object.create(this.actions) as Attempt;
      attempt.req = req;
      attempt.res = res;
      attempt.resolve = resolve;
      attempt.reject = reject;
      try {
        attempt.authenticate(req, {});
      } catch (error) {
        this.settleFailure(attempt, error);
      }
    });
  }

  private accept(attempt: Attempt, principal: Principal): void {
    try {
      const { req } = attempt;
      this.verifier.recordUse(principal.keyId, req.ip ?? null);
      // Counted per key and outcome (ok, 402, 403, 429 …) when the response is sent; flushed in batches.
      this.usage.trackRequest(principal.keyId, attempt.res);
      if (principal.expiresSoon && principal.stopsWorkingAt) {
        attempt.res.setHeader(KEY_EXPIRES_HEADER, principal.stopsWorkingAt.toISOString());
      }
      (req as Request & { user: Principal }).user = principal;
      attempt.resolve(true);
    } catch (error) {
      this.settleFailure(attempt, error);
    }
  }

  private refuse(attempt: Attempt, failure: Error): void {
    this.metrics.authFailure(failure);
    // Hourly failed-auth counters (reason, presented key prefix, client IP), flushed in batches.
    this.usage.authFailed(outcomeOf(failure), attempt.req);
    this.settleFailure(attempt, failure);
  }

  /** Failures only: the throttle counts them per client address and may answer 429 instead. */
  private settleFailure(attempt: Attempt, failure: unknown): void {
    this.throttle.onFailure(attempt.req.ip, failure).then(attempt.reject, attempt.reject);
  }
}
