import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The UTC day of a row, as the analytics queries write it (immutable: a fixed zone name). */
const UTC_DAY = `((created_at AT TIME ZONE 'UTC')::date)`;

/**
 * The admin audit trail (every billing:admin change, append-only) and the indexes the analytics
 * reports read. Each report scans one environment's rows over a range of UTC days; these covering
 * indexes make that an index-only range scan in day order. They replace the plain
 * (environment, created_at) indexes, which nothing else reads, so the write path still maintains one
 * such index per table.
 */
export class AdminAuditAndAnalyticsIndexes1795574000000 implements MigrationInterface {
  name = 'AdminAuditAndAnalyticsIndexes1795574000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE admin_audit_log (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        environment varchar(4) NOT NULL,
        account_id uuid NOT NULL REFERENCES accounts (id),
        action varchar(32) NOT NULL,
        api_key_id uuid NOT NULL REFERENCES api_keys (id),
        api_key_name varchar(255) NOT NULL,
        before jsonb NOT NULL,
        after jsonb NOT NULL,
        reason text NOT NULL,
        request_id varchar(128) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT chk_admin_audit_environment CHECK (environment IN ('live', 'test')),
        CONSTRAINT chk_admin_audit_action CHECK (action IN ('suspend', 'reactivate', 'close', 'adjust_balance')),
        CONSTRAINT chk_admin_audit_reason CHECK (length(btrim(reason)) > 0)
      )`);
    await q.query(`CREATE INDEX idx_admin_audit_account_created ON admin_audit_log (account_id, created_at DESC)`);
    await q.query(`CREATE INDEX idx_admin_audit_env_created ON admin_audit_log (environment, created_at DESC)`);
    // An audit trail that can be edited is not one: refuse UPDATE and DELETE at the database.
    await q.query(`
      CREATE FUNCTION admin_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'admin_audit_log is append-only';
      END $$`);
    await q.query(`
      CREATE TRIGGER trg_admin_audit_log_append_only BEFORE UPDATE OR DELETE ON admin_audit_log
        FOR EACH ROW EXECUTE FUNCTION admin_audit_log_append_only()`);

    // The analytics indexes: key (environment, UTC day of created_at), so a report's range is an index
    // range and rows arrive grouped by day; INCLUDE what the report reads (created_at too: PostgreSQL
    // plans an index-only scan only when every column the query mentions is in the index). account_id
    // is a key column so each day's distinct count reads already-sorted ids.
    await q.query(
      `CREATE INDEX idx_charges_env_day_usage ON charges (environment, ${UTC_DAY}, account_id)
         INCLUDE (created_at, funding_source, balance_debit_minor)`,
    );
    await q.query(`DROP INDEX idx_charges_env_created`);
    await q.query(
      `CREATE INDEX idx_credits_env_day_revenue ON credits (environment, ${UTC_DAY})
         INCLUDE (created_at, currency, transaction_type, amount_minor)`,
    );
    await q.query(`DROP INDEX idx_credits_env_created`);
    await q.query(
      `CREATE INDEX idx_credit_checks_env_day_usage ON credit_checks (environment, ${UTC_DAY}) INCLUDE (created_at, has_credit)`,
    );
    await q.query(`DROP INDEX idx_credit_checks_env_created`);
    await q.query(`CREATE INDEX idx_accounts_env_day ON accounts (environment, ${UTC_DAY}) INCLUDE (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_accounts_env_day`);
    await q.query(`CREATE INDEX idx_credit_checks_env_created ON credit_checks (environment, created_at)`);
    await q.query(`DROP INDEX idx_credit_checks_env_day_usage`);
    await q.query(`CREATE INDEX idx_credits_env_created ON credits (environment, created_at)`);
    await q.query(`DROP INDEX idx_credits_env_day_revenue`);
    await q.query(`CREATE INDEX idx_charges_env_created ON charges (environment, created_at)`);
    await q.query(`DROP INDEX idx_charges_env_day_usage`);
    await q.query(`DROP TABLE admin_audit_log`);
    await q.query(`DROP FUNCTION admin_audit_log_append_only()`);
  }
}
