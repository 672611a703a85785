import { Injectable } from '@nestjs/common';
import { displayPrefix, generateApiKey, hashApiKey, type KeyEnvironment } from '../common/crypto/api-key-token.js';
import { Clock } from '../common/time/clock.js';
import { Env } from '../config/env.js';
import { AdminUsersService } from '../admin-users/admin-users.service.js';
import { CLI_ACTOR, type AuditActor } from '../audit/audit-actor.js';
import { AuditRepository } from '../audit/audit.repository.js';
import type { CursorPosition } from '../common/pagination/cursor.js';
import { DEFAULT_AGENT_PERMISSIONS, isPermission, PERMISSIONS, type Permission } from './permissions.js';
import type { ApiKey, ApiKeyStatus } from './api-key.entity.js';
import { ApiKeyVerifier } from './api-key-verifier.js';
import type { EntityManager } from 'typeorm';
import {
  ApiKeyLifetimeTooLongError,
  ApiKeyNotFoundError,
  ApiKeyNotRotatableError,
  ApiKeyNotUpdatableError,
  InvalidPermissionError,
} from './api-keys.errors.js';
import { ApiKeysRepository, type ApiKeyListRow } from './api-keys.repository.js';

export interface CreateApiKeyInput {
  name: string;
  /** Admin user id or email. */
  createdBy: string;
  environment?: KeyEnvironment;
  description?: string | null;
  permissions?: string[];
  /** Omitted: `API_KEY_DEFAULT_EXPIRY_DAYS`; `null`: never expires (asked for explicitly). */
  expiresInDays?: number | null;
  /** A fixed expiry instead of `expiresInDays` (`null`: never expires). */
  expiresAt?: Date | null;
  rateLimitPerMinute?: number | null;
  /** Who is acting, for the audit trail (default: the CLI). */
  actor?: AuditActor;
}

/** What `updateApiKey` may change; omitted fields stay as they are, `null` clears. */
export interface UpdateApiKeyInput {
  name?: string;
  description?: string | null;
  permissions?: string[];
  rateLimitPerMinute?: number | null;
  /** From now; `null`: never expires. */
  expiresInDays?: number | null;
  /** An absolute expiry instead of `expiresInDays`; `null`: never expires. */
  expiresAt?: Date | null;
}

/** Where a new key's lifetime came from, for the operator to see (`key create` says which). */
export interface KeyLifetime {
  source: 'default' | 'requested' | 'inherited';
  /** `null`: never expires. */
  days: number | null;
}

export interface RotatedApiKey {
  fresh: GeneratedApiKey;
  /** The replaced key, as it is after the rotation (rotating, or revoked with no grace). */
  old: ApiKeyView;
}

/** A key as listings show it: never the hash, never the key. */
export interface ApiKeyView {
  keyId: string;
  name: string;
  description: string | null;
  environment: KeyEnvironment;
  keyPrefix: string;
  permissions: Permission[];
  status: ApiKeyStatus;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  lastUsedIp: string | null;
  gracePeriodUntil: Date | null;
  rotatedTo: string | null;
  revokedAt: Date | null;
  rateLimitPerMinute: number | null;
}

/** A key with who created it and which key it replaced (console listings). */
export interface ApiKeyRecord extends ApiKeyView {
  createdByEmail: string | null;
  rotatedFrom: string | null;
  /** Keyset position (created_at with microseconds). */
  position: string;
}

/** Returned once, at creation or rotation: the only time the plaintext exists outside the caller. */
export interface GeneratedApiKey extends ApiKeyView {
  plaintextKey: string;
  lifetime?: KeyLifetime;
}

export interface ListApiKeysFilter {
  environment?: KeyEnvironment;
  status?: ApiKeyStatus;
  expiringWithinDays?: number;
  unusedForDays?: number;
}

