import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import { Clock, utcDay } from '../common/time/clock.js';
import { refundOwed, splitOwed } from './refund-clawback.js';
import { LOCK_AVAILABLE_BY_ID_SQL } from './sql/holds.sql.js';

export interface PurchaseCreditOutcome {
  /** The purchase credit written by this call; null when it was already credited (or is unknown). */
  credit: { id: string; amount_minor: number; balance_after: number } | null;
}

export type RefundOutcome =
  { kind: 'unknown' } | { kind: 'not_credited' } | { kind: 'applied'; clawedBack: number; unrecovered: number };

/**
 * Marks the purchase credited and writes its credit in one statement. Concurrent deliveries of the
 * same event queue on the purchase row; once the first commits, `credited_at IS NULL` no longer
 * holds for the others, so they credit nothing. The credit id is chosen up front so the purchase
 * row is updated only once (foreign keys are checked at the end of the statement), and the credit's
 * idempotency key (`stripe:<payment id>`, unique per account) is a second line of defence.
 */
const CREDIT_PURCHASE_ONCE_SQL = `
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

/**
 * The ledger side of Stripe purchases: the credit a paid purchase adds, and the credits a refund
 * takes back. Each also settles the purchase row in the same statement or transaction, so the
 * purchase and the ledger never disagree.
 */
@Injectable()
export class PurchaseLedgerRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: Clock,
  ) {}

  /** Credits a paid purchase exactly once, however often (and concurrently) Stripe reports it. */
  async creditPurchaseOnce(paymentId: string, environment: KeyEnvironment): Promise<PurchaseCreditOutcome> {
    const rows: Array<{ credit: PurchaseCreditOutcome['credit'] }> = await this.db.query(CREDIT_PURCHASE_ONCE_SQL, [
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

  /**
   * Brings the credits removed for refunds in line with Stripe's cumulative `amount_refunded`:
   * the refunded share of the purchased credits ({@link refundOwed}), taken from the balance as a
   * negative `adjustment` (never below what active holds reserve); what it cannot cover is recorded as
   * unrecovered. Redeliveries and stale events find nothing left to take. The purchase row lock
   * serialises concurrent refunds.
   */
  async clawBackRefund(
    paymentId: string,
    environment: KeyEnvironment,
    amountRefunded: number,
    chargeAmount: number,
  ): Promise<RefundOutcome> {
    return this.db.transaction(async (m) => {
      const rows: Array<{
        id: string;
        account_id: string;
        credited_at: Date | null;
        uses_purchased: string;
        refunded_amount_minor: string;
        credits_clawed_back: string;
        credits_unrecovered: string;
      }> = await m.query(
        `SELECT id, account_id, credited_at, uses_purchased, refunded_amount_minor, credits_clawed_back,
                credits_unrecovered
           FROM purchases WHERE payment_id = $1 AND environment = $2 FOR UPDATE`,
        [paymentId, environment],
      );
      const purchase = rows[0];
      if (!purchase) return { kind: 'unknown' } as const;
      if (!purchase.credited_at) return { kind: 'not_credited' } as const;

      const usesPurchased = Number(purchase.uses_purchased);
      const { refundedAmountMinor, owed, accountedAfter } = refundOwed(
        {
          usesPurchased,
          refundedAmountMinor: Number(purchase.refunded_amount_minor),
          creditsClawedBack: Number(purchase.credits_clawed_back),
          creditsUnrecovered: Number(purchase.credits_unrecovered),
        },
        amountRefunded,
        chargeAmount,
      );

      let split = { clawedBack: 0, unrecovered: 0 };
      if (owed > 0) {
        // Only what active holds do not reserve can be taken back (holds past expiry are recorded first).
        const now = this.clock.now();
        const [account]: Array<{ available_minor: string }> = await m.query(LOCK_AVAILABLE_BY_ID_SQL, [
          purchase.account_id,
          utcDay(now),
          now.toISOString(),
        ]);
        split = splitOwed(owed, Number(account.available_minor));
        const take = split.clawedBack;
        if (take > 0) {
          const unrecoveredNote = split.unrecovered > 0 ? `; ${split.unrecovered} already spent, not recovered` : '';
          await m.query(
            `WITH debited AS (
               UPDATE accounts SET balance_minor = balance_minor - $2, updated_at = now()
                WHERE id = $1 RETURNING id, environment, currency, balance_minor
             )
             INSERT INTO credits (account_id, environment, amount_minor, currency, transaction_type, description,
                                  external_transaction_id, idempotency_key, balance_after)
             SELECT id, environment, -$2::bigint, currency, 'adjustment', $3, $4, $5, balance_minor FROM debited`,
            [
              purchase.account_id,
              take,
              `Refund of Stripe payment ${paymentId}: ${take} of ${usesPurchased} purchased credits removed${unrecoveredNote}`,
              paymentId,
              `stripe-refund:${paymentId}:${accountedAfter}`,
            ],
          );
        }
      }
      await m.query(
        `UPDATE purchases
            SET refunded_amount_minor = $2, credits_clawed_back = credits_clawed_back + $3,
                credits_unrecovered = credits_unrecovered + $4, updated_at = now()
          WHERE id = $1`,
        [purchase.id, refundedAmountMinor, split.clawedBack, split.unrecovered],
      );
      return { kind: 'applied', ...split } as const;
    });
  }
}
