import { Injectable } from '@nestjs/common';
import { displayPrefix, generateApiKey, hashApiKey, type KeyEnvironment } from '../common/crypto/api-key-token.js';
import { Clock } from '../common/time/clock.js';
import { AdminUsersService } from '../admin-users/admin-users.service.js';
import { DEFAULT_AGENT_PERMISSIONS, isPermission, PERMISSIONS, type Permission } from './permissions.js';
import type { ApiKey, ApiKeyStatus } from './api-key.entity.js';
import { ApiKeyVerifier } from './api-key-verifier.js';
import { ApiKeyNotFoundError, ApiKeyNotRotatableError, InvalidPermissionError } from './api-keys.errors.js';
import { ApiKeysRepository } from './api-keys.repository.js';

export interface CreateApiKeyInput {
  name: string;
  /** Admin user id or email. */
  createdBy: string;
  environment?: KeyEnvironment;
  description?: string | null;
  permissions?: string[];
  expiresInDays?: number | null;
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
  rateLimitPerMinute: number | null;
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
  rateLimitPerMinute: k.rateLimitPerMinute,
});

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly admins: AdminUsersService,
    private readonly verifier: ApiKeyVerifier,
    private readonly clock: Clock,
  ) {}

  async createApiKey(input: CreateApiKeyInput): Promise<GeneratedApiKey> {
    const permissions = this.checkPermissions(input.permissions ?? DEFAULT_AGENT_PERMISSIONS);
    const admin = await this.admins.getByRef(input.createdBy);
    const environment = input.environment ?? 'live';
    const plaintextKey = generateApiKey(environment);
    const expiresAt =
      input.expiresInDays === null || input.expiresInDays === undefined
        ? null
        : new Date(this.clock.now().getTime() + input.expiresInDays * DAY_MS);
    const saved = await this.keys.insert({
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

  /** Effective on the next request on every replica (NOTIFY in the same transaction). */
  async revokeApiKey(keyId: string): Promise<ApiKeyView> {
    const revoked = await this.keys.transaction(async (manager) => {
      const key = await this.keys.findByIdForUpdate(keyId, manager);
      if (!key) throw new ApiKeyNotFoundError(keyId);
      if (key.status !== 'revoked') {
        const changes = { status: 'revoked' as const, revokedAt: this.clock.now() };
        await this.keys.update(keyId, changes, manager);
        Object.assign(key, changes);
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
  async rotateApiKey(keyId: string, options: { gracePeriodHours?: number } = {}): Promise<GeneratedApiKey> {
    const graceHours = options.gracePeriodHours ?? 24;
    const result = await this.keys.transaction(async (manager) => {
      const old = await this.keys.findByIdForUpdate(keyId, manager);
      if (!old) throw new ApiKeyNotFoundError(keyId);
      if (old.status !== 'active') throw new ApiKeyNotRotatableError(keyId, old.status);
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
      await this.keys.update(
        keyId,
        graceHours > 0
          ? {
              status: 'rotating',
              gracePeriodUntil: new Date(now.getTime() + graceHours * HOUR_MS),
              rotatedTo: fresh.id,
            }
          : { status: 'revoked', revokedAt: now, gracePeriodUntil: now, rotatedTo: fresh.id },
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
