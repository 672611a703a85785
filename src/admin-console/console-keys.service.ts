import { Injectable } from '@nestjs/common';
import { AdminAuthService } from '../admin-auth/admin-auth.service.js';
import { actorOf, type AdminContext } from '../admin-auth/admin-auth.types.js';
import { hasRole } from '../admin-auth/admin-access.js';
import { ApiKeysService } from '../api-keys/api-keys.service.js';
import { RequestValidationError } from '../common/errors/domain-error.js';
import { decodeCursor, encodeCursor } from '../common/pagination/cursor.js';
import { Clock } from '../common/time/clock.js';
import { KEY_OUTCOMES, KeyUsageRepository, type KeyOutcome } from '../key-usage/key-usage.repository.js';
import { NeverExpiringKeyForbiddenError } from './admin-console.errors.js';
import type {
  CreateKeyResponse,
  KeyDetailResponse,
  KeyListResponse,
  KeyResponse,
  KeyUsageResponse,
  OutcomeCounts,
  RotateKeyResponse,
} from './contract.js';
import {
  DEFAULT_KEY_EXPIRY_DAYS,
  type CreateKeyDto,
  type KeyUsageQueryDto,
  type ListKeysQueryDto,
  type RevokeKeyDto,
  type RotateKeyDto,
  type UpdateKeyDto,
} from './dto/keys.dto.js';
import { keySummary } from './presenters.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export const emptyCounts = (): OutcomeCounts => Object.fromEntries(KEY_OUTCOMES.map((o) => [o, 0])) as OutcomeCounts;

/** Buckets from counter rows, every bucket of the range present (zeros included), oldest first. */
export function outcomeBuckets(
  rows: Array<{ bucket: Date; outcome: KeyOutcome; count: string }>,
  starts: Date[],
): { buckets: Array<{ start: string } & OutcomeCounts>; totals: OutcomeCounts } {
  const byStart = new Map(starts.map((s) => [s.getTime(), { start: s.toISOString(), ...emptyCounts() }]));
  const totals = emptyCounts();
  for (const row of rows) {
    const bucket = byStart.get(new Date(row.bucket).getTime());
    const count = Number(row.count);
    if (bucket && row.outcome in totals) bucket[row.outcome] += count;
    if (row.outcome in totals) totals[row.outcome] += count;
  }
  return { buckets: [...byStart.values()], totals };
}

