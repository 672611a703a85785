import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { Gauge } from 'prom-client';
import { Env } from '../../config/env.js';
import { MetricsService } from '../metrics/metrics.service.js';

/** Longest pause between reconnection attempts while Redis is unreachable. */
const MAX_RECONNECT_DELAY_MS = 2_000;

/**
 * The optional shared Redis (`REDIS_URL`) that per-key rate limits and the failed-auth throttle
 * count in, so their limits hold across every replica. Without it they count per process, which
 * the service says once at start-up.
 *
 * The client never queues commands while disconnected (`enableOfflineQueue: false`) and gives up
 * on a command after `REDIS_COMMAND_TIMEOUT_MS`: a request is never held up by an unreachable Redis,
 * callers fall back to per-process counting instead. It reconnects by itself; every transition
 * (reachable ↔ unreachable) is logged once and exported as `billing_redis_up`.
 */
@Injectable()
export class RedisConnection implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  /** Undefined when `REDIS_URL` is not set. */
  readonly client?: Redis;
  /** Prefix of every key and channel this service uses, so it can share a Redis with others. */
  readonly keyPrefix: string;
  private readonly up?: Gauge;
  private reachable = false;
  private lastError?: string;
  private stopped = false;

  constructor(
    private readonly env: Env,
    metrics: MetricsService,
  ) {
    this.keyPrefix = env.REDIS_KEY_PREFIX;
    if (!env.REDIS_URL) return;
    this.client = new Redis(env.REDIS_URL, this.options());
    this.up = new Gauge({
      name: 'billing_redis_up',
      help: 'Whether the shared Redis (REDIS_URL) is reachable: 1 yes, 0 no (limits then count per process). Absent without REDIS_URL.',
      registers: [metrics.registry],
    });
    this.up.set(0);
  }

  /** A second connection with the same settings (a subscriber cannot send other commands). */
  duplicate(): Redis | undefined {
    return this.client?.duplicate(this.options());
  }

  get isReady(): boolean {
    return this.client?.status === 'ready';
  }

  /** Connects before the service listens (waiting at most the connect timeout: Redis is optional). */
  async onModuleInit(): Promise<void> {
    const client = this.client;
    if (!client) {
      this.logger.log(
        'REDIS_URL is not set: per-key rate limits and the failed-auth throttle are counted per process, ' +
          'so with several replicas each one lets the full limit through',
      );
      return;
    }
    client.on('ready', () => {
      this.up?.set(1);
      if (!this.reachable) {
        this.logger.log(`Connected to Redis at ${redisTarget(client)}: rate limits are shared by every replica`);
      }
      this.reachable = true;
      this.lastError = undefined;
    });
    client.on('error', (error: Error) => {
      // ioredis repeats the error on every reconnection attempt: log each distinct one once.
      if (error.message !== this.lastError) {
        this.logger.warn(`Redis error: ${error.message}`);
        this.lastError = error.message;
      }
    });
    client.on('close', () => {
      this.up?.set(0);
      if (this.reachable && !this.stopped) {
        this.logger.warn('Redis unreachable: counting rate limits per process until it is back');
      }
      this.reachable = false;
    });
    const connecting = client.connect().catch((error: Error) => {
      if (!this.stopped) {
        this.logger.warn(
          `Redis unreachable at start-up (${error.message}): counting rate limits per process until it is reachable`,
        );
      }
    });
    let timer: NodeJS.Timeout | undefined;
    const patience = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.connectTimeoutMs);
    });
    await Promise.race([connecting, patience]);
    clearTimeout(timer);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (!this.client) return;
    await this.client.quit().catch(() => this.client?.disconnect());
  }

  private get connectTimeoutMs(): number {
    return Math.max(this.env.REDIS_COMMAND_TIMEOUT_MS * 4, 1_000);
  }

  private options(): RedisOptions {
    return {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: this.env.REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: this.connectTimeoutMs,
      retryStrategy: (attempt: number) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
      connectionName: 'ciris-billing',
    };
  }
}

/** host:port of the client, never the password in the URL. */
function redisTarget(client: Redis): string {
  return `${client.options.host ?? '?'}:${client.options.port ?? '?'}`;
}
