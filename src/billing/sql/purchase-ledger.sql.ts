/**
 * Marks the purchase credited and writes its credit in one statement. Concurrent deliveries of the
 * same event queue on the purchase row; once the first commits, `credited_at IS NULL` no longer
 * holds for the others, so they credit nothing. The credit id is chosen up front so the purchase
 * row is updated only once (foreign keys are checked at the end of the statement), and the credit's
 * idempotency key (`stripe:<payment id>`, unique per account) is a second line of defence.
 */
export const CREDIT_PURCHASE_ONCE_SQL = `
WITH p AS (
  UPDATE purchases
     SET status = 'succeeded', failure_reason = NULL, credited_at = now(), updated_at = now(),
         credit_id = CASE WHEN uses_purchased > 0 THEN gen_random_uuid() END
   WHERE payment_id = $1 AND environment = $2 AND credited_at IS NULL
  RETURNING id, account_id, environment, uses_purchased, payment_id, credit_id
), credited AS (
  UPDATE accounts a
     SET balance_minor = a.balance_minor + p.uses_purchased, updated_at = now()
    FROM p
   WHERE a.id = p.account_id AND p.uses_purchased > 0
  RETURNING a.id, a.balance_minor, a.currency
), inserted AS (
  INSERT INTO credits (id, account_id, environment, amount_minor, currency, transaction_type, description,
                       external_transaction_id, idempotency_key, balance_after)
  SELECT p.credit_id, c.id, p.environment, p.uses_purchased, c.currency, 'purchase',
         'Purchase of ' || p.uses_purchased || ' credits (Stripe ' || p.payment_id || ')',
         p.payment_id, 'stripe:' || p.payment_id, c.balance_minor
    FROM credited c CROSS JOIN p
  RETURNING id, amount_minor, balance_after
)
SELECT (SELECT row_to_json(i) FROM inserted i) AS credit`;

/** The purchase a refund settles, locked: $1 payment id, $2 environment. */
export const LOCK_PURCHASE_FOR_REFUND_SQL = `SELECT id, account_id, credited_at, uses_purchased, refunded_amount_minor, credits_clawed_back,
                credits_unrecovered
           FROM purchases WHERE payment_id = $1 AND environment = $2 FOR UPDATE`;

/** Takes refunded credits back as a negative `adjustment`: $1 account id, $2 amount, $3 description, $4 payment id, $5 idempotency key. */
export const CLAW_BACK_CREDITS_SQL = `WITH debited AS (
               UPDATE accounts SET balance_minor = balance_minor - $2, updated_at = now()
                WHERE id = $1 RETURNING id, environment, currency, balance_minor
             )
             INSERT INTO credits (account_id, environment, amount_minor, currency, transaction_type, description,
                                  external_transaction_id, idempotency_key, balance_after)
             SELECT id, environment, -$2::bigint, currency, 'adjustment', $3, $4, $5, balance_minor FROM debited`;

/** What a refund did to the purchase: $1 purchase id, $2 refunded amount, $3 credits clawed back, $4 credits not recovered. */
export const RECORD_PURCHASE_REFUND_SQL = `UPDATE purchases
            SET refunded_amount_minor = $2, credits_clawed_back = credits_clawed_back + $3,
                credits_unrecovered = credits_unrecovered + $4, updated_at = now()
          WHERE id = $1`;
