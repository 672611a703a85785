/** One page of an account's ledger, newest first: $1 account id, $2 limit, $3 offset. */
export const LEDGER_PAGE_SQL = `SELECT page.*,
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
          ORDER BY page.created_at DESC, page.id DESC`;

/** How many entries an account's ledger has: $1 account id. */
export const LEDGER_COUNT_SQL = `SELECT (SELECT count(*) FROM charges WHERE account_id = $1) + (SELECT count(*) FROM credits WHERE account_id = $1) AS total`;
