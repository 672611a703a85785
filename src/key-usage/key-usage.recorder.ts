import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Clock } from '../common/time/clock.js';
import { Env } from '../config/env.js';
import {
  KeyUsageRepository,
  type AuthFailureIncrement,
  type KeyOutcome,
  type UsageIncrement,
} from './key-usage.repository.js';

const HOUR_MS = 3_600_000;
/** Distinct (hour, reason, prefix, IP) entries kept between flushes; beyond it, new ones are pooled. */
const MAX_FAILURE_ENTRIES = 5_000;
const PRESENTED_PREFIX = /^cbk_(live|test)_[0-9A-Za-z]{4}/;

export function outcomeOfStatus(status: number): KeyOutcome {
  if (status < 400) return 'ok';
  switch (status) {
    case 401:
      return 'unauthorized';
    case 402:
      return 'payment_required';
    case 403:
      return 'forbidden';
    case 429:
      return 'rate_limited';
    default:
      return status >= 500 ? 'server_error' : 'client_error';
  }
}

/** The display prefix of what the client presented, when it looks like one of our keys. */
export function presentedPrefix(header: unknown): string {
  if (typeof header !== 'string') return '';
  const match = PRESENTED_PREFIX.exec(header);
  return match ? match[0] : '';
}

/**
 * Counts API-key traffic in memory — requests per key by outcome, failed authentications by
 * reason, key prefix and client IP — per UTC hour, and writes them in two statements per flush
 * interval (and at shutdown). The request path only increments a Map entry.
 */
@Injectable()
export class KeyUsageRecorder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(KeyUsageRecorder.name);
  private usage = new Map<string, UsageIncrement>();
  private failures = new Map<string, AuthFailureIncrement>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly repository: KeyUsageRepository,
    private readonly clock: Clock,
    private readonly env: Env,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), this.env.LAST_USED_FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Counts the request's outcome for the key once the response is sent. */
  trackRequest(keyId: string, res: Response): void {
    res.once('finish', () => this.countRequest(keyId, outcomeOfStatus(res.statusCode)));
  }

  countRequest(keyId: string, outcome: KeyOutcome): void {
    const hour = this.currentHour();
    const id = `${keyId}|${hour.getTime()}|${outcome}`;
    const entry = this.usage.get(id);
    if (entry) entry.count++;
    else this.usage.set(id, { keyId, hour, outcome, count: 1 });
  }

  /** A failed API-key authentication: `reason` is the error code (missing_api_key, invalid_api_key, …). */
  authFailed(reason: string, req: Request): void {
    const hour = this.currentHour();
    let keyPrefix = presentedPrefix(req.headers['x-api-key']);
    let clientIp = (req.ip ?? '').slice(0, 64);
    let id = `${hour.getTime()}|${reason}|${keyPrefix}|${clientIp}`;
    if (!this.failures.has(id) && this.failures.size >= MAX_FAILURE_ENTRIES) {
      // Many distinct prefixes or IPs (a scan): still counted, in one pooled row.
      keyPrefix = '';
      clientIp = 'other';
      id = `${hour.getTime()}|${reason}||other`;
    }
    const entry = this.failures.get(id);
    if (entry) entry.count++;
    else this.failures.set(id, { hour, reason: reason.slice(0, 32), keyPrefix, clientIp, count: 1 });
  }

  async flush(): Promise<void> {
    const usage = [...this.usage.values()];
    const failures = [...this.failures.values()];
    this.usage = new Map();
    this.failures = new Map();
    try {
      await this.repository.addUsage(usage);
    } catch (error) {
      this.restore(this.usage, usage, (u) => `${u.keyId}|${u.hour.getTime()}|${u.outcome}`);
      this.logger.warn(`Could not record API key usage: ${(error as Error).message}`);
    }
    try {
      await this.repository.addAuthFailures(failures);
    } catch (error) {
      this.restore(this.failures, failures, (f) => `${f.hour.getTime()}|${f.reason}|${f.keyPrefix}|${f.clientIp}`);
      this.logger.warn(`Could not record failed API key authentications: ${(error as Error).message}`);
    }
  }

  /** Puts unwritten counts back, merged with what arrived meanwhile, for the next flush. */
  private restore<T extends { count: number }>(into: Map<string, T>, entries: T[], idOf: (entry: T) => string): void {
    for (const entry of entries) {
      const id = idOf(entry);
      const current = into.get(id);
      if (current) current.count += entry.count;
      else into.set(id, entry);
    }
  }

  private currentHour(): Date {
    const now = this.clock.now().getTime();
    return new Date(now - (now % HOUR_MS));
  }
}
