import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import pg from 'pg';
import { Env } from '../config/env.js';
import { hashApiKey, isWellFormedApiKey, type KeyEnvironment } from '../common/crypto/api-key-token.js';
import { DATABASE_URL } from '../common/database/database.module.js';
import { Clock, DAY_MS } from '../common/time/clock.js';
import { ApiKeysRepository, type ApiKeyAuthRecord, type LastUse } from './api-keys.repository.js';
import { ApiKeyExpiredError, ApiKeyRevokedError, InvalidApiKeyError } from './api-keys.errors.js';
import type { Permission } from './permissions.js';
import { LISTEN_KEY_CHANGES_SQL } from './sql/api-keys.sql.js';

const MAX_CACHED_KEYS = 10_000;
const RECONNECT_DELAY_MS = 1_000;

/** A key that passed verification: what the verifier tells its callers (never the key material). */
export interface VerifiedApiKey {
  id: string;
  name: string;
  environment: KeyEnvironment;
  permissions: readonly Permission[];
  rateLimitPerMinute: number | null;
  status: 'active' | 'rotating';
  expiresAt: Date | null;
  gracePeriodUntil: Date | null;
  /** When the key stops working: `expiresAt`, or for a rotating key the earlier of it and the grace end. */
  stopsWorkingAt: Date | null;
  /** Within `API_KEY_EXPIRY_WARNING_DAYS` of {@link stopsWorkingAt}, or rotating: responses say so. */
  expiresSoon: boolean;
}

interface CacheEntry {
  record: ApiKeyAuthRecord;
  fetchedAt: number;
}

/**
 * Verifies API keys: format and checksum (no I/O), SHA-256, then an in-memory record.
 *
 * Records are cached by hash. Every replica LISTENs on `api_key_changed`, which key changes
 * NOTIFY in the same transaction, and drops its cache when one arrives — so a revocation is seen
 * on the next request everywhere. While that connection is down nothing is served from cache.
 * Expiry and rotation grace are compared with the clock on every request, never precomputed.
 * `last_used_at` is buffered and written in one statement per flush interval.
 */