export interface ApiKeyPageFilter extends ListApiKeysFilter {
  /** Name (case-insensitive substring) or key prefix. */
  search?: string;
  after: CursorPosition | null;
  limit: number;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** `rotate-due` leaves younger keys alone: they were just handed out (and a concurrent run's new keys are among them). */
const ROTATE_DUE_MIN_AGE_MS = HOUR_MS;

const toView = (k: ApiKey): ApiKeyView => ({
  keyId: k.id,
  name: k.name,
  description: k.description,
  environment: k.environment,
  keyPrefix: k.keyPrefix,
  permissions: k.permissions,
  status: k.status,
  createdBy: k.createdBy,
  createdAt: k.createdAt,
  expiresAt: k.expiresAt,
  lastUsedAt: k.lastUsedAt,
  lastUsedIp: k.lastUsedIp,
  gracePeriodUntil: k.gracePeriodUntil,
  rotatedTo: k.rotatedTo,
  revokedAt: k.revokedAt,
  rateLimitPerMinute: k.rateLimitPerMinute,
});

const recordOf = (r: ApiKeyListRow): ApiKeyRecord => ({
  keyId: r.id,
  name: r.name,
  description: r.description,
  environment: r.environment,
  keyPrefix: r.key_prefix,
  permissions: r.permissions,
  status: r.status,
  createdBy: r.created_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
  lastUsedIp: r.last_used_ip,
  gracePeriodUntil: r.grace_period_until,
  rotatedTo: r.rotated_to,
  revokedAt: r.revoked_at,
  rateLimitPerMinute: r.rate_limit_per_minute,
  createdByEmail: r.created_by_email,
  rotatedFrom: r.rotated_from,
  position: r.position,
});

const isoOrNull = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

/** What the audit trail keeps of a key: everything an admin can change or see, never the hash or key. */
const snapshot = (k: ApiKey): Record<string, unknown> => ({
  name: k.name,
  description: k.description,
  environment: k.environment,
  key_prefix: k.keyPrefix,
  permissions: k.permissions,
  status: k.status,
  expires_at: isoOrNull(k.expiresAt),
  rate_limit_per_minute: k.rateLimitPerMinute,
  grace_period_until: isoOrNull(k.gracePeriodUntil),
  rotated_to: k.rotatedTo,
  revoked_at: isoOrNull(k.revokedAt),
});

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly admins: AdminUsersService,
    private readonly verifier: ApiKeyVerifier,
    private readonly audit: AuditRepository,
    private readonly clock: Clock,
    private readonly env: Env,
  ) {}

  async createApiKey(input: CreateApiKeyInput): Promise<GeneratedApiKey> {
    const permissions = this.checkPermissions(input.permissions ?? DEFAULT_AGENT_PERMISSIONS);
    const admin = await this.admins.getByRef(input.createdBy);
    const environment = input.environment ?? 'live';
    const now = this.clock.now();
    let lifetime: KeyLifetime;
    let expiresAt: Date | null;
    if (input.expiresAt !== undefined) {
      this.checkExpiry(now, input.expiresAt, undefined);
      expiresAt = input.expiresAt;
      lifetime = {
        source: 'requested',
        days: expiresAt === null ? null : Math.ceil((expiresAt.getTime() - now.getTime()) / DAY_MS),
      };
    } else {
      lifetime = this.lifetimeFor(input.expiresInDays);
      expiresAt = lifetime.days === null ? null : new Date(now.getTime() + lifetime.days * DAY_MS);
    }
    const plaintextKey = generateApiKey(environment);
    const saved = await this.keys.transaction(async (manager) => {
      const key = await this.keys.insert(
        {
          name: input.name,
          description: input.description ?? null,
          environment,
          keyPrefix: displayPrefix(plaintextKey),
          keyHash: hashApiKey(plaintextKey),
          permissions,
          status: 'active',
          createdBy: admin.id,
          expiresAt,
          rateLimitPerMinute: input.rateLimitPerMinute ?? null,
        },
        manager,
      );
      await this.audit.record(
        input.actor ?? CLI_ACTOR,
        { action: 'key.create', resourceType: 'api_key', resourceId: key.id, environment, after: snapshot(key) },
        manager,
      );
      return key;
    });
    return { ...toView(saved), plaintextKey, lifetime };
  }

