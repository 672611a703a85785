import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { ApiKey } from './api-key.entity.js';

/** What authentication needs to know about a key, cached in memory by hash. */
export interface ApiKeyAuthRecord {
  id: string;
  name: string;
  environment: ApiKey['environment'];
  permissions: ApiKey['permissions'];
  status: ApiKey['status'];
  expiresAt: Date | null;
  gracePeriodUntil: Date | null;
  rateLimitPerMinute: number | null;
}

export interface LastUse {
  id: string;
  at: Date;
  ip: string | null;
}

/** A key as console listings read it: with its creator's email and the key it replaced. */
export interface ApiKeyListRow {
  id: string;
  name: string;
  description: string | null;
  environment: ApiKey['environment'];
  key_prefix: string;
  permissions: ApiKey['permissions'];
  status: ApiKey['status'];
  created_by: string;
  created_by_email: string | null;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  last_used_ip: string | null;
  grace_period_until: Date | null;
  rotated_to: string | null;
  rotated_from: string | null;
  revoked_at: Date | null;
  rate_limit_per_minute: number | null;
  position: string;
}

export interface ApiKeyListQuery {
  environment?: ApiKey['environment'];
  status?: ApiKey['status'];
  search?: string;
  expiringWithinDays?: number;
  unusedForDays?: number;
  after: { createdAt: string; id: string } | null;
  limit: number;
  now: Date;
}

const LIST_COLUMNS = `k.id, k.name, k.description, k.environment, k.key_prefix, k.permissions, k.status, k.created_by,
  u.email AS created_by_email, k.created_at, k.expires_at, k.last_used_at, k.last_used_ip, k.grace_period_until,
  k.rotated_to, (SELECT p.id FROM api_keys p WHERE p.rotated_to = k.id LIMIT 1) AS rotated_from, k.revoked_at,
  k.rate_limit_per_minute, to_char(k.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position`;

/** `%` and `_` typed in a search are literal characters, not wildcards. */
const likeEscaped = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Channel on which every replica hears that a key changed (revoked, rotated). */
export const API_KEY_CHANGED_CHANNEL = 'api_key_changed';

@Injectable()
export class ApiKeysRepository {
  constructor(@InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>) {}

  async findAuthRecordByHash(keyHash: string): Promise<ApiKeyAuthRecord | null> {
    const rows: Array<Record<string, unknown>> = await this.keys.query(
      `SELECT id, name, environment, permissions, status, expires_at, grace_period_until, rate_limit_per_minute
         FROM api_keys WHERE key_hash = $1`,
      [keyHash],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id as string,
      name: row.name as string,
      environment: row.environment as ApiKey['environment'],
      permissions: row.permissions as ApiKey['permissions'],
      status: row.status as ApiKey['status'],
      expiresAt: row.expires_at as Date | null,
      gracePeriodUntil: row.grace_period_until as Date | null,
      rateLimitPerMinute: row.rate_limit_per_minute as number | null,
    };
  }

  findById(id: string): Promise<ApiKey | null> {
    return this.keys.findOne({ where: { id } });
  }

