import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';

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
    await this.db.query(
      `INSERT INTO api_key_usage_hourly (api_key_id, hour, outcome, count)
       SELECT u.id, u.hour, u.outcome, u.count
         FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::bigint[]) AS u(id, hour, outcome, count)
         JOIN api_keys k ON k.id = u.id
       ON CONFLICT (api_key_id, hour, outcome) DO UPDATE SET count = api_key_usage_hourly.count + EXCLUDED.count`,
      [
        rows.map((r) => r.keyId),
        rows.map((r) => r.hour.toISOString()),
        rows.map((r) => r.outcome),
        rows.map((r) => r.count),
      ],
    );
  }

  async addAuthFailures(rows: AuthFailureIncrement[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(
      `INSERT INTO api_key_auth_failures_hourly (hour, reason, key_prefix, client_ip, count)
       SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::bigint[])
       ON CONFLICT (hour, reason, key_prefix, client_ip)
       DO UPDATE SET count = api_key_auth_failures_hourly.count + EXCLUDED.count`,
      [
        rows.map((r) => r.hour.toISOString()),
        rows.map((r) => r.reason),
        rows.map((r) => r.keyPrefix),
        rows.map((r) => r.clientIp),
        rows.map((r) => r.count),
      ],
    );
  }

  /** Requests per key since `since` (all outcomes). */
  async totalsByKey(keyIds: string[], since: Date): Promise<Map<string, number>> {
    if (keyIds.length === 0) return new Map();
    const rows: Array<{ api_key_id: string; total: string }> = await this.db.query(
      `SELECT api_key_id, sum(count) AS total FROM api_key_usage_hourly
        WHERE api_key_id = ANY($1::uuid[]) AND hour >= $2 GROUP BY api_key_id`,
      [keyIds, since.toISOString()],
    );
    return new Map(rows.map((r) => [r.api_key_id, Number(r.total)]));
  }

  /**
   * One key's requests by outcome per bucket. Requests refused before the key was known to be
   * valid (revoked, expired) are counted by key prefix in the failure table, and added as `unauthorized`.
   */
  keyBuckets(keyId: string, keyPrefix: string, start: Date, end: Date, unit: Truncation): Promise<OutcomeBucketRow[]> {
    return this.db.query(
      `SELECT date_trunc($4, hour, 'UTC') AS bucket, outcome, sum(count) AS count FROM (
         SELECT hour, outcome, count FROM api_key_usage_hourly WHERE api_key_id = $1 AND hour >= $2 AND hour < $3
         UNION ALL
         SELECT hour, 'unauthorized', count FROM api_key_auth_failures_hourly
          WHERE key_prefix = $5 AND reason IN ('api_key_revoked', 'api_key_expired') AND hour >= $2 AND hour < $3
       ) u GROUP BY 1, 2 ORDER BY 1`,
      [keyId, start.toISOString(), end.toISOString(), unit, keyPrefix],
    );
  }

  /** Every key of an environment, by outcome per bucket. */
  environmentBuckets(
    environment: KeyEnvironment,
    start: Date,
    end: Date,
    unit: Truncation,
  ): Promise<OutcomeBucketRow[]> {
    return this.db.query(
      `SELECT date_trunc($4, u.hour, 'UTC') AS bucket, u.outcome, sum(u.count) AS count
         FROM api_key_usage_hourly u JOIN api_keys k ON k.id = u.api_key_id
        WHERE k.environment = $1 AND u.hour >= $2 AND u.hour < $3
        GROUP BY 1, 2 ORDER BY 1`,
      [environment, start.toISOString(), end.toISOString(), unit],
    );
  }

  failureBuckets(
    start: Date,
    end: Date,
    unit: Truncation,
  ): Promise<Array<{ bucket: Date; reason: string; count: string }>> {
    return this.db.query(
      `SELECT date_trunc($3, hour, 'UTC') AS bucket, reason, sum(count) AS count FROM api_key_auth_failures_hourly
        WHERE hour >= $1 AND hour < $2 GROUP BY 1, 2 ORDER BY 1`,
      [start.toISOString(), end.toISOString(), unit],
    );
  }

  topFailures(
    column: 'key_prefix' | 'client_ip',
    start: Date,
    end: Date,
    limit: number,
  ): Promise<Array<{ value: string; count: string }>> {
    return this.db.query(
      `SELECT ${column} AS value, sum(count) AS count FROM api_key_auth_failures_hourly
        WHERE hour >= $1 AND hour < $2 AND ${column} <> '' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $3`,
      [start.toISOString(), end.toISOString(), limit],
    );
  }

  async failureTotal(since: Date): Promise<number> {
    const rows: Array<{ total: string | null }> = await this.db.query(
      `SELECT sum(count) AS total FROM api_key_auth_failures_hourly WHERE hour >= $1`,
      [since.toISOString()],
    );
    return Number(rows[0]?.total ?? 0);
  }

  rateLimitedByKey(
    start: Date,
    end: Date,
    limit: number,
  ): Promise<Array<{ key_id: string; name: string; key_prefix: string; count: string }>> {
    return this.db.query(
      `SELECT k.id AS key_id, k.name, k.key_prefix, sum(u.count) AS count
         FROM api_key_usage_hourly u JOIN api_keys k ON k.id = u.api_key_id
        WHERE u.outcome = 'rate_limited' AND u.hour >= $1 AND u.hour < $2
        GROUP BY k.id, k.name, k.key_prefix ORDER BY 4 DESC, 1 LIMIT $3`,
      [start.toISOString(), end.toISOString(), limit],
    );
  }
}
