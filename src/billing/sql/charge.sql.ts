import { expireDueHolds, lockedAccountColumns } from './holds.sql.js';

/**
 * One statement: find the account, look for the idempotency key, lock the account row, expire its
 * due holds, pick the funding from what holds leave free (daily free use, else one-time free use,
 * else balance not held), debit, and write the charge. The row lock serialises charges and holds on
 * one account; the held totals on the row and the CHECK constraints keep the balance, and what holds
 * reserve of it, intact; the unique index on (account_id, idempotency_key) turns a concurrent
 * duplicate into a unique violation that rolls the whole statement back.
 *
 * Parameters: $1 environment, $2 oauth_provider, $3 external_id, $4 amount, $5 currency (null: the
 * account's), $6 idempotency key, $7 description, $8 metadata (jsonb), $9 today (UTC), $10 api key id,
 * $11 now (holds past their expiry stop reserving).
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
  SELECT ${lockedAccountColumns('$9')}
    FROM accounts a JOIN acct ON a.id = acct.id
   WHERE NOT EXISTS (SELECT 1 FROM existing)
     AND a.status = 'active'
     AND a.currency = COALESCE($5::text, a.currency)
     FOR UPDATE OF a
), ${expireDueHolds('$9', '$11')}, funded AS (
  SELECT v.*,
         CASE WHEN v.daily_left - v.held_daily_now > 0 THEN 'daily_free'
              WHEN v.free_left - v.held_free_now > 0 THEN 'free'
              WHEN v.balance_minor - v.held_now >= $4::bigint THEN 'balance' END AS source
    FROM avail v
), debit AS (
  UPDATE accounts a
     SET daily_free_uses_remaining = CASE WHEN f.source = 'daily_free' THEN f.daily_left - 1 ELSE f.daily_left END,
         daily_free_uses_day = $9::date,
         free_uses_remaining = CASE WHEN f.source = 'free' THEN f.free_left - 1 ELSE f.free_left END,
         balance_minor = CASE WHEN f.source = 'balance' THEN f.balance_minor - $4::bigint ELSE f.balance_minor END,
         held_minor = f.held_now,
         held_free_uses = f.held_free_now,
         held_daily_free_uses = f.held_daily_now,
         total_uses = a.total_uses + CASE WHEN f.source IS NULL THEN 0 ELSE 1 END,
         updated_at = now()
    FROM funded f
   WHERE a.id = f.id AND (f.source IS NOT NULL OR f.expired_n > 0)
  RETURNING a.id, a.balance_minor, a.currency, f.source
), inserted AS (
  INSERT INTO charges (account_id, environment, amount_minor, balance_debit_minor, funding_source, currency,
                       description, idempotency_key, metadata, balance_after, api_key_id)
  SELECT d.id, $1, $4::bigint, CASE WHEN d.source = 'balance' THEN $4::bigint ELSE 0 END, d.source, d.currency,
         $7, $6::text, $8::jsonb, d.balance_minor, $10::uuid
    FROM debit d
   WHERE d.source IS NOT NULL
  RETURNING id, account_id, amount_minor, currency, balance_after, funding_source, created_at, description, metadata
)
SELECT (SELECT row_to_json(i) FROM inserted i) AS charge,
       (SELECT row_to_json(e) FROM existing e) AS existing,
       (SELECT row_to_json(a) FROM acct a) AS account`;

/** The charge holding an idempotency key on the account: $1 environment, $2 oauth_provider, $3 external_id, $4 key. */
export const FIND_CHARGE_BY_IDEMPOTENCY_KEY_SQL = `SELECT c.id, c.amount_minor::float8 AS amount_minor, c.currency, c.description
         FROM charges c JOIN accounts a ON a.id = c.account_id
        WHERE a.environment = $1 AND a.oauth_provider = $2 AND a.external_id = $3 AND c.idempotency_key = $4`;
