import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { PreparedQueries, preparedStatement } from '../common/database/prepared-queries.js';
import type { AccountKey } from './accounts.repository.js';
import type { FundingSource } from './charge.entity.js';
import { CHARGE_SQL, FIND_CHARGE_BY_IDEMPOTENCY_KEY_SQL } from './sql/charge.sql.js';

const CHARGE = preparedStatement('billing_charge', CHARGE_SQL);

export interface ChargeRequest {
  amountMinor: number;
  /** null: the account's currency. */
  currency: string | null;
  description: string;
  idempotencyKey: string | null;
  metadata: Record<string, unknown>;
  /** UTC day the daily free uses are counted for. */
  today: string;
  /** The clock's now: holds past their expiry reserve nothing. */
  now: Date;
  apiKeyId: string | null;
}

export interface ChargeRow {
  id: string;
  account_id: string;
  amount_minor: number;
  currency: string;
  balance_after: number;
  funding_source: FundingSource;
  created_at: string;
  description: string;
  metadata: Record<string, unknown>;
}

export interface ExistingChargeRow {
  id: string;
  amount_minor: number;
  currency: string;
  description: string;
}

export interface ChargeAccountRow {
  id: string;
  status: string;
  currency: string;
  balance_minor: number;
}

/** What the single charge statement did: charged, found a duplicate, or neither (and why is in `account`). */
export interface ChargeOutcome {
  charge: ChargeRow | null;
  existing: ExistingChargeRow | null;
  account: ChargeAccountRow | null;
}

@Injectable()
export class ChargesRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly prepared: PreparedQueries,
  ) {}

  async charge(key: AccountKey, req: ChargeRequest): Promise<ChargeOutcome> {
    const rows = await this.prepared.rows<ChargeOutcome>(CHARGE, [
      key.environment,
      key.oauthProvider,
      key.externalId,
      req.amountMinor,
      req.currency,
      req.idempotencyKey,
      req.description,
      JSON.stringify(req.metadata),
      req.today,
      req.apiKeyId,
      req.now.toISOString(),
    ]);
    return rows[0];
  }

  async findByIdempotencyKey(key: AccountKey, idempotencyKey: string): Promise<ExistingChargeRow | null> {
    const rows: ExistingChargeRow[] = await this.db.query(FIND_CHARGE_BY_IDEMPOTENCY_KEY_SQL, [
      key.environment,
      key.oauthProvider,
      key.externalId,
      idempotencyKey,
    ]);
    return rows[0] ?? null;
  }
}
