import { Injectable } from '@nestjs/common';
import { displayPrefix, generateApiKey, hashApiKey, type KeyEnvironment } from '../common/crypto/api-key-token.js';
import { Clock } from '../common/time/clock.js';
import { Env } from '../config/env.js';
import { AdminUsersService } from '../admin-users/admin-users.service.js';
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
import { ApiKeysRepository } from './api-keys.repository.js';

export interface CreateApiKeyInput {
  name: string;
  /** Admin user id or email. */
  createdBy: string;
  environment?: KeyEnvironment;
  description?: string | null;
  permissions?: string[];
  /** Omitted: `API_KEY_DEFAULT_EXPIRY_DAYS`; `null`: never expires (asked for explicitly). */
  expiresInDays?: number | null;
  rateLimitPerMinute?: number | null;
}

/** What `updateApiKey` may change; omitted fields stay as they are, `null` clears. */
export interface UpdateApiKeyInput {
  name?: string;
  description?: string | null;
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
  rateLimitPerMinute: number | null;
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
  rateLimitPerMinute: k.rateLimitPerMinute,
});

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly admins: AdminUsersService,
    private readonly verifier: ApiKeyVerifier,
    private readonly clock: Clock,
    private readonly env: Env,
  ) {}

  async createApiKey(input: CreateApiKeyInput): Promise<GeneratedApiKey> {
    const permissions = this.checkPermissions(input.permissions ?? DEFAULT_AGENT_PERMISSIONS);
    const admin = await this.admins.getByRef(input.createdBy);
    const environment = input.environment ?? 'live';
    const lifetime = this.lifetimeFor(input.expiresInDays);
    const plaintextKey = generateApiKey(environment);
    const expiresAt = lifetime.days === null ? null : new Date(this.clock.now().getTime() + lifetime.days * DAY_MS);
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
    return { ...toView(saved), plaintextKey, lifetime };
  }

  /**
   * Changes a key's name, description, rate limit or expiry. Written with a NOTIFY in the same
   * transaction, so every replica drops its cached copy and applies the change from its next request.
   */
  async updateApiKey(keyId: string, changes: UpdateApiKeyInput): Promise<ApiKeyView> {
    const result = await this.keys.transaction(async (manager) => {
      const key = await this.keys.findByIdForUpdate(keyId, manager);
      if (!key) throw new ApiKeyNotFoundError(keyId);
      if (key.status === 'revoked') throw new ApiKeyNotUpdatableError(keyId);
      const update: Partial<ApiKey> = {};
      if (changes.name !== undefined) update.name = changes.name;
      if (changes.description !== undefined) update.description = changes.description;
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
      if (Object.keys(update).length > 0) await this.keys.update(keyId, update, manager);
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
   * A new key with the same name, environment, permissions, rate limit, owner and lifetime (counted
   * from now); the old one becomes `rotating` and keeps working until `gracePeriodUntil` (never
   * past its own expiry; 0 hours: revoked at once).
   */
  async rotateApiKey(keyId: string, options: { gracePeriodHours?: number } = {}): Promise<GeneratedApiKey> {
    const result = await this.keys.transaction(async (manager) => {
      const old = await this.keys.findByIdForUpdate(keyId, manager);
      if (!old) throw new ApiKeyNotFoundError(keyId);
      return this.rotateLocked(old, options.gracePeriodHours ?? 24, manager);
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
        return old ? this.rotateLocked(old, options.gracePeriodHours, manager) : undefined;
      });
      if (!next) break;
      rotated.push(next);
    }
    if (rotated.length > 0) this.verifier.invalidate();
    return rotated;
  }

  /** Keys that stop working within `days` (active keys expiring, rotating keys in grace), by environment. */
  countKeysStoppingWithin(days: number): Promise<Partial<Record<KeyEnvironment, number>>> {
    const now = this.clock.now();
    return this.keys.countStoppingBetween(now, new Date(now.getTime() + days * DAY_MS));
  }

  private async rotateLocked(old: ApiKey, graceHours: number, manager: EntityManager): Promise<RotatedApiKey> {
    if (old.status !== 'active') throw new ApiKeyNotRotatableError(old.id, old.status);
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
    let graceEnd = new Date(now.getTime() + graceHours * HOUR_MS);
    if (old.expiresAt !== null && old.expiresAt.getTime() < graceEnd.getTime()) graceEnd = old.expiresAt;
    const changes: Partial<ApiKey> =
      graceHours > 0
        ? { status: 'rotating', gracePeriodUntil: graceEnd, rotatedTo: fresh.id }
        : { status: 'revoked', revokedAt: now, gracePeriodUntil: now, rotatedTo: fresh.id };
    await this.keys.update(old.id, changes, manager);
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
