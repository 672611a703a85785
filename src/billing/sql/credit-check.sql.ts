import { activeHoldTotals } from './holds.sql.js';

/** What the check reads; listed, not `*`, so a prepared plan survives columns added by a migration. */
const COLUMNS = `id, environment, status, plan_name, balance_minor, free_uses_remaining, daily_free_uses_limit,
  daily_free_uses_remaining, daily_free_uses_day, total_uses, held_minor, held_free_uses, held_daily_free_uses`;

/**
 * The credit check as one statement (SPEC §4), so the hot path is one round trip:
 * find the account, or create it with the configured free uses; refresh the attributes the
 * request brings when they differ; decide `has_credit` and `reason`; record the audit row.
 *
 * Parameters: $1 environment, $2 oauth_provider, $3 external_id, $4..$9 wa_id, tenant_id,
 * customer_email, display_name, user_role, agent_id (null = not sent), $10 currency for a new
 * account, $11 one-time free uses, $12 daily free uses, $13 today (UTC), $14 api key id,
 * $15 context (jsonb), $16 now (holds past their expiry reserve nothing).
 *
 * Returns what the response needs (`daily_left`: today's remaining daily free uses, before holds;
 * `hold_minor`, `hold_free`, `hold_daily`: what holds reserve) plus
 * `has_credit` and `reason` exactly as recorded, or no row when a
 * concurrent request created the account between this statement's snapshot and its insert (the
 * caller runs it again; the next snapshot sees the account).
 *
 * The decision (also the audit row's): inactive accounts have no credit ('Account suspended' /
 * 'Account closed'); active ones have credit when a daily free use (today's count, or the full
 * limit on a new day), a one-time free use, or any balance remains that active holds do not
 * reserve (`hold_*`: what the account's active, unexpired holds reserve, read from the same
 * snapshot as the account; looked up only when the account's held totals say it has holds).
 */
export const CREDIT_CHECK_SQL = `
WITH found AS (
  SELECT ${COLUMNS}, wa_id, tenant_id, customer_email, display_name, user_role, agent_id
    FROM accounts WHERE environment = $1 AND oauth_provider = $2 AND external_id = $3
), refreshed AS (
  UPDATE accounts a
     SET wa_id = COALESCE($4::varchar, a.wa_id),
         tenant_id = COALESCE($5::varchar, a.tenant_id),
         customer_email = COALESCE($6::varchar, a.customer_email),
         display_name = COALESCE($7::varchar, a.display_name),
         user_role = COALESCE($8::varchar, a.user_role),
         agent_id = COALESCE($9::varchar, a.agent_id),
         updated_at = now()
    FROM found f
   WHERE a.id = f.id
     AND (   ($4::varchar IS NOT NULL AND $4::varchar IS DISTINCT FROM f.wa_id)
          OR ($5::varchar IS NOT NULL AND $5::varchar IS DISTINCT FROM f.tenant_id)
          OR ($6::varchar IS NOT NULL AND $6::varchar IS DISTINCT FROM f.customer_email)
          OR ($7::varchar IS NOT NULL AND $7::varchar IS DISTINCT FROM f.display_name)
          OR ($8::varchar IS NOT NULL AND $8::varchar IS DISTINCT FROM f.user_role)
          OR ($9::varchar IS NOT NULL AND $9::varchar IS DISTINCT FROM f.agent_id))
  RETURNING ${COLUMNS.replace(/(\w+)/g, 'a.$1')}
), created AS (
  INSERT INTO accounts (environment, oauth_provider, external_id, wa_id, tenant_id, customer_email,
                        display_name, user_role, agent_id, currency, free_uses_remaining,
                        daily_free_uses_limit, daily_free_uses_remaining, daily_free_uses_day)
  SELECT $1, $2, $3, $4::varchar, $5::varchar, $6::varchar, $7::varchar, $8::varchar, $9::varchar,
         $10, $11::int, $12::int, $12::int, $13::date
   WHERE NOT EXISTS (SELECT 1 FROM found)
  ON CONFLICT (environment, oauth_provider, external_id) DO NOTHING
  RETURNING ${COLUMNS}
), account AS (
  SELECT * FROM refreshed
  UNION ALL
  SELECT ${COLUMNS} FROM found WHERE NOT EXISTS (SELECT 1 FROM refreshed)
  UNION ALL
  SELECT * FROM created
), decided AS (
  SELECT a.*,
         CASE WHEN a.daily_free_uses_day = $13::date THEN a.daily_free_uses_remaining
              ELSE a.daily_free_uses_limit END AS daily_left,
         COALESCE(h.minor, 0) AS hold_minor, h.free AS hold_free, h.daily AS hold_daily
    FROM account a
    CROSS JOIN ${activeHoldTotals('a', '$13', '$16')} h
), audited AS (
  SELECT d.*,
         d.status = 'active' AND (d.daily_left - d.hold_daily > 0 OR d.free_uses_remaining - d.hold_free > 0
                                  OR d.balance_minor - d.hold_minor > 0) AS has_credit
    FROM decided d
), audit AS (
  INSERT INTO credit_checks (account_id, environment, has_credit, reason, context, api_key_id)
  SELECT a.id, a.environment, a.has_credit,
         CASE WHEN a.status = 'suspended' THEN 'Account suspended'
              WHEN a.status = 'closed' THEN 'Account closed'
              WHEN NOT a.has_credit THEN 'No free uses or credits remaining' END,
         $15::jsonb, $14::uuid
    FROM audited a
  RETURNING reason
)
SELECT a.status, a.plan_name, a.balance_minor, a.free_uses_remaining, a.daily_free_uses_limit,
       a.daily_left, a.total_uses, a.has_credit, (SELECT reason FROM audit) AS reason,
       a.hold_minor, a.hold_free, a.hold_daily
  FROM audited a`;
