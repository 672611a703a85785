import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AccountKey } from './accounts.repository.js';
import type { FundingSource } from './charge.entity.js';

export interface ChargeRequest {
  amountMinor: number;
  /** null: the account's currency. */
  currency: string | null;
  description: string;
  idempotencyKey: string | null;
  metadata: Record<string, unknown>;
  /** UTC day the daily free uses are counted for. */
  today: string;
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

/**
 * One statement: find the account, look for the idempotency key, lock the account row, pick the
 * funding (daily free use, else one-time free use, else balance), debit, and write the charge.
 * The row lock serialises charges on one account; `balance_minor >= amount` and the CHECK
 * constraint keep the balance non-negative; the unique index on (account_id, idempotency_key)
 * turns a concurrent duplicate into a unique violation that rolls the whole statement back.
 */
const CHARGE_SQL = `
WITH acct AS (
  SELECT id, status, currency, balance_minor
    FROM accounts
   WHERE environment = $1 AND oauth_provider = $2 AND external_id = $3
), existing AS (
  SELECT c.id, c.amount_minor, c.currency, c.description
    FROM charges c JOIN acct ON c.account_id = acct.id
   WHERE $6::text IS NOT NULL AND c.idempotency_key = $6::text
), locked AS (
  SELECT a.id, a.balance_minor, a.currency, a.free_uses_remaining AS free_left,
         CASE WHEN a.daily_free_uses_day = $9::date THEN a.daily_free_uses_remaining
              ELSE a.daily_free_uses_limit END AS daily_left
    FROM accounts a JOIN acct ON a.id = acct.id
   WHERE NOT EXISTS (SELECT 1 FROM existing)
     AND a.status = 'active'
     AND a.currency = COALESCE($5::text, a.currency)
     FOR UPDATE OF a
), funded AS (
  SELECT l.*,
         CASE WHEN l.daily_left > 0 THEN 'daily_free'
              WHEN l.free_left > 0 THEN 'free'
              ELSE 'balance' END AS source
    FROM locked l
   WHERE l.daily_left > 0 OR l.free_left > 0 OR l.balance_minor >= $4::bigint
), debit AS (
  UPDATE accounts a
     SET daily_free_uses_remaining = CASE WHEN f.source = 'daily_free' THEN f.daily_left - 1 ELSE f.daily_left END,
         daily_free_uses_day = $9::date,
         free_uses_remaining = CASE WHEN f.source = 'free' THEN f.free_left - 1 ELSE f.free_left END,
         balance_minor = CASE WHEN f.source = 'balance' THEN f.balance_minor - $4::bigint ELSE f.balance_minor END,
         total_uses = a.total_uses + 1,
         updated_at = now()
    FROM funded f
   WHERE a.id = f.id
  RETURNING a.id, a.balance_minor, a.currency, f.source
), inserted AS (
  INSERT INTO charges (account_id, environment, amount_minor, balance_debit_minor, funding_source, currency,
                       description, idempotency_key, metadata, balance_after, api_key_id)
  SELECT d.id, $1, $4::bigint, CASE WHEN d.source = 'balance' THEN $4::bigint ELSE 0 END, d.source, d.currency,
         $7, $6::text, $8::jsonb, d.balance_minor, $10::uuid
    FROM debit d
  RETURNING id, account_id, amount_minor, currency, balance_after, funding_source, created_at, description, metadata
)
SELECT (SELECT row_to_json(i) FROM inserted i) AS charge,
       (SELECT row_to_json(e) FROM existing e) AS existing,
       (SELECT row_to_json(a) FROM acct a) AS account`;

@Injectable()
export class ChargesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async charge(key: AccountKey, req: ChargeRequest): Promise<ChargeOutcome> {
    const rows: ChargeOutcome[] = await this.db.query(CHARGE_SQL, [
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
    ]);
    return rows[0];
  }

  async findByIdempotencyKey(key: AccountKey, idempotencyKey: string): Promise<ExistingChargeRow | null> {
    const rows: ExistingChargeRow[] = await this.db.query(
      `SELECT c.id, c.amount_minor::float8 AS amount_minor, c.currency, c.description
         FROM charges c JOIN accounts a ON a.id = c.account_id
        WHERE a.environment = $1 AND a.oauth_provider = $2 AND a.external_id = $3 AND c.idempotency_key = $4`,
      [key.environment, key.oauthProvider, key.externalId, idempotencyKey],
    );
    return rows[0] ?? null;
  }
}
