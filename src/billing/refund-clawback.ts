/** What is known about a purchase when a (cumulative) refund is reported for it. */
export interface RefundedPurchase {
  /** Credits the purchase added. */
  usesPurchased: number;
  /** Stripe's `amount_refunded` as last recorded (minor units). */
  refundedAmountMinor: number;
  /** Credits already removed for earlier refunds. */
  creditsClawedBack: number;
  /** Credits earlier refunds owed that the balance could not cover. */
  creditsUnrecovered: number;
}

export interface RefundOwed {
  /** The cumulative refunded amount to record: never lower than one already recorded. */
  refundedAmountMinor: number;
  /** Credits this refund still owes (0 when earlier refunds accounted for them). */
  owed: number;
  /** Credits accounted for once this one is settled (clawed back or unrecovered): names its ledger entry. */
  accountedAfter: number;
}

/**
 * The pro-rata share of purchased credits a refund takes back. Refunds are cumulative: a partial
 * refund owes `uses × refunded ÷ charged` credits (rounded down), a full one all of them, minus
 * what earlier refunds already accounted for; a stale or repeated report owes nothing. Exact for
 * any safe-integer inputs (the product is computed in BigInt).
 */
export function refundOwed(purchase: RefundedPurchase, amountRefunded: number, chargeAmount: number): RefundOwed {
  const refunded = Math.max(purchase.refundedAmountMinor, amountRefunded);
  const target =
    chargeAmount <= 0 || refunded >= chargeAmount
      ? purchase.usesPurchased
      : Number((BigInt(purchase.usesPurchased) * BigInt(refunded)) / BigInt(chargeAmount));
  const accounted = purchase.creditsClawedBack + purchase.creditsUnrecovered;
  const owed = Math.max(0, target - accounted);
  return { refundedAmountMinor: refunded, owed, accountedAfter: accounted + owed };
}

/** Of what a refund owes, the balance covers what it holds (removed now); the rest was already spent. */
export function splitOwed(owed: number, balanceMinor: number): { clawedBack: number; unrecovered: number } {
  const clawedBack = Math.max(0, Math.min(owed, balanceMinor));
  return { clawedBack, unrecovered: owed - clawedBack };
}
