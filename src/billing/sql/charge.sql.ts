/**
 * One statement: find the account, look for the idempotency key, lock the account row, pick the
 * funding (daily free use, else one-time free use, else balance), debit, and write the charge.
 * The row lock serialises charges on one account; `balance_minor >= amount` and the CHECK
 * constraint keep the balance non-negative; the unique index on (account_id, idempotency_key)
 * turns a concurrent duplicate into a unique violation that rolls the whole statement back.
 *
 * Parameters: $1 environment, $2 oauth_provider, $3 external_id, $4 amount, $5 currency (null: the
 * account's), $6 idempotency key, $7 description, $8 metadata (jsonb), $9 today (UTC), $10 api key id.
 */
export const CHARGE_SQL = `
WITH acct AS (
  SELECT id, status, currency, balance_minor
    FROM accounts
   WHERE environment = $1 AND oauth_provider = $2 AND external_id = $3
), existing AS (
  SELECT c.id, c.amount_minor, c.currency, c.description
    FROM charges c JOIN acct ON c.account_id = acct.id
   WHERE $6::text IS NOT NULL AND c.idempotency_key = $6::text
), locked AS (
  SELECT a.id, a.balance_minor, a.currency, a.free_uses_remaining AS free_left,
         CASE WHEN a.daily_free_uses_day = $9::date THEN a.daily_free_uses_remaining
              ELSE a.daily_free_uses_limit END AS daily_left
    FROM accounts a JOIN acct ON a.id = acct.id
   WHERE NOT EXISTS (SELECT 1 FROM existing)
     AND a.status = 'active'
     AND a.currency = COALESCE($5::text, a.currency)
     FOR UPDATE OF a
), funded AS (
  SELECT l.*,
         CASE WHEN l.daily_left > 0 THEN 'daily_free'
              WHEN l.free_left > 0 THEN 'free'
              ELSE 'balance' END AS source
    FROM locked l
   WHERE l.daily_left > 0 OR l.free_left > 0 OR l.balance_minor >= $4::bigint
), debit AS (
  UPDATE accounts a
     SET daily_free_uses_remaining = CASE WHEN f.source = 'daily_free' THEN f.daily_left - 1 ELSE f.daily_left END,
         daily_free_uses_day = $9::date,
         free_uses_remaining = CASE WHEN f.source = 'free' THEN f.free_left - 1 ELSE f.free_left END,
         balance_minor = CASE WHEN f.source = 'balance' THEN f.balance_minor - $4::bigint ELSE f.balance_minor END,
         total_uses = a.total_uses + 1,
         updated_at = now()
    FROM funded f
   WHERE a.id = f.id
  RETURNING a.id, a.balance_minor, a.currency, f.source
), inserted AS (
  INSERT INTO charges (account_id, environment, amount_minor, balance_debit_minor, funding_source, currency,
                       description, idempotency_key, metadata, balance_after, api_key_id)
  SELECT d.id, $1, $4::bigint, CASE WHEN d.source = 'balance' THEN $4::bigint ELSE 0 END, d.source, d.currency,
         $7, $6::text, $8::jsonb, d.balance_minor, $10::uuid
    FROM debit d
  RETURNING id, account_id, amount_minor, currency, balance_after, funding_source, created_at, description, metadata
)
SELECT (SELECT row_to_json(i) FROM inserted i) AS charge,
       (SELECT row_to_json(e) FROM existing e) AS existing,
       (SELECT row_to_json(a) FROM acct a) AS account`;
