import { Injectable } from '@nestjs/common';
import { displayPrefix, generateApiKey, hashApiKey, type KeyEnvironment } from '../common/crypto/api-key-token.js';
import { Clock } from '../common/time/clock.js';
import { AdminUsersService } from '../admin-users/admin-users.service.js';
import { CLI_ACTOR, type AuditActor } from '../audit/audit-actor.js';
import { AuditRepository } from '../audit/audit.repository.js';
import type { CursorPosition } from '../common/pagination/cursor.js';
import { DEFAULT_AGENT_PERMISSIONS, isPermission, PERMISSIONS, type Permission } from './permissions.js';
import type { ApiKey, ApiKeyStatus } from './api-key.entity.js';
import { ApiKeyVerifier } from './api-key-verifier.js';
import { ApiKeyNotFoundError, ApiKeyNotRotatableError, InvalidPermissionError } from './api-keys.errors.js';
import { ApiKeysRepository, type ApiKeyListRow } from './api-keys.repository.js';

export interface CreateApiKeyInput {
  name: string;
  /** Admin user id or email. */
  createdBy: string;
  environment?: KeyEnvironment;
  description?: string | null;
  permissions?: string[];
  expiresInDays?: number | null;
  /** A fixed expiry instead of `expiresInDays` (null: never). */
  expiresAt?: Date | null;
  rateLimitPerMinute?: number | null;
  /** Who is acting, for the audit trail (default: the CLI). */
  actor?: AuditActor;
}

/** What an edit may change; undefined fields stay as they are, null clears. */
export interface UpdateApiKeyInput {
  name?: string;
  description?: string | null;
  permissions?: string[];
  expiresAt?: Date | null;
  rateLimitPerMinute?: number | null;
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
  ) {}

  async createApiKey(input: CreateApiKeyInput): Promise<GeneratedApiKey> {
    const permissions = this.checkPermissions(input.permissions ?? DEFAULT_AGENT_PERMISSIONS);
    const admin = await this.admins.getByRef(input.createdBy);
    const environment = input.environment ?? 'live';
    const plaintextKey = generateApiKey(environment);
    const expiresAt =
      input.expiresAt !== undefined
        ? input.expiresAt
        : input.expiresInDays === null || input.expiresInDays === undefined
          ? null
          : new Date(this.clock.now().getTime() + input.expiresInDays * DAY_MS);
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
    return { ...toView(saved), plaintextKey };
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

  /** Edits name, description, permissions, expiry or rate limit; audited with before/after. */
  async updateApiKey(keyId: string, input: UpdateApiKeyInput, actor: AuditActor = CLI_ACTOR): Promise<ApiKeyView> {
    const permissions = input.permissions === undefined ? undefined : this.checkPermissions(input.permissions);
    const updated = await this.keys.transaction(async (manager) => {
      const key = await this.keys.findByIdForUpdate(keyId, manager);
      if (!key) throw new ApiKeyNotFoundError(keyId);
      const before = snapshot(key);
      const changes: Partial<ApiKey> = {};
      if (input.name !== undefined) changes.name = input.name;
      if (input.description !== undefined) changes.description = input.description;
      if (permissions !== undefined) changes.permissions = permissions;
      if (input.expiresAt !== undefined) changes.expiresAt = input.expiresAt;
      if (input.rateLimitPerMinute !== undefined) changes.rateLimitPerMinute = input.rateLimitPerMinute;
      if (Object.keys(changes).length === 0) return key;
      await this.keys.update(keyId, changes, manager);
      Object.assign(key, changes);
      await this.audit.record(
        actor,
        {
          action: 'key.update',
          resourceType: 'api_key',
          resourceId: keyId,
          environment: key.environment,
          before,
          after: snapshot(key),
        },
        manager,
      );
      return key;
    });
    this.verifier.invalidate();
    return toView(updated);
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
   * A new key with the same name, environment, permissions and owner; the old one becomes
   * `rotating` and keeps working until `gracePeriodUntil` (0 hours: revoked at once).
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
      if (old.status !== 'active') throw new ApiKeyNotRotatableError(keyId, old.status);
      const before = snapshot(old);
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
          expiresAt: old.expiresAt,
          rateLimitPerMinute: old.rateLimitPerMinute,
        },
        manager,
      );
      const now = this.clock.now();
      const changes: Partial<ApiKey> =
        graceMs > 0
          ? { status: 'rotating', gracePeriodUntil: new Date(now.getTime() + graceMs), rotatedTo: fresh.id }
          : { status: 'revoked', revokedAt: now, gracePeriodUntil: now, rotatedTo: fresh.id };
      await this.keys.update(keyId, changes, manager);
      Object.assign(old, changes);
      // One row for the rotation: the old key's before/after, naming the key that replaces it.
      await this.audit.record(
        options.actor ?? CLI_ACTOR,
        {
          action: 'key.rotate',
          resourceType: 'api_key',
          resourceId: keyId,
          environment: old.environment,
          before,
          after: {
            ...snapshot(old),
            new_key_id: fresh.id,
            new_key_prefix: fresh.keyPrefix,
            grace_period_seconds: graceMs / 1000,
          },
        },
        manager,
      );
      return { ...toView(fresh), plaintextKey };
    });
    this.verifier.invalidate();
    return result;
  }

  private checkPermissions(requested: string[]): Permission[] {
    const invalid = requested.filter((p) => !isPermission(p));
    if (invalid.length > 0) throw new InvalidPermissionError(invalid, PERMISSIONS);
    return [...new Set(requested)] as Permission[];
  }
}
