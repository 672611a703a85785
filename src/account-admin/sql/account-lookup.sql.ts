import { CURSOR_TIME_SQL } from '../../common/pagination/sql/cursor.sql.js';

/** $1 account id. */
export const FIND_ACCOUNT_BY_ID_SQL = `SELECT * FROM accounts WHERE id = $1`;

/** A keyset page of an account's ledger: $1 account id, $2 type (null: both), $3 transaction type, $4/$5 cursor (created_at, id), $6 limit. */
export const ACCOUNT_LEDGER_PAGE_SQL = `SELECT *, ${CURSOR_TIME_SQL('created_at')} AS position FROM (
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
       ORDER BY created_at DESC, id DESC LIMIT $6`;

/** A keyset page of an account's credit checks: $1 account id, $2/$3 cursor (created_at, id), $4 limit. */
export const ACCOUNT_CREDIT_CHECKS_PAGE_SQL = `SELECT id, has_credit, reason, context, api_key_id, created_at, ${CURSOR_TIME_SQL('created_at')} AS position
         FROM credit_checks
        WHERE account_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $4`;

/** $1 account id, $2 limit. */
export const ACCOUNT_RECENT_PURCHASES_SQL = `SELECT id, payment_id, amount_minor, currency, uses_purchased, status, created_at
         FROM purchases WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`;

/** Uses per UTC day: $1 account id, $2 first day. */
export const ACCOUNT_DAILY_USES_SQL = `SELECT to_char((created_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day, count(*) AS uses,
              count(*) FILTER (WHERE funding_source = 'balance') AS paid_uses,
              count(*) FILTER (WHERE funding_source <> 'balance') AS free_uses
         FROM charges WHERE account_id = $1 AND created_at >= ($2::date)::timestamp AT TIME ZONE 'UTC'
        GROUP BY 1 ORDER BY 1`;

/** The console's account search; `q` is an exact account id or an escaped, lower-case LIKE prefix. */
export interface AccountSearchFilter {
  environment: string;
  q?: { id: string } | { prefix: string };
  status?: string;
  provider?: string;
  after: { createdAt: string; id: string } | null;
  limit: number;
}

/** Newest first, keyset-paged, `limit + 1` rows; only the filters given become conditions. */
export function accountSearchQuery(query: AccountSearchFilter): { text: string; params: unknown[] } {
  const params: unknown[] = [query.environment];
  const where = ['a.environment = $1'];
  if (query.q) {
    if ('id' in query.q) {
      params.push(query.q.id);
      where.push(`a.id = $${params.length}::uuid`);
    } else {
      params.push(query.q.prefix);
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
  return {
    text: `SELECT a.*, ${CURSOR_TIME_SQL('a.created_at')} AS position FROM accounts a
        WHERE ${where.join(' AND ')}
        ORDER BY a.created_at DESC, a.id DESC LIMIT $${params.length}`,
    params,
  };
}
