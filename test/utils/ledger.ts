import type { DataSource } from 'typeorm';

/** Accounts whose balance differs from the sum of their ledger entries (should always be none). */
export async function ledgerMismatches(db: DataSource): Promise<unknown[]> {
  return db.query(`
    SELECT a.id, a.balance_minor,
           COALESCE((SELECT sum(amount_minor) FROM credits c WHERE c.account_id = a.id), 0)
         - COALESCE((SELECT sum(balance_debit_minor) FROM charges ch WHERE ch.account_id = a.id), 0) AS ledger
      FROM accounts a
     WHERE a.balance_minor <> COALESCE((SELECT sum(amount_minor) FROM credits c WHERE c.account_id = a.id), 0)
                            - COALESCE((SELECT sum(balance_debit_minor) FROM charges ch WHERE ch.account_id = a.id), 0)
        OR a.balance_minor < 0`);
}