/** The console's view of API keys: the same ApiKeysService as the CLI, plus usage counters and role rules. */
@Injectable()
export class ConsoleKeysService {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly usage: KeyUsageRepository,
    private readonly auth: AdminAuthService,
    private readonly clock: Clock,
  ) {}

  async list(query: ListKeysQueryDto): Promise<KeyListResponse> {
    const rows = await this.keys.listPage({
      environment: query.environment,
      status: query.status,
      search: query.q || undefined,
      expiringWithinDays: query.expiring_within_days,
      unusedForDays: query.unused_for_days,
      after: decodeCursor(query.cursor),
      limit: query.limit,
    });
    const more = rows.length > query.limit;
    const page = more ? rows.slice(0, query.limit) : rows;
    const usage = await this.requests7d(page.map((k) => k.keyId));
    const last = page[page.length - 1];
    return {
      items: page.map((k) => keySummary(k, usage.get(k.keyId) ?? 0)),
      next_cursor: more && last ? encodeCursor({ createdAt: last.position, id: last.keyId }) : null,
    };
  }

  async detail(keyId: string): Promise<KeyDetailResponse> {
    const { key, lineage } = await this.keys.getApiKeyDetail(keyId);
    const usage = await this.requests7d(lineage.map((k) => k.keyId));
    return {
      key: keySummary(key, usage.get(key.keyId) ?? 0),
      lineage: lineage.map((k) => keySummary(k, usage.get(k.keyId) ?? 0)),
    };
  }

  async usageOf(keyId: string, query: KeyUsageQueryDto): Promise<KeyUsageResponse> {
    const key = await this.keys.getApiKey(keyId);
    const unitMs = query.granularity === 'hour' ? HOUR_MS : DAY_MS;
    const now = this.clock.now().getTime();
    const end = new Date(now - (now % unitMs) + unitMs);
    const start = new Date(end.getTime() - query.days * DAY_MS);
    const starts: Date[] = [];
    for (let t = start.getTime(); t < end.getTime(); t += unitMs) starts.push(new Date(t));
    const rows = await this.usage.keyBuckets(key.keyId, key.keyPrefix, start, end, query.granularity);
    return {
      key_id: key.keyId,
      granularity: query.granularity,
      start: start.toISOString(),
      end: end.toISOString(),
      ...outcomeBuckets(rows, starts),
    };
  }

  async create(ctx: AdminContext, dto: CreateKeyDto): Promise<CreateKeyResponse> {
    const expiry = this.expiryOf(ctx, dto);
    if (dto.environment === 'live') await this.auth.requireStepUp(ctx, 'key.create');
    const created = await this.keys.createApiKey({
      name: dto.name,
      description: dto.description ?? null,
      environment: dto.environment,
      permissions: dto.permissions,
      ...expiry,
      rateLimitPerMinute: dto.rate_limit_per_minute ?? null,
      createdBy: ctx.session.admin_user_id,
      actor: actorOf(ctx),
    });
    const { key } = await this.keys.getApiKeyDetail(created.keyId);
    return { key: keySummary(key, 0), plaintext_key: created.plaintextKey };
  }

  async update(ctx: AdminContext, keyId: string, dto: UpdateKeyDto): Promise<KeyResponse> {
    if (dto.expires_at === null && !hasRole(ctx.session.role, 'super_admin'))
      throw new NeverExpiringKeyForbiddenError();
    let expiresAt: Date | null | undefined;
    if (dto.expires_at === null) expiresAt = null;
    else if (dto.expires_at !== undefined) expiresAt = this.futureDate(dto.expires_at, 'expires_at');
    await this.keys.updateApiKey(
      keyId,
      {
        name: dto.name,
        description: dto.description,
        permissions: dto.permissions,
        expiresAt,
        rateLimitPerMinute: dto.rate_limit_per_minute,
      },
      actorOf(ctx),
    );
    return { key: await this.summary(keyId) };
  }

  async rotate(ctx: AdminContext, keyId: string, dto: RotateKeyDto): Promise<RotateKeyResponse> {
    const fresh = await this.keys.rotateApiKey(keyId, {
      gracePeriodSeconds: dto.grace_period_seconds,
      actor: actorOf(ctx),
    });
    return {
      new_key: await this.summary(fresh.keyId),
      plaintext_key: fresh.plaintextKey,
      old_key: await this.summary(keyId),
    };
  }

  async revoke(ctx: AdminContext, keyId: string, dto: RevokeKeyDto): Promise<KeyResponse> {
    await this.keys.revokeApiKey(keyId, { reason: dto.reason, actor: actorOf(ctx) });
    return { key: await this.summary(keyId) };
  }

  private async summary(keyId: string) {
    const { key } = await this.keys.getApiKeyDetail(keyId);
    const usage = await this.requests7d([keyId]);
    return keySummary(key, usage.get(keyId) ?? 0);
  }

  private requests7d(keyIds: string[]): Promise<Map<string, number>> {
    return this.usage.totalsByKey(keyIds, new Date(this.clock.now().getTime() - 7 * DAY_MS));
  }

  /**
   * `expires_at`, else `expires_in_days` (null: never, super_admin only), else 90 days — within
   * the service's key lifetime policy (API_KEY_MAX_EXPIRY_DAYS), which the key service enforces.
   */
  private expiryOf(ctx: AdminContext, dto: CreateKeyDto): { expiresAt: Date } | { expiresInDays: number | null } {
    if (dto.expires_at !== undefined) return { expiresAt: this.futureDate(dto.expires_at, 'expires_at') };
    if (dto.expires_in_days === null && !hasRole(ctx.session.role, 'super_admin')) {
      throw new NeverExpiringKeyForbiddenError();
    }
    return { expiresInDays: dto.expires_in_days === undefined ? DEFAULT_KEY_EXPIRY_DAYS : dto.expires_in_days };
  }

  private futureDate(text: string, field: string): Date {
    const date = new Date(text);
    if (Number.isNaN(date.getTime()) || date <= this.clock.now() || date.getUTCFullYear() > 9999) {
      throw new RequestValidationError([
        { loc: ['body', field], msg: `${field} must be a date in the future`, type: 'value_error' },
      ]);
    }
    return date;
  }
}