  /**
   * Changes a key's name, description, rate limit or expiry. Written with a NOTIFY in the same
   * transaction, so every replica drops its cached copy and applies the change from its next request.
   */
  async updateApiKey(keyId: string, changes: UpdateApiKeyInput, actor: AuditActor = CLI_ACTOR): Promise<ApiKeyView> {
    const permissions = changes.permissions === undefined ? undefined : this.checkPermissions(changes.permissions);
    const result = await this.keys.transaction(async (manager) => {
      const key = await this.keys.findByIdForUpdate(keyId, manager);
      if (!key) throw new ApiKeyNotFoundError(keyId);
      if (key.status === 'revoked') throw new ApiKeyNotUpdatableError(keyId);
      const update: Partial<ApiKey> = {};
      if (changes.name !== undefined) update.name = changes.name;
      if (changes.description !== undefined) update.description = changes.description;
      if (permissions !== undefined) update.permissions = permissions;
      if (changes.rateLimitPerMinute !== undefined) update.rateLimitPerMinute = changes.rateLimitPerMinute;
      const expiresAt =
        changes.expiresInDays !== undefined
          ? changes.expiresInDays === null
            ? null
            : new Date(this.clock.now().getTime() + changes.expiresInDays * DAY_MS)
          : changes.expiresAt;
      if (expiresAt !== undefined) {
        this.checkExpiry(key.createdAt, expiresAt, changes.expiresInDays);
        update.expiresAt = expiresAt;
      }
      if (Object.keys(update).length > 0) {
        await this.keys.update(keyId, update, manager);
        await this.audit.record(
          actor,
          {
            action: 'key.update',
            resourceType: 'api_key',
            resourceId: keyId,
            environment: key.environment,
            before: snapshot(key),
            after: snapshot({ ...key, ...update }),
          },
          manager,
        );
      }
      return toView({ ...key, ...update });
    });
    this.verifier.invalidate();
    return result;
  }

  async listApiKeys(filter: ListApiKeysFilter = {}): Promise<ApiKeyView[]> {
    const now = this.clock.now().getTime();
    return (await this.keys.listAll())
      .filter((k) => !filter.environment || k.environment === filter.environment)
      .filter((k) => !filter.status || k.status === filter.status)
      .filter(
        (k) =>
          filter.expiringWithinDays === undefined ||
          (k.expiresAt !== null && k.expiresAt.getTime() <= now + filter.expiringWithinDays * DAY_MS),
      )
      .filter(
        (k) =>
          filter.unusedForDays === undefined ||
          (k.lastUsedAt ?? k.createdAt).getTime() <= now - filter.unusedForDays * DAY_MS,
      )
      .map(toView);
  }

  async getApiKey(keyId: string): Promise<ApiKeyView> {
    const key = await this.keys.findById(keyId);
    if (!key) throw new ApiKeyNotFoundError(keyId);
    return toView(key);
  }

  /** Effective on the next request on every replica (NOTIFY in the same transaction). */
  async revokeApiKey(keyId: string, options: { reason?: string; actor?: AuditActor } = {}): Promise<ApiKeyView> {
    const revoked = await this.keys.transaction(async (manager) => {
      const key = await this.keys.findByIdForUpdate(keyId, manager);
      if (!key) throw new ApiKeyNotFoundError(keyId);
      if (key.status !== 'revoked') {
        const before = snapshot(key);
        const changes = {
          status: 'revoked' as const,
          revokedAt: this.clock.now(),
          revokedReason: options.reason ?? null,
        };
        await this.keys.update(keyId, changes, manager);
        Object.assign(key, changes);
        await this.audit.record(
          options.actor ?? CLI_ACTOR,
          {
            action: 'key.revoke',
            resourceType: 'api_key',
            resourceId: keyId,
            environment: key.environment,
            before,
            after: snapshot(key),
            reason: options.reason ?? null,
          },
          manager,
        );
      }
      return key;
    });
    this.verifier.invalidate();
    return toView(revoked);
  }

