import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The admin audit trail (every billing:admin change, append-only) and the indexes the analytics
 * reports read. Each report scans one environment's rows in a created_at range; the covering
 * indexes let it do that with an index-only scan. They replace the plain (environment, created_at)
 * indexes they extend, so the hot write path still maintains one index per table for this.
 */
export class AdminAuditAndAnalyticsIndexes1764100000000 implements MigrationInterface {
  name = 'AdminAuditAndAnalyticsIndexes1764100000000';

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

    await q.query(
      `CREATE INDEX idx_charges_env_created_usage ON charges (environment, created_at)
         INCLUDE (funding_source, balance_debit_minor, account_id)`,
    );
    await q.query(`DROP INDEX idx_charges_env_created`);
    await q.query(
      `CREATE INDEX idx_credits_env_created_revenue ON credits (environment, created_at)
         INCLUDE (transaction_type, currency, amount_minor)`,
    );
    await q.query(`DROP INDEX idx_credits_env_created`);
    await q.query(
      `CREATE INDEX idx_credit_checks_env_created_usage ON credit_checks (environment, created_at) INCLUDE (has_credit)`,
    );
    await q.query(`DROP INDEX idx_credit_checks_env_created`);
    await q.query(`CREATE INDEX idx_accounts_env_created ON accounts (environment, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_accounts_env_created`);
    await q.query(`CREATE INDEX idx_credit_checks_env_created ON credit_checks (environment, created_at)`);
    await q.query(`DROP INDEX idx_credit_checks_env_created_usage`);
    await q.query(`CREATE INDEX idx_credits_env_created ON credits (environment, created_at)`);
    await q.query(`DROP INDEX idx_credits_env_created_revenue`);
    await q.query(`CREATE INDEX idx_charges_env_created ON charges (environment, created_at)`);
    await q.query(`DROP INDEX idx_charges_env_created_usage`);
    await q.query(`DROP TABLE admin_audit_log`);
    await q.query(`DROP FUNCTION admin_audit_log_append_only()`);
  }
}
