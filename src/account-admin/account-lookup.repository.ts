import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { accountFromRow } from '../billing/account-row.js';
import type { Account } from '../billing/account.entity.js';
import type { HeldNow } from '../billing/accounts.repository.js';
import { FIND_ACCOUNT_WITH_HOLDS_BY_ID_SQL } from '../billing/sql/accounts.sql.js';
import { ACTIVE_HOLDS_OF_ACCOUNT_SQL } from '../billing/sql/holds.sql.js';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import type { CursorPosition } from '../common/pagination/cursor.js';
import {
  accountSearchQuery,
  ACCOUNT_CREDIT_CHECKS_PAGE_SQL,
  ACCOUNT_DAILY_USES_SQL,
  ACCOUNT_LEDGER_PAGE_SQL,
  ACCOUNT_RECENT_PURCHASES_SQL,
  FIND_ACCOUNT_BY_ID_SQL,
} from './sql/account-lookup.sql.js';

export interface AccountSearch {
  environment: KeyEnvironment;
  /** External id or email prefix (case-insensitive), or an exact account id. */
  q?: string;
  status?: string;
  provider?: string;
  after: CursorPosition | null;
  limit: number;
}

export interface AdminLedgerRow {
  id: string;
  type: 'charge' | 'credit';
  transaction_type: string;
  amount_minor: string;
  balance_change_minor: string;
  currency: string;
  description: string;
  balance_after: string;
  idempotency_key: string | null;
  funding_source: string | null;
  api_key_id: string | null;
  created_at: Date;
  position: string;
}

export interface CreditCheckRow {
  id: string;
  has_credit: boolean;
  reason: string | null;
  context: Record<string, unknown>;
  api_key_id: string | null;
  created_at: Date;
  position: string;
}

export interface PurchaseRow {
  id: string;
  payment_id: string;
  amount_minor: string;
  currency: string;
  uses_purchased: string;
  status: string;
  created_at: Date;
}

/** An active, unexpired hold as the console lists it. */
export interface ActiveHoldRow {
  id: string;
  amount_minor: string;
  currency: string;
  funded_by: string;
  description: string;
  metadata: Record<string, unknown>;
  created_at: Date;
  expires_at: Date;
  /** How many active holds the account has (all of them, not only those returned). */
  total: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `%` and `_` typed by an operator are literal characters, not wildcards. */
const likePrefix = (text: string): string => `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The reads behind the console's account pages: search, one account, its ledger, its credit
 * checks and purchases — keyset-paged (created_at DESC, id DESC), never OFFSET.
 */
@Injectable()
export class AccountLookupRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async search(query: AccountSearch): Promise<Array<Account & { position: string }>> {
    const q = !query.q
      ? undefined
      : UUID.test(query.q)
        ? { id: query.q }
        : { prefix: likePrefix(query.q.toLowerCase()) };
    const { text, params } = accountSearchQuery({ ...query, q });
    const rows: Record<string, unknown>[] = await this.db.query(text, params);
    return rows.map((r) => ({ ...accountFromRow(r), position: r.position as string }));
  }

  async findById(id: string): Promise<Account | null> {
    const rows: Record<string, unknown>[] = await this.db.query(FIND_ACCOUNT_BY_ID_SQL, [id]);
    return rows[0] ? accountFromRow(rows[0]) : null;
  }

  /**
   * The account and what its active holds reserve, expiry by the clock at `now` (the credit
   * check's rule), in one snapshot.
   */
  async findWithHoldsById(id: string, today: string, now: Date): Promise<{ account: Account; held: HeldNow } | null> {
    const rows: Record<string, unknown>[] = await this.db.query(FIND_ACCOUNT_WITH_HOLDS_BY_ID_SQL, [
      id,
      today,
      now.toISOString(),
    ]);
    const row = rows[0];
    if (!row) return null;
    return {
      account: accountFromRow(row),
      held: { minor: Number(row.hold_minor), freeUses: Number(row.hold_free), dailyFreeUses: Number(row.hold_daily) },
    };
  }

  /** The account's active, unexpired holds at `now`, newest first. */
  activeHolds(accountId: string, limit: number, now: Date): Promise<ActiveHoldRow[]> {
    return this.db.query(ACTIVE_HOLDS_OF_ACCOUNT_SQL, [accountId, limit, now.toISOString()]);
  }

  ledger(
    accountId: string,
    filter: { type?: 'charge' | 'credit'; transactionType?: string; after: CursorPosition | null; limit: number },
  ): Promise<AdminLedgerRow[]> {
    return this.db.query(ACCOUNT_LEDGER_PAGE_SQL, [
      accountId,
      filter.type ?? null,
      filter.transactionType ?? null,
      filter.after?.createdAt ?? null,
      filter.after?.id ?? null,
      filter.limit + 1,
    ]);
  }

  creditChecks(accountId: string, after: CursorPosition | null, limit: number): Promise<CreditCheckRow[]> {
    return this.db.query(ACCOUNT_CREDIT_CHECKS_PAGE_SQL, [
      accountId,
      after?.createdAt ?? null,
      after?.id ?? null,
      limit + 1,
    ]);
  }

  recentPurchases(accountId: string, limit: number): Promise<PurchaseRow[]> {
    return this.db.query(ACCOUNT_RECENT_PURCHASES_SQL, [accountId, limit]);
  }

  /** Uses per UTC day from `startDay` on (days without uses are absent). */
  dailyUses(
    accountId: string,
    startDay: string,
  ): Promise<Array<{ day: string; uses: string; paid_uses: string; free_uses: string }>> {
    return this.db.query(ACCOUNT_DAILY_USES_SQL, [accountId, startDay]);
  }
}
