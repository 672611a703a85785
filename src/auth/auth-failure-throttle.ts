import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { Counter } from 'prom-client';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { MetricsService } from '../common/metrics/metrics.service.js';
import { RedisConnection } from '../common/redis/redis-connection.js';
import { Env } from '../config/env.js';
import { TooManyAuthFailuresError } from './auth.errors.js';
import { RateLimiters } from '../common/redis/rate-limiters.js';

/** Failures that count against a client address: someone presenting keys that do not work. */
const THROTTLED_FAILURES: ReadonlySet<string> = new Set(['invalid_api_key', 'api_key_expired', 'api_key_revoked']);
/** Bound on the remembered blocked addresses (each got there by AUTH_FAILURE_LIMIT failures). */
const MAX_BLOCKED_ADDRESSES = 100_000;

type Decision = 'counted' | 'blocked' | 'refused' | 'refused_valid_key';

/**
 * Throttles failed API-key authentications per client address (`req.ip`, which the `TRUST_PROXY`
 * setting decides): past `AUTH_FAILURE_LIMIT` failures within `AUTH_FAILURE_WINDOW_SECONDS` the
 * address is blocked for `AUTH_FAILURE_BLOCK_SECONDS` and gets 429 with `Retry-After`. Failures
 * are counted in Redis when configured, so the limit holds per address across every replica.
 *
 * While blocked, failed attempts get 429 instead of 401. Whether a VALID key from a blocked address
 * is refused too is `AUTH_FAILURE_BLOCK_VALID_KEYS` (default false: someone else's failures behind
 * the same proxy never lock an agent out). Blocks are announced to every replica over Redis pub/sub
 * and kept in memory, so checking one costs a Map lookup, never a Redis round trip; the success path
 * does no Redis work at all. Every decision is counted in `billing_auth_throttle_decisions_total`.
 */
