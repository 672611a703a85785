import { Injectable } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { Env } from '../config/env.js';
import { AuthThrottledError } from './admin-auth.errors.js';

/**
 * A coarse per-IP ceiling on the sign-in routes (per replica), in front of the per-account lockout
 * that lives in PostgreSQL: it slows password spraying across many accounts from one address.
 */
@Injectable()
export class AuthThrottle {
  private readonly limiter: RateLimiterMemory;

  constructor(env: Env) {
    this.limiter = new RateLimiterMemory({ points: env.ADMIN_AUTH_RATE_LIMIT_PER_MINUTE, duration: 60 });
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
