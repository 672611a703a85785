import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { PreparedQueries, preparedStatement } from '../common/database/prepared-queries.js';
import type { AccountKey } from './accounts.repository.js';
import type { ChargeRow } from './charges.repository.js';
import type { HoldFunding, HoldStatus } from './hold.entity.js';
import {
  CAPTURE_HOLD_SQL,
  CREATE_HOLD_SQL,
  FIND_HOLD_BY_IDEMPOTENCY_KEY_SQL,
  FIND_HOLD_SQL,
  RELEASE_HOLD_SQL,
} from './sql/holds.sql.js';

const CREATE = preparedStatement('billing_hold_create', CREATE_HOLD_SQL);
const CAPTURE = preparedStatement('billing_hold_capture', CAPTURE_HOLD_SQL);
const RELEASE = preparedStatement('billing_hold_release', RELEASE_HOLD_SQL);
const FIND = preparedStatement('billing_hold_find', FIND_HOLD_SQL);

export interface HoldRequest {
  amountMinor: number;
  /** null: the account's currency. */
  currency: string | null;
  description: string;
  idempotencyKey: string;
  metadata: Record<string, unknown>;
  /** The clock's now, and the UTC day whose daily free uses count. */
  now: Date;
  today: string;
  expiresAt: Date;
  apiKeyId: string | null;
}

/** A hold as reported: `status` and `ended_at` as of the statement's `now`. */
export interface HoldRow {
  id: string;
  account_id: string;
  amount_minor: number;
  currency: string;
  funded_by: HoldFunding;
  status: HoldStatus;
  expires_at: string;
  created_at: string;
  description: string;
  metadata: Record<string, unknown>;
  ended_at: string | null;
  charge_id?: string | null;
  captured_minor?: number | null;
  account_status?: string;
}

export interface ExistingHoldRow {
  id: string;
  amount_minor: number;
  currency: string;
  description: string;
}

/** What the reserve statement did: reserved, found the key already used, or neither (`account` says why). */
export interface HoldOutcome {
  hold: HoldRow | null;
  existing: ExistingHoldRow | null;
  account: { id: string; status: string; currency: string; balance_minor: number; held_minor: number } | null;
}

export interface CaptureRequest {
  /** null: the held amount. */
  amountMinor: number | null;
  description: string | null;
  metadata: Record<string, unknown> | null;
  now: Date;
  today: string;
  apiKeyId: string | null;
}

export interface CaptureOutcome {
  charge: (ChargeRow & { hold_id: string }) | null;
  /** The hold as this statement's snapshot saw it; null when unknown in this environment. */
  hold: { id: string; account_id: string; amount_minor: number; status: HoldStatus } | null;
}

/** Holds: reserve, capture, release, read. Every write is one statement that locks the account row first. */
@Injectable()
export class HoldsRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly prepared: PreparedQueries,
  ) {}

  async reserve(key: AccountKey, req: HoldRequest): Promise<HoldOutcome> {
    const rows = await this.prepared.rows<HoldOutcome>(CREATE, [
      key.environment,
      key.oauthProvider,
      key.externalId,
      req.amountMinor,
      req.currency,
      req.idempotencyKey,
      req.description,
      JSON.stringify(req.metadata),
      req.today,
      req.now.toISOString(),
      req.expiresAt.toISOString(),
      req.apiKeyId,
    ]);
    return rows[0];
  }

  async findIdByIdempotencyKey(key: AccountKey, idempotencyKey: string): Promise<ExistingHoldRow | null> {
    const rows: ExistingHoldRow[] = await this.db.query(FIND_HOLD_BY_IDEMPOTENCY_KEY_SQL, [
      key.environment,
      key.oauthProvider,
      key.externalId,
      idempotencyKey,
    ]);
    return rows[0] ?? null;
  }

  async capture(holdId: string, environment: AccountKey['environment'], req: CaptureRequest): Promise<CaptureOutcome> {
    const rows = await this.prepared.rows<CaptureOutcome>(CAPTURE, [
      holdId,
      environment,
      req.amountMinor,
      req.description,
      req.metadata === null ? null : JSON.stringify(req.metadata),
      req.today,
      req.now.toISOString(),
      req.apiKeyId,
    ]);
    return rows[0];
  }

  /** Ends the hold as released if it is still active; returns whether this call released it. */
  async release(holdId: string, environment: AccountKey['environment'], now: Date, today: string): Promise<boolean> {
    const rows = await this.prepared.rows<{ released_id: string | null }>(RELEASE, [
      holdId,
      environment,
      today,
      now.toISOString(),
    ]);
    return rows[0]?.released_id != null;
  }

  async findById(holdId: string, environment: AccountKey['environment'], now: Date): Promise<HoldRow | null> {
    const rows = await this.prepared.rows<HoldRow>(FIND, [holdId, environment, now.toISOString()]);
    return rows[0] ?? null;
  }
}
