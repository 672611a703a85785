/**
 * One statement: find the account, look for the idempotency key, add to the balance (any status
 * but closed, matching currency) and write the credit with the balance it produced.
 */
export const CREDIT_SQL = `
WITH acct AS (
  SELECT id, status, currency, balance_minor
    FROM accounts
   WHERE environment = $1 AND oauth_provider = $2 AND external_id = $3
), existing AS (
  SELECT c.id, c.amount_minor, c.currency, c.transaction_type
    FROM credits c JOIN acct ON c.account_id = acct.id
   WHERE $8::text IS NOT NULL AND c.idempotency_key = $8::text
), credited AS (
  UPDATE accounts a
     SET balance_minor = a.balance_minor + $4::bigint, updated_at = now()
    FROM acct
   WHERE a.id = acct.id
     AND NOT EXISTS (SELECT 1 FROM existing)
     AND a.status <> 'closed'
     AND a.currency = COALESCE($5::text, a.currency)
  RETURNING a.id, a.balance_minor, a.currency
), inserted AS (
  INSERT INTO credits (account_id, environment, amount_minor, currency, transaction_type, description,
                       external_transaction_id, idempotency_key, balance_after, api_key_id)
  SELECT c.id, $1, $4::bigint, c.currency, $6, $7, $9, $8::text, c.balance_minor, $10::uuid
    FROM credited c
  RETURNING id, account_id, amount_minor, currency, balance_after, transaction_type, description,
            external_transaction_id, created_at
)
SELECT (SELECT row_to_json(i) FROM inserted i) AS credit,
       (SELECT row_to_json(e) FROM existing e) AS existing,
       (SELECT row_to_json(a) FROM acct a) AS account`;

/** The ledger credit holding an idempotency key on an account. $1–$3 the account key, $4 the idempotency key. */
export const FIND_CREDIT_BY_IDEMPOTENCY_KEY_SQL = `
SELECT c.id, c.amount_minor::float8 AS amount_minor, c.currency, c.transaction_type, c.description
  FROM credits c JOIN accounts a ON a.id = c.account_id
 WHERE a.environment = $1 AND a.oauth_provider = $2 AND a.external_id = $3 AND c.idempotency_key = $4`;