@Injectable()
export class ApiKeyVerifier implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger(ApiKeyVerifier.name);
  private readonly cache = new Map<string, CacheEntry>();
  private readonly pendingUses = new Map<string, LastUse>();
  /** Bumped on every invalidation; a fetch that raced with one is not cached. */
  private generation = 0;
  private listener?: pg.Client;
  private listening = false;
  private stopped = false;
  private flushTimer?: NodeJS.Timeout;
  private reconnectTimer?: NodeJS.Timeout;
  /** When the listener was lost (the loss is logged once, and its return once). */
  private lostSince?: number;

  /** `API_KEY_EXPIRY_WARNING_DAYS` in ms. */
  private readonly warningMs: number;

  constructor(
    private readonly repository: ApiKeysRepository,
    private readonly clock: Clock,
    private readonly env: Env,
    @Inject(DATABASE_URL) private readonly databaseUrl: string,
  ) {
    this.warningMs = env.API_KEY_EXPIRY_WARNING_DAYS * DAY_MS;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.listen();
    this.flushTimer = setInterval(() => void this.flushLastUses(), this.env.LAST_USED_FLUSH_INTERVAL_MS);
    this.flushTimer.unref();
  }

  /**
   * The first shutdown hook: from here on nothing reconnects, whatever later hooks do (a reconnect
   * scheduled after the app is gone would run in a torn-down process or test environment).
   */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const listener = this.listener;
    this.listener = undefined;
    this.listening = false;
    await listener?.end().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.flushLastUses();
  }

  async verify(apiKey: unknown): Promise<VerifiedApiKey> {
    if (typeof apiKey !== 'string' || !isWellFormedApiKey(apiKey)) throw new InvalidApiKeyError();
    const record = await this.lookup(hashApiKey(apiKey));
    if (!record) throw new InvalidApiKeyError();

    const now = this.clock.now().getTime();
    if (record.status === 'revoked') throw new ApiKeyRevokedError();
    if (
      record.status === 'rotating' &&
      (record.gracePeriodUntil === null || record.gracePeriodUntil.getTime() <= now)
    ) {
      throw new ApiKeyRevokedError();
    }
    if (record.expiresAt !== null && record.expiresAt.getTime() <= now) throw new ApiKeyExpiredError();

    const rotating = record.status === 'rotating';
    const stopsWorkingAt =
      rotating && (record.expiresAt === null || record.gracePeriodUntil!.getTime() < record.expiresAt.getTime())
        ? record.gracePeriodUntil
        : record.expiresAt;
    return {
      id: record.id,
      name: record.name,
      environment: record.environment,
      permissions: record.permissions,
      rateLimitPerMinute: record.rateLimitPerMinute,
      status: rotating ? 'rotating' : 'active',
      expiresAt: record.expiresAt,
      gracePeriodUntil: record.gracePeriodUntil,
      stopsWorkingAt,
      expiresSoon: rotating || (stopsWorkingAt !== null && stopsWorkingAt.getTime() - now <= this.warningMs),
    };
  }

  /** Remembers a successful use; written to the database on the next flush. */
  recordUse(keyId: string, ip: string | null): void {
    this.pendingUses.set(keyId, { id: keyId, at: this.clock.now(), ip });
  }

  /** Drops every cached record (this process); other replicas hear the NOTIFY. */
  invalidate(): void {
    this.generation++;
    this.cache.clear();
  }

  async flushLastUses(): Promise<void> {
    if (this.pendingUses.size === 0) return;
    const uses = [...this.pendingUses.values()];
    this.pendingUses.clear();
    try {
      await this.repository.recordLastUses(uses);
    } catch (error) {
      // Keep them for the next flush unless a newer use replaced them meanwhile.
      for (const use of uses) if (!this.pendingUses.has(use.id)) this.pendingUses.set(use.id, use);
      this.logger.warn(`Could not record API key use: ${(error as Error).message}`);
    }
  }

  private async lookup(hash: string): Promise<ApiKeyAuthRecord | null> {
    const ttl = this.env.API_KEY_CACHE_TTL_MS;
    const cached = this.cache.get(hash);
    if (cached && this.listening && Date.now() - cached.fetchedAt < ttl) return cached.record;

    const generation = this.generation;
    const record = await this.repository.findAuthRecordByHash(hash);
    if (record && this.listening && ttl > 0 && generation === this.generation) {
      if (this.cache.size >= MAX_CACHED_KEYS) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(hash, { record, fetchedAt: Date.now() });
    }
    return record;
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'ciris-billing-listener' });
    const lost = (reason: string): void => {
      if (this.listener !== client) return;
      this.listening = false;
      this.invalidate();
      this.listener = undefined;
      client.end().catch(() => undefined);
      if (!this.stopped) {
        // One line per loss, not one per reconnect attempt (every second during an outage).
        if (this.lostSince === undefined) {
          this.lostSince = Date.now();
          this.logger.warn(`API key change listener lost (${reason}); serving keys without cache until it is back`);
        }
        this.reconnectTimer = setTimeout(() => void this.listen(), RECONNECT_DELAY_MS);
        this.reconnectTimer.unref();
      }
    };
    client.on('notification', () => this.invalidate());
    client.on('error', (error) => lost(error.message));
    client.on('end', () => lost('connection ended'));
    this.listener = client;
    try {
      await client.connect();
      await client.query(LISTEN_KEY_CHANGES_SQL);
      if (this.stopped || this.listener !== client) {
        await client.end().catch(() => undefined);
        return;
      }
      this.invalidate();
      this.listening = true;
      if (this.lostSince !== undefined) {
        this.logger.log(`API key change listener back after ${Math.round((Date.now() - this.lostSince) / 1000)} s`);
        this.lostSince = undefined;
      }
    } catch (error) {
      lost((error as Error).message);
    }
  }
}