  /**
   * Reads a key inside a transaction with its row locked (FOR UPDATE), so a revocation and a
   * rotation of the same key serialise: neither can act on a status the other has just changed.
   */
  findByIdForUpdate(id: string, manager: EntityManager): Promise<ApiKey | null> {
    return manager.getRepository(ApiKey).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** Newest first, filtered and keyset-paged in SQL; `limit + 1` rows. */
  listPage(query: ApiKeyListQuery): Promise<ApiKeyListRow[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    const add = (sql: (p: string) => string, value: unknown): void => {
      if (value === undefined || value === null) return;
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    add((p) => `k.environment = ${p}`, query.environment);
    add((p) => `k.status = ${p}`, query.status);
    if (query.search) {
      params.push(`%${likeEscaped(query.search.toLowerCase())}%`, `${likeEscaped(query.search)}%`);
      where.push(`(lower(k.name) LIKE $${params.length - 1} OR k.key_prefix LIKE $${params.length})`);
    }
    if (query.expiringWithinDays !== undefined) {
      add(
        (p) => `k.expires_at IS NOT NULL AND k.expires_at <= ${p}::timestamptz`,
        new Date(query.now.getTime() + query.expiringWithinDays * 86_400_000).toISOString(),
      );
    }
    if (query.unusedForDays !== undefined) {
      add(
        (p) => `COALESCE(k.last_used_at, k.created_at) <= ${p}::timestamptz`,
        new Date(query.now.getTime() - query.unusedForDays * 86_400_000).toISOString(),
      );
    }
    if (query.after) {
      params.push(query.after.createdAt, query.after.id);
      where.push(`(k.created_at, k.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(query.limit + 1);
    return this.keys.query(
      `SELECT ${LIST_COLUMNS} FROM api_keys k LEFT JOIN admin_users u ON u.id = k.created_by
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY k.created_at DESC, k.id DESC LIMIT $${params.length}`,
      params,
    );
  }

  /** The rotation chain through `id` (keys it replaced and keys that replaced it), oldest first. */
  lineage(id: string): Promise<ApiKeyListRow[]> {
    return this.keys.query(
      `WITH RECURSIVE back AS (
         SELECT id, 0 AS depth FROM api_keys WHERE id = $1
         UNION ALL SELECT p.id, b.depth - 1 FROM api_keys p JOIN back b ON p.rotated_to = b.id WHERE b.depth > -1000
       ), fwd AS (
         SELECT id, rotated_to, 0 AS depth FROM api_keys WHERE id = $1
         UNION ALL SELECT n.id, n.rotated_to, f.depth + 1 FROM api_keys n JOIN fwd f ON n.id = f.rotated_to WHERE f.depth < 1000
       ), chain AS (SELECT id, depth FROM back UNION SELECT id, depth FROM fwd)
       SELECT ${LIST_COLUMNS} FROM chain c JOIN api_keys k ON k.id = c.id LEFT JOIN admin_users u ON u.id = k.created_by
        ORDER BY c.depth`,
      [id],
    );
  }

  async statusCounts(
    environment: ApiKey['environment'],
    now: Date,
    expiringBefore: Date,
  ): Promise<{ active: number; rotating: number; revoked: number; expiring: number }> {
    const rows: Array<Record<string, number>> = await this.keys.query(
      `SELECT count(*) FILTER (WHERE status = 'active')::int AS active,
              count(*) FILTER (WHERE status = 'rotating' AND grace_period_until > $2)::int AS rotating,
              count(*) FILTER (WHERE status = 'revoked' OR (status = 'rotating' AND grace_period_until <= $2))::int AS revoked,
              count(*) FILTER (WHERE status = 'active' AND expires_at IS NOT NULL AND expires_at > $2 AND expires_at <= $3)::int AS expiring
         FROM api_keys WHERE environment = $1`,
      [environment, now.toISOString(), expiringBefore.toISOString()],
    );
    const r = rows[0];
    return { active: r.active, rotating: r.rotating, revoked: r.revoked, expiring: r.expiring };
  }

  /**
   * The next active key due for rotation (expiring after `now` and by `dueBefore`, created by
   * `createdBefore`), locked FOR UPDATE SKIP LOCKED: a key another transaction holds is skipped.
   */
  lockNextDue(
    due: { now: Date; dueBefore: Date; createdBefore: Date },
    manager: EntityManager,
  ): Promise<ApiKey | null> {
    return manager
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .where(`k.status = 'active'`)
      .andWhere('k.expiresAt > :now AND k.expiresAt <= :dueBefore', due)
      .andWhere('k.createdAt <= :createdBefore', due)
      .orderBy('k.expiresAt', 'ASC')
      .addOrderBy('k.id', 'ASC')
      .limit(1)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getOne();
  }

  /** Keys that stop working in (from, to]: active ones by expiry, rotating ones by grace end or expiry. */
  async countStoppingBetween(from: Date, to: Date): Promise<Partial<Record<ApiKey['environment'], number>>> {
    const rows: Array<{ environment: ApiKey['environment']; n: number }> = await this.keys.query(
      `SELECT environment, count(*)::int AS n
         FROM (SELECT environment,
                      CASE WHEN status = 'rotating'
                           THEN LEAST(grace_period_until, COALESCE(expires_at, grace_period_until))
                           ELSE expires_at END AS stops_at
                 FROM api_keys WHERE status IN ('active', 'rotating')) k
        WHERE stops_at > $1 AND stops_at <= $2
        GROUP BY environment`,
      [from, to],
    );
    return Object.fromEntries(rows.map((r) => [r.environment, r.n]));
  }

  listAll(): Promise<ApiKey[]> {
    return this.keys.find({ order: { createdAt: 'DESC' } });
  }

  insert(key: Partial<ApiKey>, manager?: EntityManager): Promise<ApiKey> {
    const repo = manager ? manager.getRepository(ApiKey) : this.keys;
    return repo.save(repo.create(key));
  }

  async update(id: string, changes: Partial<ApiKey>, manager: EntityManager): Promise<void> {
    await manager.getRepository(ApiKey).update({ id }, changes);
    await manager.query(`SELECT pg_notify($1, $2)`, [API_KEY_CHANGED_CHANNEL, id]);
  }

  /** One statement for every buffered use; never moves `last_used_at` backwards. */
  async recordLastUses(uses: LastUse[]): Promise<void> {
    if (uses.length === 0) return;
    await this.keys.query(
      `UPDATE api_keys AS k
          SET last_used_at = GREATEST(COALESCE(k.last_used_at, u.at), u.at),
              last_used_ip = COALESCE(u.ip, k.last_used_ip)
         FROM unnest($1::uuid[], $2::timestamptz[], $3::text[]) AS u(id, at, ip)
        WHERE k.id = u.id`,
      [uses.map((u) => u.id), uses.map((u) => u.at.toISOString()), uses.map((u) => u.ip)],
    );
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.keys.manager.transaction(work);
  }
}
