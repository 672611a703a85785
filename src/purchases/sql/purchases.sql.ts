/** $1 payment id. */
export const FIND_PURCHASE_BY_PAYMENT_ID_SQL = `SELECT * FROM purchases WHERE payment_id = $1`;

/**
 * A pending purchase, unless one exists for the payment; only for an account of the purchase's
 * environment. $1 payment id, $2 account id, $3 environment, $4 amount, $5 currency, $6 uses,
 * $7 customer email, $8 return URL, $9 API key id.
 */
export const INSERT_PURCHASE_IF_ABSENT_SQL = `
INSERT INTO purchases (payment_id, account_id, environment, amount_minor, currency, uses_purchased,
                       customer_email, return_url, api_key_id)
SELECT $1, a.id, a.environment, $4, $5, $6, $7, $8, $9
  FROM accounts a WHERE a.id = $2 AND a.environment = $3
ON CONFLICT (payment_id) DO NOTHING`;

/** Failed or canceled unless already credited. $1 payment id, $2 environment, $3 status, $4 reason. */
export const MARK_PURCHASE_UNPAID_SQL = `
UPDATE purchases SET status = $3, failure_reason = $4, updated_at = now()
 WHERE payment_id = $1 AND environment = $2 AND credited_at IS NULL`;

/**
 * The credit a payment added and the credits its refunds removed (refund entries carry
 * `stripe-refund:<payment id>:…` keys). $1 account id, $2 the purchase's credit id, $3 that key prefix.
 */
export const PURCHASE_LEDGER_TOTALS_SQL = `
SELECT COALESCE(SUM(amount_minor) FILTER (WHERE id = $2::uuid), 0) AS added,
       COALESCE(-SUM(amount_minor) FILTER (WHERE starts_with(idempotency_key, $3)), 0) AS refunded
  FROM credits
 WHERE account_id = $1 AND (id = $2::uuid OR starts_with(idempotency_key, $3))`;
