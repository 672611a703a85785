import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

export interface LedgerRow {
  id: string;
  type: 'charge' | 'credit';
  transaction_type: string;
  amount_minor: string;
  balance_change_minor: string;
  currency: string;
  description: string;
  balance_after: string;
  created_at: Date;
  metadata: Record<string, unknown> | null;
  funding_source: string | null;
  external_transaction_id: string | null;
  /** Charges: the hold a capture came from, what refunds gave back, and those refunds (oldest first). */
  hold_id: string | null;
  refunded_minor: string | null;
  refund_ids: string[] | null;
  /** Refund credits: the charge they give back. */
  charge_id: string | null;
}

/**
 * An account's ledger, newest first: charges with their negative amount and credits with theirs.
 * `balance_change_minor` is what each entry did to the balance (0 for a charge a free use paid);
 * those sum to the balance. Refunds and the charges they give back name each other.
 */
@Injectable()
export class LedgerRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async page(accountId: string, limit: number, offset: number): Promise<{ rows: LedgerRow[]; total: number }> {
    const [rows, count] = await Promise.all([
      this.db.query(
        `SELECT page.*,
                CASE WHEN page.type = 'charge'
                     THEN ARRAY(SELECT r.id FROM credits r WHERE r.charge_id = page.id ORDER BY r.created_at, r.id) END
                  AS refund_ids
           FROM (SELECT * FROM (
           SELECT id, 'charge' AS type, 'charge' AS transaction_type, -amount_minor AS amount_minor,
                  -balance_debit_minor AS balance_change_minor, currency,
                  description, balance_after, created_at, metadata, funding_source, NULL::varchar AS external_transaction_id,
                  hold_id, refunded_minor, NULL::uuid AS charge_id
             FROM charges WHERE account_id = $1
           UNION ALL
           SELECT id, 'credit', transaction_type, amount_minor, amount_minor, currency, description, balance_after, created_at,
                  NULL::jsonb, NULL::varchar, external_transaction_id, NULL::uuid, NULL::bigint, charge_id
             FROM credits WHERE account_id = $1
         ) ledger
         ORDER BY created_at DESC, id DESC
         LIMIT $2 OFFSET $3) page
          ORDER BY page.created_at DESC, page.id DESC`,
        [accountId, limit, offset],
      ) as Promise<LedgerRow[]>,
      this.db.query(
        `SELECT (SELECT count(*) FROM charges WHERE account_id = $1) + (SELECT count(*) FROM credits WHERE account_id = $1) AS total`,
        [accountId],
      ) as Promise<Array<{ total: string }>>,
    ]);
    return { rows, total: Number(count[0].total) };
  }
}
