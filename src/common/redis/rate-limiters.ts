import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  type RateLimiterAbstract,
  type RateLimiterRes,
} from 'rate-limiter-flexible';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisConnection } from './redis-connection.js';

/**
 * What a limiter counts: requests of one API key, failed API-key authentications of one client
 * address, or console sign-in attempts of one client address.
 */
export type LimiterName = 'api_key' | 'auth_failures' | 'admin_auth';

type LimiterOptions = ConstructorParameters<typeof RateLimiterMemory>[0];

/** A per-process limiter standing in while Redis is unreachable; counts each decision it makes. */
class FallbackLimiter extends RateLimiterMemory {
  constructor(
    options: LimiterOptions,
    private readonly onUse: () => void,
  ) {
    super(options);
  }

  override consume(key: string | number, points?: number, options?: Record<string, unknown>): Promise<RateLimiterRes> {
    this.onUse();
    return super.consume(key, points, options);
  }
}

/**
 * Builds the service's rate limiters (rate-limiter-flexible): counted in Redis when `REDIS_URL` is
 * set, so a limit holds across every replica, with a per-process insurance limiter that takes over
 * while Redis is unreachable and hands back by itself when it returns; per process without Redis.
 */
@Injectable()
export class RateLimiters {
  readonly fallbacks: Counter<'limiter'>;

  constructor(
    private readonly redis: RedisConnection,
    metrics: MetricsService,
  ) {
    this.fallbacks = new Counter({
      name: 'billing_rate_limit_fallbacks_total',
      help: 'Rate-limit and throttle decisions made per process because Redis was unreachable, by limiter.',
      labelNames: ['limiter'] as const,
      registers: [metrics.registry],
    });
  }

  create(
    name: LimiterName,
    options: Pick<LimiterOptions, 'points' | 'duration' | 'blockDuration'>,
  ): RateLimiterAbstract {
    const client = this.redis.client;
    if (!client) return new RateLimiterMemory(options);
    const fallbacks = this.fallbacks.labels(name);
    return new RateLimiterRedis({
      ...options,
      storeClient: client,
      keyPrefix: `${this.redis.keyPrefix}rl:${name}`,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new FallbackLimiter(options, () => fallbacks.inc()),
    });
  }
}
