import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import {
  ADD_AUTH_FAILURES_SQL,
  ADD_USAGE_SQL,
  ENVIRONMENT_BUCKETS_SQL,
  FAILURE_BUCKETS_SQL,
  FAILURE_TOTAL_SQL,
  KEY_BUCKETS_SQL,
  RATE_LIMITED_BY_KEY_SQL,
  TOTALS_BY_KEY_SQL,
  topFailuresSql,
} from './sql/key-usage.sql.js';

export const KEY_OUTCOMES = [
  'ok',
  'unauthorized',
  'forbidden',
  'payment_required',
  'rate_limited',
  'client_error',
  'server_error',
] as const;
export type KeyOutcome = (typeof KEY_OUTCOMES)[number];

export interface UsageIncrement {
  keyId: string;
  hour: Date;
  outcome: KeyOutcome;
  count: number;
}

export interface AuthFailureIncrement {
  hour: Date;
  reason: string;
  keyPrefix: string;
  clientIp: string;
  count: number;
}

export type Truncation = 'hour' | 'day' | 'week' | 'month';

export interface OutcomeBucketRow {
  bucket: Date;
  outcome: KeyOutcome;
  count: string;
}

/** The hourly counter tables: batched increments, and the reads behind key usage and security views. */
@Injectable()
export class KeyUsageRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** One statement per flush. Keys deleted meanwhile (never, today) are skipped by the join. */
  async addUsage(rows: UsageIncrement[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(ADD_USAGE_SQL, [
      rows.map((r) => r.keyId),
      rows.map((r) => r.hour.toISOString()),
      rows.map((r) => r.outcome),
      rows.map((r) => r.count),
    ]);
  }

  async addAuthFailures(rows: AuthFailureIncrement[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(ADD_AUTH_FAILURES_SQL, [
      rows.map((r) => r.hour.toISOString()),
      rows.map((r) => r.reason),
      rows.map((r) => r.keyPrefix),
      rows.map((r) => r.clientIp),
      rows.map((r) => r.count),
    ]);
  }

  /** Requests per key since `since` (all outcomes). */
  async totalsByKey(keyIds: string[], since: Date): Promise<Map<string, number>> {
    if (keyIds.length === 0) return new Map();
    const rows: Array<{ api_key_id: string; total: string }> = await this.db.query(TOTALS_BY_KEY_SQL, [
      keyIds,
      since.toISOString(),
    ]);
    return new Map(rows.map((r) => [r.api_key_id, Number(r.total)]));
  }

  /**
   * One key's requests by outcome per bucket. Requests refused before the key was known to be
   * valid (revoked, expired) are counted by key prefix in the failure table, and added as `unauthorized`.
   */
  keyBuckets(keyId: string, keyPrefix: string, start: Date, end: Date, unit: Truncation): Promise<OutcomeBucketRow[]> {
    return this.db.query(KEY_BUCKETS_SQL, [keyId, start.toISOString(), end.toISOString(), unit, keyPrefix]);
  }

  /** Every key of an environment, by outcome per bucket. */
  environmentBuckets(
    environment: KeyEnvironment,
    start: Date,
    end: Date,
    unit: Truncation,
  ): Promise<OutcomeBucketRow[]> {
    return this.db.query(ENVIRONMENT_BUCKETS_SQL, [environment, start.toISOString(), end.toISOString(), unit]);
  }

  failureBuckets(
    start: Date,
    end: Date,
    unit: Truncation,
  ): Promise<Array<{ bucket: Date; reason: string; count: string }>> {
    return this.db.query(FAILURE_BUCKETS_SQL, [start.toISOString(), end.toISOString(), unit]);
  }

  topFailures(
    column: 'key_prefix' | 'client_ip',
    start: Date,
    end: Date,
    limit: number,
  ): Promise<Array<{ value: string; count: string }>> {
    return this.db.query(topFailuresSql(column), [start.toISOString(), end.toISOString(), limit]);
  }

  async failureTotal(since: Date): Promise<number> {
    const rows: Array<{ total: string | null }> = await this.db.query(FAILURE_TOTAL_SQL, [since.toISOString()]);
    return Number(rows[0]?.total ?? 0);
  }

  rateLimitedByKey(
    start: Date,
    end: Date,
    limit: number,
  ): Promise<Array<{ key_id: string; name: string; key_prefix: string; count: string }>> {
    return this.db.query(RATE_LIMITED_BY_KEY_SQL, [start.toISOString(), end.toISOString(), limit]);
  }
}
