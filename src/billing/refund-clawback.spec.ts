import { refundOwed, splitOwed, type RefundedPurchase } from './refund-clawback.js';

const fresh = (usesPurchased: number): RefundedPurchase => ({
  usesPurchased,
  refundedAmountMinor: 0,
  creditsClawedBack: 0,
  creditsUnrecovered: 0,
});

describe('refundOwed', () => {
  it('takes back every purchased credit on a full refund', () => {
    expect(refundOwed(fresh(20), 500, 500)).toEqual({ refundedAmountMinor: 500, owed: 20, accountedAfter: 20 });
  });

  it('takes back the pro-rata share of a partial refund, rounded down', () => {
    // 20 uses for 500: a refund of 130 is 5.2 uses' worth.
    expect(refundOwed(fresh(20), 130, 500)).toEqual({ refundedAmountMinor: 130, owed: 5, accountedAfter: 5 });
    expect(refundOwed(fresh(3), 1, 2)).toEqual({ refundedAmountMinor: 1, owed: 1, accountedAfter: 1 });
  });

  it('owes only the difference when a larger cumulative refund follows an earlier one', () => {
    const after = { ...fresh(20), refundedAmountMinor: 130, creditsClawedBack: 3, creditsUnrecovered: 2 };
    expect(refundOwed(after, 250, 500)).toEqual({ refundedAmountMinor: 250, owed: 5, accountedAfter: 10 });
    expect(refundOwed(after, 500, 500)).toEqual({ refundedAmountMinor: 500, owed: 15, accountedAfter: 20 });
  });

  it('owes nothing for a repeated or stale (smaller) report, and never lowers the recorded amount', () => {
    const after = { ...fresh(20), refundedAmountMinor: 250, creditsClawedBack: 10, creditsUnrecovered: 0 };
    expect(refundOwed(after, 250, 500)).toEqual({ refundedAmountMinor: 250, owed: 0, accountedAfter: 10 });
    expect(refundOwed(after, 130, 500)).toEqual({ refundedAmountMinor: 250, owed: 0, accountedAfter: 10 });
  });

  it('treats a refund over the charge, or a zero charge, as a full refund', () => {
    expect(refundOwed(fresh(20), 900, 500).owed).toBe(20);
    expect(refundOwed(fresh(20), 0, 0).owed).toBe(20);
  });

  it('owes nothing for a purchase of zero uses', () => {
    expect(refundOwed(fresh(0), 500, 500).owed).toBe(0);
  });

  it('stays exact where uses × refunded exceeds 2^53', () => {
    // Float division rounds this one up to 20207305390428.
    expect(refundOwed(fresh(21256755143075), 623255995825, 655624282344).owed).toBe(20207305390427);
  });
});

describe('splitOwed', () => {
  it('removes what the balance covers and records the rest as unrecovered', () => {
    expect(splitOwed(10, 25)).toEqual({ clawedBack: 10, unrecovered: 0 });
    expect(splitOwed(10, 4)).toEqual({ clawedBack: 4, unrecovered: 6 });
    expect(splitOwed(10, 0)).toEqual({ clawedBack: 0, unrecovered: 10 });
    expect(splitOwed(0, 7)).toEqual({ clawedBack: 0, unrecovered: 0 });
  });
});
