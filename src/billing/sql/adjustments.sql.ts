import { ACTOR_COLUMNS, actorPlaceholders } from '../../audit/sql/audit.sql.js';

/**
 * One statement: lock the account, look for the idempotency key, move the balance by the signed
 * amount unless that would take it below what active holds reserve (zero without holds), or the
 * account is closed, or the currency differs;
 * write the `adjustment` credit with the balance it produced, and the audit row. A concurrent
 * duplicate key violates uq_credits_idempotency and rolls the whole statement back.
 * The audit row (admin_audit_log, read by account-admin) is part of the same statement, so a
 * balance never moves without it.
 *
 * The decision and the new balance come from `acct`, the locked row at its newest version, never
 * from the row the UPDATE scans: that scan reads the statement's snapshot, and a row whose snapshot
 * version fails the WHERE is dropped without PostgreSQL ever re-reading it after the lock wait. A
 * hold released or captured (or a credit added) while this statement waited for the lock would then
 * refuse an adjustment that the account covers. `held_minor` is set from `acct` too, so the CHECK
 * constraint, which PostgreSQL first evaluates on a row built from the snapshot version, compares
 * balance and held amount of the same version (see src/billing/sql/holds.sql.ts).
 */
export const ADJUST_SQL = `
WITH acct AS (
  SELECT id, status, currency, balance_minor, held_minor
    FROM accounts
   WHERE environment = $1 AND oauth_provider = $2 AND external_id = $3
     FOR UPDATE
), existing AS (
  SELECT c.id, c.amount_minor::float8 AS amount_minor, c.currency, c.transaction_type, c.description
    FROM credits c JOIN acct ON c.account_id = acct.id
   WHERE c.idempotency_key = $6
), adjusted AS (
  UPDATE accounts a
     SET balance_minor = acct.balance_minor + $4::bigint, held_minor = acct.held_minor, updated_at = now()
    FROM acct
   WHERE a.id = acct.id
     AND NOT EXISTS (SELECT 1 FROM existing)
     AND acct.status <> 'closed'
     AND acct.currency = COALESCE($5::text, acct.currency)
     AND acct.balance_minor + $4::bigint >= acct.held_minor
  RETURNING a.id, a.currency, a.balance_minor AS balance_after, a.balance_minor - $4::bigint AS balance_before
), inserted AS (
  INSERT INTO credits (account_id, environment, amount_minor, currency, transaction_type, description,
                       idempotency_key, balance_after, api_key_id)
  SELECT d.id, $1, $4::bigint, d.currency, 'adjustment', $7, $6, d.balance_after, $11::uuid
    FROM adjusted d
  RETURNING id, account_id, amount_minor, currency, balance_after, description, idempotency_key, created_at
), audit AS (
  INSERT INTO admin_audit_log (environment, account_id, resource_type, resource_id, action, before, after, reason,
                               ${ACTOR_COLUMNS})
  SELECT $1, i.account_id, 'account', i.account_id::text, 'adjust_balance',
         jsonb_build_object('balance_minor', d.balance_before),
         jsonb_build_object('balance_minor', i.balance_after, 'adjustment_id', i.id,
                            'amount_minor', i.amount_minor, 'idempotency_key', i.idempotency_key)
           || CASE WHEN $16::text IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('kind', $16::text) END,
         $7, ${actorPlaceholders(8)}
    FROM inserted i JOIN adjusted d ON d.id = i.account_id
  RETURNING id
)
SELECT (SELECT row_to_json(r) FROM (
          SELECT i.id, i.account_id, i.amount_minor, i.currency, d.balance_before, i.balance_after,
                 i.description, i.idempotency_key, i.created_at, (SELECT id FROM audit) AS audit_id
            FROM inserted i JOIN adjusted d ON d.id = i.account_id) r) AS adjustment,
       (SELECT row_to_json(e) FROM existing e) AS existing,
       (SELECT row_to_json(a) FROM acct a) AS account`;
