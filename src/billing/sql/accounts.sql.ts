import { activeHoldTotals } from './holds.sql.js';

/** The account with a key: $1 environment, $2 oauth_provider, $3 external_id. */
export const FIND_ACCOUNT_BY_KEY_SQL = `SELECT * FROM accounts WHERE environment = $1 AND oauth_provider = $2 AND external_id = $3`;

/**
 * An account (`where` selects the row `a`) and what its active, unexpired holds reserve by the
 * clock at request time (the credit check's rule): `hold_minor`, `hold_free`, `hold_daily` (of
 * today's daily free uses), from the same snapshot as the balance.
 */
const accountWithHolds = (where: string, today: string, now: string): string => `
SELECT a.*, COALESCE(h.minor, 0) AS hold_minor, h.free AS hold_free, h.daily AS hold_daily
  FROM accounts a
 CROSS JOIN ${activeHoldTotals('a', today, now)} h
 WHERE ${where}`;

/** {@link accountWithHolds} by identity: $1 environment, $2 oauth_provider, $3 external_id, $4 today (UTC), $5 now. */
export const FIND_ACCOUNT_WITH_HOLDS_BY_KEY_SQL = accountWithHolds(
  'a.environment = $1 AND a.oauth_provider = $2 AND a.external_id = $3',
  '$4',
  '$5',
);

/** {@link accountWithHolds} by id: $1 account id, $2 today (UTC), $3 now. */
export const FIND_ACCOUNT_WITH_HOLDS_BY_ID_SQL = accountWithHolds('a.id = $1', '$2', '$3');

/**
 * Inserts the account unless it exists, with an initial balance recorded as a `grant` credit in the
 * same statement. Returns the new row, or nothing when the account already existed.
 */
export const OPEN_ACCOUNT_SQL = `
WITH created AS (
  INSERT INTO accounts (environment, oauth_provider, external_id, wa_id, tenant_id, customer_email,
                        display_name, user_role, agent_id, currency, plan_name, balance_minor,
                        free_uses_remaining, daily_free_uses_limit, daily_free_uses_remaining, daily_free_uses_day)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, COALESCE($11, 'free'), $12, $13, $14, $14, $15::date)
  ON CONFLICT (environment, oauth_provider, external_id) DO NOTHING
  RETURNING *
), grant_credit AS (
  INSERT INTO credits (account_id, environment, amount_minor, currency, transaction_type, description,
                       balance_after, api_key_id)
  SELECT id, environment, balance_minor, currency, 'grant', 'Initial balance', balance_minor, $16
    FROM created WHERE balance_minor > 0
)
SELECT * FROM created`;
