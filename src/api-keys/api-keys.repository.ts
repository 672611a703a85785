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
