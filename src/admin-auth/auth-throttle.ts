import { Injectable, Optional } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimiters } from '../common/redis/rate-limiters.js';
import { Env } from '../config/env.js';
import { AuthThrottledError } from './admin-auth.errors.js';

/**
 * A coarse per-IP ceiling on the sign-in routes (`ADMIN_AUTH_RATE_LIMIT_PER_MINUTE`), in front of
 * the per-account lockout that lives in PostgreSQL: it slows password spraying across many
 * accounts from one address. With `REDIS_URL` it is counted in Redis, so the ceiling holds across
 * every replica (with the same per-process insurance as the API-key limits while Redis is
 * unreachable); without Redis it is counted per process. The CLI, which has no Redis and no HTTP
 * routes, builds it per process.
 */
@Injectable()
export class AuthThrottle {
  private readonly limiter: RateLimiterAbstract;

  constructor(env: Env, @Optional() limiters?: RateLimiters) {
    const options = { points: env.ADMIN_AUTH_RATE_LIMIT_PER_MINUTE, duration: 60 };
    this.limiter = limiters ? limiters.create('admin_auth', options) : new RateLimiterMemory(options);
  }

  async consume(ip: string): Promise<void> {
    try {
      await this.limiter.consume(ip || 'unknown');
    } catch (error) {
      if (error instanceof RateLimiterRes)
        throw new AuthThrottledError(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
      throw error;
    }
  }
}
