import { Injectable } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from './auth.errors.js';
import type { Principal } from './principal.js';

/**
 * Enforces a key's optional `rate_limit_per_minute` (per replica: each process counts its own
 * requests, so the cluster-wide ceiling is the limit times the replica count).
 */
@Injectable()
export class KeyRateLimiter {
  private readonly limiters = new Map<number, RateLimiterMemory>();

  async consume(principal: Principal): Promise<void> {
    const limit = principal.rateLimitPerMinute;
    if (!limit) return;
    let limiter = this.limiters.get(limit);
    if (!limiter) {
      limiter = new RateLimiterMemory({ points: limit, duration: 60 });
      this.limiters.set(limit, limiter);
    }
    try {
      await limiter.consume(principal.keyId);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw new RateLimitedError(limit, error.msBeforeNext / 1000);
      throw error;
    }
  }
}