  /**
   * A new key with the same name, environment, permissions, rate limit, owner and lifetime (counted
   * from now); the old one becomes `rotating` and keeps working until `gracePeriodUntil` (never
   * past its own expiry; 0 hours: revoked at once).
   */
  async rotateApiKey(
    keyId: string,
    options: { gracePeriodHours?: number; gracePeriodSeconds?: number; actor?: AuditActor } = {},
  ): Promise<GeneratedApiKey> {
    const graceMs =
      options.gracePeriodSeconds !== undefined
        ? options.gracePeriodSeconds * 1000
        : (options.gracePeriodHours ?? 24) * HOUR_MS;
    const result = await this.keys.transaction(async (manager) => {
      const old = await this.keys.findByIdForUpdate(keyId, manager);
      if (!old) throw new ApiKeyNotFoundError(keyId);
      return this.rotateLocked(old, graceMs, manager, options.actor ?? CLI_ACTOR);
    });
    this.verifier.invalidate();
    return result.fresh;
  }

  /**
   * Rotates every active key that expires within `withinDays` (and has not expired yet), one
   * transaction per key. Each key is taken with `FOR UPDATE SKIP LOCKED`, so runs on several
   * replicas at once share the work and never rotate a key twice; keys younger than an hour
   * (including the new keys of a concurrent run) are left for the next run.
   */
  async rotateDueKeys(options: { withinDays: number; gracePeriodHours: number }): Promise<RotatedApiKey[]> {
    const now = this.clock.now();
    const due = {
      now,
      dueBefore: new Date(now.getTime() + options.withinDays * DAY_MS),
      createdBefore: new Date(now.getTime() - ROTATE_DUE_MIN_AGE_MS),
    };
    const rotated: RotatedApiKey[] = [];
    for (;;) {
      const next = await this.keys.transaction(async (manager) => {
        const old = await this.keys.lockNextDue(due, manager);
        return old ? this.rotateLocked(old, options.gracePeriodHours * HOUR_MS, manager, CLI_ACTOR) : undefined;
      });
      if (!next) break;
      rotated.push(next);
    }
    if (rotated.length > 0) this.verifier.invalidate();
    return rotated;
  }

  /** A page of keys, newest first, filtered in SQL (`limit + 1` rows: the extra one means "more"). */
  async listPage(filter: ApiKeyPageFilter): Promise<ApiKeyRecord[]> {
    const rows = await this.keys.listPage({ ...filter, now: this.clock.now() });
    return rows.map(recordOf);
  }

  /** One key with its creator, and the whole rotation chain it belongs to (oldest first). */
  async getApiKeyDetail(keyId: string): Promise<{ key: ApiKeyRecord; lineage: ApiKeyRecord[] }> {
    const lineage = (await this.keys.lineage(keyId)).map(recordOf);
    const key = lineage.find((k) => k.keyId === keyId);
    if (!key) throw new ApiKeyNotFoundError(keyId);
    return { key, lineage };
  }

  /** Keys of an environment by status, and the active ones expiring before `expiringBefore`. */
  statusCounts(
    environment: KeyEnvironment,
    expiringBefore: Date,
  ): Promise<{ active: number; rotating: number; revoked: number; expiring: number }> {
    return this.keys.statusCounts(environment, this.clock.now(), expiringBefore);
  }

  /** Keys that stop working within `days` (active keys expiring, rotating keys in grace), by environment. */
  countKeysStoppingWithin(days: number): Promise<Partial<Record<KeyEnvironment, number>>> {
    const now = this.clock.now();
    return this.keys.countStoppingBetween(now, new Date(now.getTime() + days * DAY_MS));
  }

