import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AccountKey } from './accounts.repository.js';
import type { CreditType } from './credit.entity.js';
import { CREDIT_SQL, FIND_CREDIT_BY_IDEMPOTENCY_KEY_SQL } from './sql/credit.sql.js';

export interface CreditRequest {
  amountMinor: number;
  currency: string | null;
  transactionType: CreditType;
  description: string;
  externalTransactionId: string | null;
  idempotencyKey: string | null;
  apiKeyId: string | null;
}

export interface CreditRow {
  id: string;
  account_id: string;
  amount_minor: number;
  currency: string;
  balance_after: number;
  transaction_type: CreditType;
  description: string;
  external_transaction_id: string | null;
  created_at: string;
}

/** A ledger entry that already holds the idempotency key (an adjustment or any other credit). */
export interface ExistingCreditRow {
  id: string;
  amount_minor: number;
  currency: string;
  transaction_type: string;
  description: string;
}

export interface CreditOutcome {
  credit: CreditRow | null;
  existing: { id: string; amount_minor: number; currency: string; transaction_type: string } | null;
  account: { id: string; status: string; currency: string; balance_minor: number } | null;
}

@Injectable()
export class CreditsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async credit(key: AccountKey, req: CreditRequest): Promise<CreditOutcome> {
    const rows: CreditOutcome[] = await this.db.query(CREDIT_SQL, [
      key.environment,
      key.oauthProvider,
      key.externalId,
      req.amountMinor,
      req.currency,
      req.transactionType,
      req.description,
      req.idempotencyKey,
      req.externalTransactionId,
      req.apiKeyId,
    ]);
    return rows[0];
  }

  /** The ledger credit (of any type) that holds `idempotencyKey` on the account, if any. */
  async findByIdempotencyKey(key: AccountKey, idempotencyKey: string): Promise<ExistingCreditRow | null> {
    const rows: ExistingCreditRow[] = await this.db.query(FIND_CREDIT_BY_IDEMPOTENCY_KEY_SQL, [
      key.environment,
      key.oauthProvider,
      key.externalId,
      idempotencyKey,
    ]);
    return rows[0] ?? null;
  }
}