@Injectable()
export class AuthFailureThrottle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AuthFailureThrottle.name);
  private readonly limiter: RateLimiterAbstract;
  /** Blocked address → until (ms since epoch, this process's clock). */
  private readonly blocked = new Map<string, number>();
  private readonly decisions: Record<Decision, Counter.Internal>;
  private readonly channel: string;
  private subscriber?: Redis;
  readonly blocksValidKeys: boolean;

  constructor(
    private readonly env: Env,
    limiters: RateLimiters,
    private readonly redis: RedisConnection,
    metrics: MetricsService,
  ) {
    this.blocksValidKeys = env.AUTH_FAILURE_BLOCK_VALID_KEYS;
    this.limiter = limiters.create('auth_failures', {
      points: env.AUTH_FAILURE_LIMIT,
      duration: env.AUTH_FAILURE_WINDOW_SECONDS,
      blockDuration: env.AUTH_FAILURE_BLOCK_SECONDS,
    });
    this.channel = `${redis.keyPrefix}auth-blocks`;
    const counter = new Counter({
      name: 'billing_auth_throttle_decisions_total',
      help:
        'Failed-auth throttle decisions per request: counted (failure recorded, under the limit), blocked (this ' +
        'failure crossed the limit: address blocked), refused (failure from a blocked address: 429), ' +
        'refused_valid_key (valid key from a blocked address refused, AUTH_FAILURE_BLOCK_VALID_KEYS).',
      labelNames: ['decision'] as const,
      registers: [metrics.registry],
    });
    this.decisions = {
      counted: counter.labels('counted'),
      blocked: counter.labels('blocked'),
      refused: counter.labels('refused'),
      refused_valid_key: counter.labels('refused_valid_key'),
    };
  }

  onModuleInit(): void {
    const subscriber = this.redis.duplicate();
    if (!subscriber) return;
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined); // RedisConnection logs the outage
    subscriber.on('message', (_channel: string, message: string) => this.onAnnouncement(message));
    // Subscribed again after every reconnection (ioredis's own resubscribe needs a first success).
    subscriber.on('ready', () => void subscriber.subscribe(this.channel).catch(() => undefined));
    subscriber.connect().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  /**
   * Before authenticating, only when valid keys are blocked too: the 429 for a blocked address, if
   * it is. One Map lookup; nothing when no address is blocked.
   */
  refuseBlocked(address: string | undefined): TooManyAuthFailuresError | undefined {
    if (this.blocked.size === 0) return undefined;
    const left = this.blockedFor(address ?? 'unknown');
    if (left === 0) return undefined;
    this.decisions.refused_valid_key.inc();
    return this.tooMany(left);
  }

  /**
   * After a failed authentication: counts it against the address and answers what to throw, the
   * failure itself (401) or, once the address is past its limit, a 429. Other failures (a missing
   * header, a database error) pass through uncounted.
   */
  async onFailure(address: string | undefined, failure: unknown): Promise<unknown> {
    const code = (failure as { code?: unknown } | null)?.code;
    if (typeof code !== 'string' || !THROTTLED_FAILURES.has(code)) return failure;
    const key = address ?? 'unknown';
    const left = this.blockedFor(key);
    if (left > 0) {
      this.decisions.refused.inc();
      return this.tooMany(left);
    }
    try {
      await this.limiter.consume(key);
      this.decisions.counted.inc();
      return failure;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) {
        // Only without insurance (never configured so): do not turn a store error into a 5xx.
        this.logger.warn(`Failed-auth throttle unavailable: ${(rejection as Error).message}`);
        return failure;
      }
      const firstBlock = rejection.consumedPoints === this.env.AUTH_FAILURE_LIMIT + 1;
      const ms = Math.max(rejection.msBeforeNext, 1_000);
      this.remember(key, ms);
      if (firstBlock) {
        this.decisions.blocked.inc();
        this.logger.warn(
          `Client ${key} blocked for ${Math.ceil(ms / 1000)} s after ${this.env.AUTH_FAILURE_LIMIT} failed authentications ` +
            `within ${this.env.AUTH_FAILURE_WINDOW_SECONDS} s`,
        );
        this.announce(key, ms);
      } else {
        this.decisions.refused.inc();
      }
      return this.tooMany(ms);
    }
  }

  private tooMany(ms: number): TooManyAuthFailuresError {
    return new TooManyAuthFailuresError(
      this.env.AUTH_FAILURE_LIMIT,
      this.env.AUTH_FAILURE_WINDOW_SECONDS,
      Math.ceil(ms / 1000),
    );
  }

  /** Milliseconds the address stays blocked (0: not blocked). */
  private blockedFor(address: string): number {
    const until = this.blocked.get(address);
    if (until === undefined) return 0;
    const left = until - Date.now();
    if (left > 0) return left;
    this.blocked.delete(address);
    return 0;
  }

  private remember(address: string, ms: number): void {
    if (this.blocked.size >= MAX_BLOCKED_ADDRESSES) {
      const now = Date.now();
      for (const [a, until] of this.blocked) if (until <= now) this.blocked.delete(a);
      if (this.blocked.size >= MAX_BLOCKED_ADDRESSES) this.blocked.delete(this.blocked.keys().next().value as string);
    }
    this.blocked.set(address, Date.now() + ms);
  }

  /** Tells the other replicas (relative time: their clocks may differ from ours). */
  private announce(address: string, ms: number): void {
    const client = this.redis.client;
    if (!client || !this.redis.isReady) return;
    client.publish(this.channel, JSON.stringify({ address, ms })).catch(() => undefined);
  }

  private onAnnouncement(message: string): void {
    try {
      const { address, ms } = JSON.parse(message) as { address?: unknown; ms?: unknown };
      if (typeof address === 'string' && typeof ms === 'number' && ms > 0 && ms <= 86_400_000) {
        if (this.blockedFor(address) < ms) this.remember(address, ms);
      }
    } catch {
      // not ours: ignore
    }
  }
}
