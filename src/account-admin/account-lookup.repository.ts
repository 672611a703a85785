import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { accountFromRow } from '../billing/account-row.js';
import type { Account } from '../billing/account.entity.js';
import type { HeldNow } from '../billing/accounts.repository.js';
import { FIND_ACCOUNT_WITH_HOLDS_BY_ID_SQL } from '../billing/sql/accounts.sql.js';
import { ACTIVE_HOLDS_OF_ACCOUNT_SQL } from '../billing/sql/holds.sql.js';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import { CURSOR_TIME_SQL, type CursorPosition } from '../common/pagination/cursor.js';

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
    const params: unknown[] = [query.environment];
    const where = ['a.environment = $1'];
    if (query.q) {
      if (UUID.test(query.q)) {
        params.push(query.q);
        where.push(`a.id = $${params.length}::uuid`);
      } else {
        params.push(likePrefix(query.q.toLowerCase()));
        where.push(`(lower(a.external_id) LIKE $${params.length} OR lower(a.customer_email) LIKE $${params.length})`);
      }
    }
    if (query.status) {
      params.push(query.status);
      where.push(`a.status = $${params.length}`);
    }
    if (query.provider) {
      params.push(query.provider);
      where.push(`a.oauth_provider = $${params.length}`);
    }
    if (query.after) {
      params.push(query.after.createdAt, query.after.id);
      where.push(`(a.created_at, a.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(query.limit + 1);
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT a.*, ${CURSOR_TIME_SQL('a.created_at')} AS position FROM accounts a
        WHERE ${where.join(' AND ')}
        ORDER BY a.created_at DESC, a.id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => ({ ...accountFromRow(r), position: r.position as string }));
  }

  async findById(id: string): Promise<Account | null> {
    const rows: Record<string, unknown>[] = await this.db.query(`SELECT * FROM accounts WHERE id = $1`, [id]);
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
    return this.db.query(
      `SELECT *, ${CURSOR_TIME_SQL('created_at')} AS position FROM (
         SELECT id, 'charge' AS type, 'charge' AS transaction_type, -amount_minor AS amount_minor,
                -balance_debit_minor AS balance_change_minor, currency, description, balance_after, idempotency_key,
                funding_source, api_key_id, created_at
           FROM charges WHERE account_id = $1 AND ($2::text IS NULL OR $2 = 'charge')
         UNION ALL
         SELECT id, 'credit', transaction_type, amount_minor, amount_minor, currency, description, balance_after,
                idempotency_key, NULL::varchar, api_key_id, created_at
           FROM credits WHERE account_id = $1 AND ($2::text IS NULL OR $2 = 'credit')
       ) ledger
       WHERE ($3::text IS NULL OR transaction_type = $3)
         AND ($4::timestamptz IS NULL OR (created_at, id) < ($4::timestamptz, $5::uuid))
       ORDER BY created_at DESC, id DESC LIMIT $6`,
      [
        accountId,
        filter.type ?? null,
        filter.transactionType ?? null,
        filter.after?.createdAt ?? null,
        filter.after?.id ?? null,
        filter.limit + 1,
      ],
    );
  }

  creditChecks(accountId: string, after: CursorPosition | null, limit: number): Promise<CreditCheckRow[]> {
    return this.db.query(
      `SELECT id, has_credit, reason, context, api_key_id, created_at, ${CURSOR_TIME_SQL('created_at')} AS position
         FROM credit_checks
        WHERE account_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $4`,
      [accountId, after?.createdAt ?? null, after?.id ?? null, limit + 1],
    );
  }

  recentPurchases(accountId: string, limit: number): Promise<PurchaseRow[]> {
    return this.db.query(
      `SELECT id, payment_id, amount_minor, currency, uses_purchased, status, created_at
         FROM purchases WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
      [accountId, limit],
    );
  }

  /** Uses per UTC day from `startDay` on (days without uses are absent). */
  dailyUses(
    accountId: string,
    startDay: string,
  ): Promise<Array<{ day: string; uses: string; paid_uses: string; free_uses: string }>> {
    return this.db.query(
      `SELECT to_char((created_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day, count(*) AS uses,
              count(*) FILTER (WHERE funding_source = 'balance') AS paid_uses,
              count(*) FILTER (WHERE funding_source <> 'balance') AS free_uses
         FROM charges WHERE account_id = $1 AND created_at >= ($2::date)::timestamp AT TIME ZONE 'UTC'
        GROUP BY 1 ORDER BY 1`,
      [accountId, startDay],
    );
  }
}