  private async rotateLocked(
    old: ApiKey,
    graceMs: number,
    manager: EntityManager,
    actor: AuditActor,
  ): Promise<RotatedApiKey> {
    if (old.status !== 'active') throw new ApiKeyNotRotatableError(old.id, old.status);
    const before = snapshot(old);
    const now = this.clock.now();
    const lifetimeMs = old.expiresAt === null ? null : old.expiresAt.getTime() - old.createdAt.getTime();
    let expiresAt = lifetimeMs === null ? null : new Date(now.getTime() + lifetimeMs);
    const max = this.env.API_KEY_MAX_EXPIRY_DAYS;
    if (max !== undefined && (expiresAt === null || expiresAt.getTime() > now.getTime() + max * DAY_MS)) {
      expiresAt = new Date(now.getTime() + max * DAY_MS);
    }
    const plaintextKey = generateApiKey(old.environment);
    const fresh = await this.keys.insert(
      {
        name: old.name,
        description: old.description,
        environment: old.environment,
        keyPrefix: displayPrefix(plaintextKey),
        keyHash: hashApiKey(plaintextKey),
        permissions: old.permissions,
        status: 'active',
        createdBy: old.createdBy,
        expiresAt,
        rateLimitPerMinute: old.rateLimitPerMinute,
      },
      manager,
    );
    let graceEnd = new Date(now.getTime() + graceMs);
    if (old.expiresAt !== null && old.expiresAt.getTime() < graceEnd.getTime()) graceEnd = old.expiresAt;
    const changes: Partial<ApiKey> =
      graceMs > 0
        ? { status: 'rotating', gracePeriodUntil: graceEnd, rotatedTo: fresh.id }
        : { status: 'revoked', revokedAt: now, gracePeriodUntil: now, rotatedTo: fresh.id };
    await this.keys.update(old.id, changes, manager);
    // One audit row for the rotation: the old key's before/after, naming the key that replaces it.
    await this.audit.record(
      actor,
      {
        action: 'key.rotate',
        resourceType: 'api_key',
        resourceId: old.id,
        environment: old.environment,
        before,
        after: {
          ...snapshot({ ...old, ...changes }),
          new_key_id: fresh.id,
          new_key_prefix: fresh.keyPrefix,
          grace_period_seconds: graceMs / 1000,
        },
      },
      manager,
    );
    const days = expiresAt === null ? null : Math.round((expiresAt.getTime() - now.getTime()) / DAY_MS);
    return {
      fresh: { ...toView(fresh), plaintextKey, lifetime: { source: 'inherited', days } },
      old: toView({ ...old, ...changes }),
    };
  }

  /** The lifetime a new key gets: the one asked for, else the default; refused beyond the maximum. */
  private lifetimeFor(requestedDays: number | null | undefined): KeyLifetime {
    const lifetime: KeyLifetime =
      requestedDays === undefined
        ? { source: 'default', days: this.env.API_KEY_DEFAULT_EXPIRY_DAYS || null }
        : { source: 'requested', days: requestedDays };
    const max = this.env.API_KEY_MAX_EXPIRY_DAYS;
    if (max !== undefined && (lifetime.days === null || lifetime.days > max)) {
      throw new ApiKeyLifetimeTooLongError(max, lifetime.days);
    }
    return lifetime;
  }

  /** An expiry set by `updateApiKey`: within `API_KEY_MAX_EXPIRY_DAYS` of the key's creation. */
  private checkExpiry(createdAt: Date, expiresAt: Date | null, requestedDays: number | null | undefined): void {
    const max = this.env.API_KEY_MAX_EXPIRY_DAYS;
    if (max === undefined) return;
    if (expiresAt === null || expiresAt.getTime() > createdAt.getTime() + max * DAY_MS) {
      throw new ApiKeyLifetimeTooLongError(
        max,
        expiresAt === null ? null : (requestedDays ?? Math.ceil((expiresAt.getTime() - createdAt.getTime()) / DAY_MS)),
      );
    }
  }

  private checkPermissions(requested: string[]): Permission[] {
    const invalid = requested.filter((p) => !isPermission(p));
    if (invalid.length > 0) throw new InvalidPermissionError(invalid, PERMISSIONS);
    return [...new Set(requested)] as Permission[];
  }
}
