import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import type { Purchase, PurchaseStatus } from './purchase.entity.js';

export interface NewPurchase {
  paymentId: string;
  accountId: string;
  environment: KeyEnvironment;
  amountMinor: number;
  currency: string;
  usesPurchased: number;
  customerEmail: string | null;
  returnUrl: string | null;
  apiKeyId: string | null;
}

export interface LedgerTotals {
  creditsAdded: number;
  creditsRefunded: number;
}

const purchaseFromRow = (row: Record<string, unknown>): Purchase => ({
  id: row.id as string,
  paymentId: row.payment_id as string,
  accountId: row.account_id as string,
  environment: row.environment as KeyEnvironment,
  amountMinor: Number(row.amount_minor),
  currency: row.currency as string,
  usesPurchased: Number(row.uses_purchased),
  status: row.status as PurchaseStatus,
  customerEmail: row.customer_email as string | null,
  returnUrl: row.return_url as string | null,
  failureReason: row.failure_reason as string | null,
  creditId: row.credit_id as string | null,
  creditedAt: row.credited_at ? new Date(row.credited_at as string) : null,
  refundedAmountMinor: Number(row.refunded_amount_minor),
  creditsClawedBack: Number(row.credits_clawed_back),
  creditsUnrecovered: Number(row.credits_unrecovered),
  apiKeyId: row.api_key_id as string | null,
  createdAt: new Date(row.created_at as string),
  updatedAt: new Date(row.updated_at as string),
});

@Injectable()
export class PurchasesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async findByPaymentId(paymentId: string): Promise<Purchase | null> {
    const rows: Record<string, unknown>[] = await this.db.query(`SELECT * FROM purchases WHERE payment_id = $1`, [
      paymentId,
    ]);
    return rows[0] ? purchaseFromRow(rows[0]) : null;
  }

  /**
   * Records a pending purchase unless one exists for the payment (a retried request gets the same
   * PaymentIntent back from Stripe). The account must exist in the purchase's environment.
   * Returns the stored row either way, or null when the account does not exist there.
   */
  async insertIfAbsent(p: NewPurchase): Promise<Purchase | null> {
    await this.db.query(
      `INSERT INTO purchases (payment_id, account_id, environment, amount_minor, currency, uses_purchased,
                              customer_email, return_url, api_key_id)
       SELECT $1, a.id, a.environment, $4, $5, $6, $7, $8, $9
         FROM accounts a WHERE a.id = $2 AND a.environment = $3
       ON CONFLICT (payment_id) DO NOTHING`,
      [
        p.paymentId,
        p.accountId,
        p.environment,
        p.amountMinor,
        p.currency,
        p.usesPurchased,
        p.customerEmail,
        p.returnUrl,
        p.apiKeyId,
      ],
    );
    return this.findByPaymentId(p.paymentId);
  }

  /** Failed or canceled, unless already credited (events can arrive out of order). */
  async markUnpaid(
    paymentId: string,
    environment: KeyEnvironment,
    status: Extract<PurchaseStatus, 'failed' | 'canceled'>,
    reason: string | null,
  ): Promise<boolean> {
    const [, affected]: [unknown, number] = await this.db.query(
      `UPDATE purchases SET status = $3, failure_reason = $4, updated_at = now()
        WHERE payment_id = $1 AND environment = $2 AND credited_at IS NULL`,
      [paymentId, environment, status, reason],
    );
    return affected > 0;
  }

  /** What the ledger says this payment did: the credit it added and the credits its refunds removed. */
  async ledgerTotals(purchase: Purchase): Promise<LedgerTotals> {
    const [row]: Array<{ added: string; refunded: string }> = await this.db.query(
      `SELECT COALESCE(SUM(amount_minor) FILTER (WHERE id = $2::uuid), 0) AS added,
              COALESCE(-SUM(amount_minor) FILTER (WHERE starts_with(idempotency_key, $3)), 0) AS refunded
         FROM credits
        WHERE account_id = $1 AND (id = $2::uuid OR starts_with(idempotency_key, $3))`,
      [purchase.accountId, purchase.creditId, `stripe-refund:${purchase.paymentId}:`],
    );
    return { creditsAdded: Number(row.added), creditsRefunded: Number(row.refunded) };
  }
}
