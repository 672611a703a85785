import { ACTOR_COLUMNS, actorPlaceholders } from '../../audit/sql/audit.sql.js';

/**
 * One statement: lock the account, change its status if the transition is allowed, and write the
 * audit row with the before/after values. Status and audit commit together or not at all.
 */
export const CHANGE_STATUS_SQL = `
WITH acct AS (
  SELECT id, status, status_reason
    FROM accounts
   WHERE environment = $1 AND oauth_provider = $2 AND external_id = $3
     FOR UPDATE
), changed AS (
  UPDATE accounts a
     SET status = $4, status_reason = $5, updated_at = now()
    FROM acct
   WHERE a.id = acct.id AND acct.status = ANY($6::text[])
  RETURNING a.id, a.oauth_provider, a.external_id, a.status, a.status_reason, a.balance_minor, a.updated_at
), audit AS (
  INSERT INTO admin_audit_log (environment, account_id, resource_type, resource_id, action, before, after, reason,
                               ${ACTOR_COLUMNS})
  SELECT $1, c.id, 'account', c.id::text, $7,
         jsonb_build_object('status', acct.status, 'status_reason', acct.status_reason),
         jsonb_build_object('status', c.status, 'status_reason', c.status_reason),
         $5, ${actorPlaceholders(8)}
    FROM changed c JOIN acct ON acct.id = c.id
  RETURNING id, created_at
)
SELECT (SELECT row_to_json(a) FROM acct a) AS before,
       (SELECT row_to_json(c) FROM changed c) AS account,
       (SELECT row_to_json(x) FROM audit x) AS audit`;
