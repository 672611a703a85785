import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { LEDGER_COUNT_SQL, LEDGER_PAGE_SQL } from './sql/ledger.sql.js';

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
      this.db.query(LEDGER_PAGE_SQL, [accountId, limit, offset]) as Promise<LedgerRow[]>,
      this.db.query(LEDGER_COUNT_SQL, [accountId]) as Promise<Array<{ total: string }>>,
    ]);
    return { rows, total: Number(count[0].total) };
  }
}
