import { Injectable } from '@nestjs/common';
import { PreparedQueries, preparedStatement } from '../common/database/prepared-queries.js';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import type { CreditRow } from './credits.repository.js';
import type { FundingSource } from './charge.entity.js';
import { REFUND_CHARGE_SQL, REFUND_FIND_CHARGE_SQL, REFUND_FIND_CREDIT_BY_KEY_SQL } from './sql/refund.sql.js';

const REFUND = preparedStatement('billing_refund_charge', REFUND_CHARGE_SQL);
const FIND_CHARGE = preparedStatement('billing_refund_find_charge', REFUND_FIND_CHARGE_SQL);
const FIND_CREDIT_BY_KEY = preparedStatement('billing_refund_find_credit_by_key', REFUND_FIND_CREDIT_BY_KEY_SQL);

export interface RefundRequest {
  /** null: all that remains refundable. */
  amountMinor: number | null;
  reason: string;
  idempotencyKey: string;
  apiKeyId: string | null;
}

/** The credit that already holds a refund's idempotency key on that account. */
export interface ExistingRefundCredit {
  id: string;
  charge_id: string | null;
  amount_minor: number;
  free_uses_returned: number;
  transaction_type: string;
}

export interface RefundOutcome {
  credit: (CreditRow & { charge_id: string; free_uses_returned: number }) | null;
  existing: ExistingRefundCredit | null;
  charge: { id: string; account_id: string } | null;
}

/** A charge as a refund sees it: what it took, what was given back, and its account's status. */
export interface RefundableCharge {
  id: string;
  amount_minor: number;
  balance_debit_minor: number;
  refunded_minor: number;
  free_use_returned: boolean;
  funding_source: FundingSource;
  account_status: string;
}

/** Refunds of charges: one statement that locks the account and the charge, so refunds never exceed it. */
@Injectable()
export class RefundsRepository {
  constructor(private readonly prepared: PreparedQueries) {}

  async refund(chargeId: string, environment: KeyEnvironment, req: RefundRequest): Promise<RefundOutcome> {
    const rows = await this.prepared.rows<RefundOutcome>(REFUND, [
      chargeId,
      environment,
      req.amountMinor,
      req.reason,
      req.idempotencyKey,
      req.apiKeyId,
    ]);
    return rows[0];
  }

  async findCharge(chargeId: string, environment: KeyEnvironment): Promise<RefundableCharge | null> {
    const rows = await this.prepared.rows<RefundableCharge>(FIND_CHARGE, [chargeId, environment]);
    return rows[0] ?? null;
  }

  async findCreditByIdempotencyKey(
    chargeId: string,
    environment: KeyEnvironment,
    idempotencyKey: string,
  ): Promise<ExistingRefundCredit | null> {
    const rows = await this.prepared.rows<ExistingRefundCredit>(FIND_CREDIT_BY_KEY, [
      chargeId,
      environment,
      idempotencyKey,
    ]);
    return rows[0] ?? null;
  }
}
