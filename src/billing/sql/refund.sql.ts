/**
 * Refund of a charge, as one statement: find the charge (in the caller's environment), look for
 * the idempotency key among the account's credits, lock the account and the charge rows (newest
 * versions: what was already refunded includes every refund committed while this one waited),
 * give back balance the charge took (default: all that remains; never more in total than
 * `balance_debit_minor`) or, for a charge a free use paid, one one-time free use (once), record
 * it on the charge, and write the `refund` credit linked to the charge.
 *
 * Parameters: $1 charge id, $2 environment, $3 amount (null: what remains refundable), $4 reason,
 * $5 idempotency key, $6 api key id.
 *
 * Returns `credit` (null when nothing was refunded), `existing` (the credit already holding the
 * key) and `charge` (the charge as this statement's snapshot saw it, null when unknown).
 */
export const REFUND_CHARGE_SQL = `
WITH target AS (
  SELECT id, account_id, amount_minor, balance_debit_minor, refunded_minor, free_use_returned, funding_source, currency
    FROM charges
   WHERE id = $1 AND environment = $2
), existing AS (
  SELECT cr.id, cr.charge_id, cr.amount_minor, cr.free_uses_returned, cr.transaction_type
    FROM credits cr JOIN target t ON cr.account_id = t.account_id
   WHERE cr.idempotency_key = $5::text
), locked AS (
  SELECT c.id, c.account_id, c.amount_minor, c.balance_debit_minor, c.refunded_minor, c.free_use_returned,
         c.funding_source, a.status
    FROM charges c JOIN accounts a ON a.id = c.account_id
   WHERE c.id = (SELECT id FROM target)
     AND NOT EXISTS (SELECT 1 FROM existing)
     FOR UPDATE OF a, c
), decided AS (
  SELECT l.*,
         CASE WHEN l.funding_source = 'balance' THEN COALESCE($3::bigint, l.balance_debit_minor - l.refunded_minor)
              ELSE 0 END AS refund_minor,
         CASE WHEN l.funding_source <> 'balance' THEN 1 ELSE 0 END AS free_uses
    FROM locked l
   WHERE l.status <> 'closed'
     AND CASE WHEN l.funding_source = 'balance'
              THEN COALESCE($3::bigint, l.balance_debit_minor - l.refunded_minor) BETWEEN 1 AND l.balance_debit_minor - l.refunded_minor
              ELSE NOT l.free_use_returned AND COALESCE($3::bigint, 1) <= l.amount_minor END
), marked AS (
  UPDATE charges c
     SET refunded_minor = c.refunded_minor + d.refund_minor,
         free_use_returned = c.free_use_returned OR d.free_uses > 0
    FROM decided d
   WHERE c.id = d.id
  RETURNING c.id
), credited AS (
  UPDATE accounts a
     SET balance_minor = a.balance_minor + d.refund_minor,
         free_uses_remaining = a.free_uses_remaining + d.free_uses,
         updated_at = now()
    FROM decided d
   WHERE a.id = d.account_id AND EXISTS (SELECT 1 FROM marked)
  RETURNING a.id, a.environment, a.currency, a.balance_minor, d.id AS charge_id, d.refund_minor, d.free_uses
), inserted AS (
  INSERT INTO credits (account_id, environment, amount_minor, currency, transaction_type, description,
                       idempotency_key, balance_after, api_key_id, charge_id, free_uses_returned)
  SELECT c.id, c.environment, c.refund_minor, c.currency, 'refund', $4, $5::text, c.balance_minor, $6::uuid,
         c.charge_id, c.free_uses
    FROM credited c
  RETURNING id, account_id, amount_minor, currency, balance_after, transaction_type, description,
            external_transaction_id, created_at, charge_id, free_uses_returned
)
SELECT (SELECT row_to_json(i) FROM inserted i) AS credit,
       (SELECT row_to_json(e) FROM existing e) AS existing,
       (SELECT row_to_json(t) FROM target t) AS charge`;

/** A charge as a refund sees it: $1 charge id, $2 environment. */
export const REFUND_FIND_CHARGE_SQL = `SELECT c.id, c.amount_minor::float8 AS amount_minor, c.balance_debit_minor::float8 AS balance_debit_minor,
          c.refunded_minor::float8 AS refunded_minor, c.free_use_returned, c.funding_source, a.status AS account_status
     FROM charges c JOIN accounts a ON a.id = c.account_id
    WHERE c.id = $1 AND c.environment = $2`;

/** The credit holding a refund's idempotency key on the charge's account: $1 charge id, $2 environment, $3 key. */
export const REFUND_FIND_CREDIT_BY_KEY_SQL = `SELECT cr.id, cr.charge_id, cr.amount_minor::float8 AS amount_minor, cr.free_uses_returned, cr.transaction_type
     FROM credits cr JOIN charges c ON c.account_id = cr.account_id
    WHERE c.id = $1 AND c.environment = $2 AND cr.idempotency_key = $3`;
