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

export interface CreditOnceOutcome {
  /** The purchase credit written by this call; null when it was already credited (or is unknown). */
  credit: { id: string; amount_minor: number; balance_after: number } | null;
}

export type RefundOutcome =
  { kind: 'unknown' } | { kind: 'not_credited' } | { kind: 'applied'; clawedBack: number; unrecovered: number };

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

/**
 * Marks the purchase credited and writes its credit in one statement. Concurrent deliveries of the
 * same event queue on the purchase row; once the first commits, `credited_at IS NULL` no longer
 * holds for the others, so they credit nothing. The credit id is chosen up front so the purchase
 * row is updated only once (foreign keys are checked at the end of the statement), and the credit's
 * idempotency key (`stripe:<payment id>`, unique per account) is a second line of defence.
 */
const CREDIT_ONCE_SQL = `
WITH p AS (
  UPDATE purchases
     SET status = 'succeeded', failure_reason = NULL, credited_at = now(), updated_at = now(),
         credit_id = CASE WHEN uses_purchased > 0 THEN gen_random_uuid() END
   WHERE payment_id = $1 AND environment = $2 AND credited_at IS NULL
  RETURNING id, account_id, environment, uses_purchased, payment_id, credit_id
), credited AS (
  UPDATE accounts a
     SET balance_minor = a.balance_minor + p.uses_purchased, updated_at = now()
    FROM p
   WHERE a.id = p.account_id AND p.uses_purchased > 0
  RETURNING a.id, a.balance_minor, a.currency
), inserted AS (
  INSERT INTO credits (id, account_id, environment, amount_minor, currency, transaction_type, description,
                       external_transaction_id, idempotency_key, balance_after)
  SELECT p.credit_id, c.id, p.environment, p.uses_purchased, c.currency, 'purchase',
         'Purchase of ' || p.uses_purchased || ' credits (Stripe ' || p.payment_id || ')',
         p.payment_id, 'stripe:' || p.payment_id, c.balance_minor
    FROM credited c CROSS JOIN p
  RETURNING id, amount_minor, balance_after
)
SELECT (SELECT row_to_json(i) FROM inserted i) AS credit`;

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

  async creditOnce(paymentId: string, environment: KeyEnvironment): Promise<CreditOnceOutcome> {
    const rows: Array<{ credit: CreditOnceOutcome['credit'] }> = await this.db.query(CREDIT_ONCE_SQL, [
      paymentId,
      environment,
    ]);
    const credit = rows[0]?.credit ?? null;
    return {
      credit: credit
        ? { id: credit.id, amount_minor: Number(credit.amount_minor), balance_after: Number(credit.balance_after) }
        : null,
    };
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

  /**
   * Brings the credits removed for refunds in line with Stripe's cumulative `amount_refunded`:
   * the refunded share of the purchased credits, taken from the balance as a negative `adjustment`
   * (never below zero); what the balance cannot cover is recorded as unrecovered. Redeliveries and
   * stale events find nothing left to take. The purchase row lock serialises concurrent refunds.
   */
  async applyRefund(
    paymentId: string,
    environment: KeyEnvironment,
    amountRefunded: number,
    chargeAmount: number,
  ): Promise<RefundOutcome> {
    return this.db.transaction(async (m) => {
      const rows: Record<string, unknown>[] = await m.query(
        `SELECT * FROM purchases WHERE payment_id = $1 AND environment = $2 FOR UPDATE`,
        [paymentId, environment],
      );
      if (!rows[0]) return { kind: 'unknown' } as const;
      const purchase = purchaseFromRow(rows[0]);
      if (!purchase.creditedAt) return { kind: 'not_credited' } as const;

      const refunded = Math.max(purchase.refundedAmountMinor, amountRefunded);
      const uses = BigInt(purchase.usesPurchased);
      const target =
        chargeAmount <= 0 || refunded >= chargeAmount
          ? purchase.usesPurchased
          : Number((uses * BigInt(refunded)) / BigInt(chargeAmount));
      const accounted = purchase.creditsClawedBack + purchase.creditsUnrecovered;
      const owed = Math.max(0, target - accounted);

      let take = 0;
      if (owed > 0) {
        const [account]: Array<{ balance_minor: string }> = await m.query(
          `SELECT balance_minor FROM accounts WHERE id = $1 FOR UPDATE`,
          [purchase.accountId],
        );
        take = Math.min(owed, Number(account.balance_minor));
        if (take > 0) {
          const unrecoveredNote = owed > take ? `; ${owed - take} already spent, not recovered` : '';
          await m.query(
            `WITH debited AS (
               UPDATE accounts SET balance_minor = balance_minor - $2, updated_at = now()
                WHERE id = $1 RETURNING id, environment, currency, balance_minor
             )
             INSERT INTO credits (account_id, environment, amount_minor, currency, transaction_type, description,
                                  external_transaction_id, idempotency_key, balance_after)
             SELECT id, environment, -$2::bigint, currency, 'adjustment', $3, $4, $5, balance_minor FROM debited`,
            [
              purchase.accountId,
              take,
              `Refund of Stripe payment ${paymentId}: ${take} of ${purchase.usesPurchased} purchased credits removed${unrecoveredNote}`,
              paymentId,
              `stripe-refund:${paymentId}:${accounted + owed}`,
            ],
          );
        }
      }
      await m.query(
        `UPDATE purchases
            SET refunded_amount_minor = $2, credits_clawed_back = credits_clawed_back + $3,
                credits_unrecovered = credits_unrecovered + $4, updated_at = now()
          WHERE id = $1`,
        [purchase.id, refunded, take, owed - take],
      );
      return { kind: 'applied', clawedBack: take, unrecovered: owed - take } as const;
    });
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
