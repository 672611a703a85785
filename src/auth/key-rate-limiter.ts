import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { MetricsService } from '../common/metrics/metrics.service.js';
import { RateLimitedError } from './auth.errors.js';
import type { Principal } from './principal.js';
import { RateLimiters } from '../common/redis/rate-limiters.js';

/**
 * Enforces a key's optional `rate_limit_per_minute` over a fixed one-minute window: in Redis when
 * `REDIS_URL` is set (one count for every replica), else per process. Keys without a limit return
 * at once, without touching Redis.
 */
@Injectable()
export class KeyRateLimiter {
  /** One limiter per distinct limit; they share their Redis keys, so a changed limit keeps the count. */
  private readonly limiters = new Map<number, RateLimiterAbstract>();
  private readonly allowed: Counter.Internal;
  private readonly rejected: Counter.Internal;

  constructor(
    private readonly factory: RateLimiters,
    metrics: MetricsService,
  ) {
    const decisions = new Counter({
      name: 'billing_rate_limit_decisions_total',
      help: 'Rate-limit decisions for requests of keys that have a limit, by limiter and decision (allowed, rejected).',
      labelNames: ['limiter', 'decision'] as const,
      registers: [metrics.registry],
    });
    this.allowed = decisions.labels('api_key', 'allowed');
    this.rejected = decisions.labels('api_key', 'rejected');
  }

  async consume(principal: Principal): Promise<void> {
    const limit = principal.rateLimitPerMinute;
    if (!limit) return;
    let limiter = this.limiters.get(limit);
    if (!limiter) {
      limiter = this.factory.create('api_key', { points: limit, duration: 60 });
      this.limiters.set(limit, limiter);
    }
    try {
      await limiter.consume(principal.keyId);
      this.allowed.inc();
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      this.rejected.inc();
      throw new RateLimitedError(limit, Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
    }
  }
}
