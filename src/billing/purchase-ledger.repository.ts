import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import { Clock, utcDay } from '../common/time/clock.js';
import { refundOwed, splitOwed } from './refund-clawback.js';
import { LOCK_AVAILABLE_BY_ID_SQL } from './sql/holds.sql.js';
import {
  CLAW_BACK_CREDITS_SQL,
  CREDIT_PURCHASE_ONCE_SQL,
  LOCK_PURCHASE_FOR_REFUND_SQL,
  RECORD_PURCHASE_REFUND_SQL,
} from './sql/purchase-ledger.sql.js';

export interface PurchaseCreditOutcome {
  /** The purchase credit written by this call; null when it was already credited (or is unknown). */
  credit: { id: string; amount_minor: number; balance_after: number } | null;
}

export type RefundOutcome =
  { kind: 'unknown' } | { kind: 'not_credited' } | { kind: 'applied'; clawedBack: number; unrecovered: number };

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
      }> = await m.query(LOCK_PURCHASE_FOR_REFUND_SQL, [paymentId, environment]);
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
          await m.query(CLAW_BACK_CREDITS_SQL, [
            purchase.account_id,
            take,
            `Refund of Stripe payment ${paymentId}: ${take} of ${usesPurchased} purchased credits removed${unrecoveredNote}`,
            paymentId,
            `stripe-refund:${paymentId}:${accountedAfter}`,
          ]);
        }
      }
      await m.query(RECORD_PURCHASE_REFUND_SQL, [
        purchase.id,
        refundedAmountMinor,
        split.clawedBack,
        split.unrecovered,
      ]);
      return { kind: 'applied', ...split } as const;
    });
  }
}
