import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { ApiKey } from './api-key.entity.js';
import {
  API_KEY_CHANGED_CHANNEL,
  apiKeyListQuery,
  COUNT_KEYS_STOPPING_BETWEEN_SQL,
  FIND_AUTH_RECORD_BY_HASH_SQL,
  KEY_LINEAGE_SQL,
  KEY_STATUS_COUNTS_SQL,
  NOTIFY_KEY_CHANGED_SQL,
  RECORD_LAST_USES_SQL,
} from './sql/api-keys.sql.js';

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

/** `%` and `_` typed in a search are literal characters, not wildcards. */
const likeEscaped = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

@Injectable()
export class ApiKeysRepository {
  constructor(@InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>) {}

  async findAuthRecordByHash(keyHash: string): Promise<ApiKeyAuthRecord | null> {
    const rows: Array<Record<string, unknown>> = await this.keys.query(FIND_AUTH_RECORD_BY_HASH_SQL, [keyHash]);
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
    const { text, params } = apiKeyListQuery({
      environment: query.environment,
      status: query.status,
      search: query.search
        ? { nameLike: `%${likeEscaped(query.search.toLowerCase())}%`, prefixLike: `${likeEscaped(query.search)}%` }
        : undefined,
      expiresBy:
        query.expiringWithinDays === undefined
          ? undefined
          : new Date(query.now.getTime() + query.expiringWithinDays * 86_400_000).toISOString(),
      unusedSince:
        query.unusedForDays === undefined
          ? undefined
          : new Date(query.now.getTime() - query.unusedForDays * 86_400_000).toISOString(),
      after: query.after,
      limit: query.limit,
    });
    return this.keys.query(text, params);
  }

  /** The rotation chain through `id` (keys it replaced and keys that replaced it), oldest first. */
  lineage(id: string): Promise<ApiKeyListRow[]> {
    return this.keys.query(KEY_LINEAGE_SQL, [id]);
  }

  async statusCounts(
    environment: ApiKey['environment'],
    now: Date,
    expiringBefore: Date,
  ): Promise<{ active: number; rotating: number; revoked: number; expiring: number }> {
    const rows: Array<Record<string, number>> = await this.keys.query(KEY_STATUS_COUNTS_SQL, [
      environment,
      now.toISOString(),
      expiringBefore.toISOString(),
    ]);
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
      COUNT_KEYS_STOPPING_BETWEEN_SQL,
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
    await manager.query(NOTIFY_KEY_CHANGED_SQL, [API_KEY_CHANGED_CHANNEL, id]);
  }

  /** One statement for every buffered use; never moves `last_used_at` backwards. */
  async recordLastUses(uses: LastUse[]): Promise<void> {
    if (uses.length === 0) return;
    await this.keys.query(RECORD_LAST_USES_SQL, [
      uses.map((u) => u.id),
      uses.map((u) => u.at.toISOString()),
      uses.map((u) => u.ip),
    ]);
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.keys.manager.transaction(work);
  }
}
