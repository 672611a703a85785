import type { DataSource } from 'typeorm';

/**
 * Accounts whose held totals differ from their active holds, or whose holds reserve more than they
 * have (should always be none). `held_daily_free_uses` counts the active daily holds of the account's
 * `daily_free_uses_day`.
 */
export async function holdMismatches(db: DataSource): Promise<unknown[]> {
  return db.query(`
    SELECT a.id, a.balance_minor, a.held_minor, a.held_free_uses, a.held_daily_free_uses, h.minor, h.free, h.daily
      FROM accounts a
      CROSS JOIN LATERAL (
        SELECT COALESCE(sum(amount_minor) FILTER (WHERE funded_by = 'balance'), 0) AS minor,
               count(*) FILTER (WHERE funded_by = 'free_use') AS free,
               count(*) FILTER (WHERE funded_by = 'daily_free_use' AND funded_day = a.daily_free_uses_day) AS daily
          FROM holds WHERE account_id = a.id AND status = 'active'
      ) h
     WHERE a.held_minor <> h.minor OR a.held_free_uses <> h.free OR a.held_daily_free_uses <> h.daily
        OR a.held_minor > a.balance_minor OR a.held_free_uses > a.free_uses_remaining`);
}

/** Charges whose refunds add up to more than the charge took, or differ from what the charge records. */
export async function refundMismatches(db: DataSource): Promise<unknown[]> {
  return db.query(`
    SELECT c.id, c.balance_debit_minor, c.refunded_minor, r.total, r.free_uses
      FROM charges c
      CROSS JOIN LATERAL (
        SELECT COALESCE(sum(amount_minor), 0) AS total, COALESCE(sum(free_uses_returned), 0) AS free_uses
          FROM credits WHERE charge_id = c.id
      ) r
     WHERE r.total <> c.refunded_minor OR c.refunded_minor > c.balance_debit_minor
        OR r.free_uses <> CASE WHEN c.free_use_returned THEN 1 ELSE 0 END`);
}

/** What holds leave of an account at this instant, in one snapshot: balance minus active, unexpired holds. */
export async function availableBalance(db: DataSource, accountId: string): Promise<number> {
  const [row]: Array<{ available: string }> = await db.query(
    `SELECT a.balance_minor - COALESCE((SELECT sum(amount_minor) FROM holds h
                                          WHERE h.account_id = a.id AND h.status = 'active' AND h.funded_by = 'balance'), 0)
              AS available
       FROM accounts a WHERE a.id = $1`,
    [accountId],
  );
  return Number(row.available);
}

/** A small seeded PRNG (mulberry32), so a randomised test replays exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
