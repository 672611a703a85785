import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The admin console: operator login state (lockout, TOTP replay guard, invitation links), sessions
 * (only a hash of the token), recovery codes (hashed), one audit trail for every actor (console
 * admin, API key, CLI, system; denied attempts and login failures too), key revocation reasons,
 * and the hourly counters behind the key-usage and security views.
 */
export class AdminConsole1796129810705 implements MigrationInterface {
  name = 'AdminConsole1796129810705';

  async up(q: QueryRunner): Promise<void> {
    // Invited operators have no password until they open their setup link.
    await q.query(`ALTER TABLE admin_users ALTER COLUMN password_hash DROP NOT NULL`);
    await q.query(`ALTER TABLE admin_users ALTER COLUMN mfa_secret TYPE text`);
    await q.query(`
      ALTER TABLE admin_users
        ADD COLUMN mfa_last_step bigint,
        ADD COLUMN mfa_enrolled_at timestamptz,
        ADD COLUMN failed_login_count integer NOT NULL DEFAULT 0,
        ADD COLUMN lockout_count integer NOT NULL DEFAULT 0,
        ADD COLUMN locked_until timestamptz,
        ADD COLUMN password_changed_at timestamptz,
        ADD COLUMN setup_token_hash char(64),
        ADD COLUMN setup_token_expires_at timestamptz,
        ADD CONSTRAINT chk_admin_users_failed_logins CHECK (failed_login_count >= 0 AND lockout_count >= 0)`);
    await q.query(
      `CREATE UNIQUE INDEX uq_admin_users_setup_token ON admin_users (setup_token_hash) WHERE setup_token_hash IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE admin_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        admin_user_id uuid NOT NULL REFERENCES admin_users (id),
        token_hash char(64) NOT NULL,
        kind varchar(8) NOT NULL,
        created_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        absolute_expires_at timestamptz NOT NULL,
        mfa_at timestamptz,
        step_up_at timestamptz,
        ip varchar(64),
        user_agent varchar(512),
        revoked_at timestamptz,
        revoked_reason varchar(64),
        CONSTRAINT chk_admin_sessions_kind CHECK (kind IN ('pending', 'full'))
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_admin_sessions_token_hash ON admin_sessions (token_hash)`);
    await q.query(
      `CREATE INDEX idx_admin_sessions_user_live ON admin_sessions (admin_user_id) WHERE revoked_at IS NULL`,
    );

    await q.query(`
      CREATE TABLE admin_recovery_codes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        admin_user_id uuid NOT NULL REFERENCES admin_users (id),
        code_hash char(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        used_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_admin_recovery_codes ON admin_recovery_codes (admin_user_id, code_hash)`);

    await q.query(`ALTER TABLE api_keys ADD COLUMN revoked_reason text`);

    // One audit trail for every actor. Rows written before this migration were billing:admin API keys.
    await q.query(`
      ALTER TABLE admin_audit_log
        ADD COLUMN actor_type varchar(16) NOT NULL DEFAULT 'api_key',
        ADD COLUMN actor_id uuid,
        ADD COLUMN actor_label varchar(320) NOT NULL DEFAULT '',
        ADD COLUMN resource_type varchar(32),
        ADD COLUMN resource_id varchar(64),
        ADD COLUMN outcome varchar(16) NOT NULL DEFAULT 'success',
        ADD COLUMN ip varchar(64),
        ADD COLUMN user_agent varchar(512)`);
    // The append-only trigger refuses this backfill's UPDATE: lift it for this one statement.
    await q.query(`ALTER TABLE admin_audit_log DISABLE TRIGGER trg_admin_audit_log_append_only`);
    await q.query(`
      UPDATE admin_audit_log
         SET actor_id = api_key_id, actor_label = api_key_name, resource_type = 'account', resource_id = account_id::text`);
    await q.query(`ALTER TABLE admin_audit_log ENABLE TRIGGER trg_admin_audit_log_append_only`);
    await q.query(`
      ALTER TABLE admin_audit_log
        ALTER COLUMN environment DROP NOT NULL,
        ALTER COLUMN account_id DROP NOT NULL,
        ALTER COLUMN api_key_id DROP NOT NULL,
        ALTER COLUMN api_key_name DROP NOT NULL,
        ALTER COLUMN before DROP NOT NULL,
        ALTER COLUMN after DROP NOT NULL,
        ALTER COLUMN reason DROP NOT NULL,
        ALTER COLUMN request_id DROP NOT NULL,
        ALTER COLUMN action TYPE varchar(64),
        DROP CONSTRAINT chk_admin_audit_action,
        DROP CONSTRAINT chk_admin_audit_reason,
        ADD CONSTRAINT chk_admin_audit_action CHECK (action ~ '^[a-z_]+(\\.[a-z_]+)?$'),
        ADD CONSTRAINT chk_admin_audit_reason CHECK (reason IS NULL OR length(btrim(reason)) > 0),
        ADD CONSTRAINT chk_admin_audit_actor_type CHECK (actor_type IN ('admin_user', 'api_key', 'cli', 'system')),
        ADD CONSTRAINT chk_admin_audit_outcome CHECK (outcome IN ('success', 'denied', 'failure'))`);
    await q.query(
      `ALTER TABLE admin_audit_log ALTER COLUMN actor_type DROP DEFAULT, ALTER COLUMN actor_label DROP DEFAULT`,
    );
    await q.query(`CREATE INDEX idx_admin_audit_created ON admin_audit_log (created_at DESC, id DESC)`);
    await q.query(
      `CREATE INDEX idx_admin_audit_resource ON admin_audit_log (resource_type, resource_id, created_at DESC)`,
    );
    await q.query(`CREATE INDEX idx_admin_audit_actor ON admin_audit_log (actor_id, created_at DESC)`);
    // TRUNCATE skips row triggers: refuse it with a statement trigger.
    await q.query(`
      CREATE TRIGGER trg_admin_audit_log_no_truncate BEFORE TRUNCATE ON admin_audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION admin_audit_log_append_only()`);

    // Hourly counters, written in batches (ON CONFLICT … count + excluded.count), never per request.
    await q.query(`
      CREATE TABLE api_key_usage_hourly (
        api_key_id uuid NOT NULL REFERENCES api_keys (id),
        hour timestamptz NOT NULL,
        outcome varchar(16) NOT NULL,
        count bigint NOT NULL,
        PRIMARY KEY (api_key_id, hour, outcome),
        CONSTRAINT chk_api_key_usage_count CHECK (count > 0)
      )`);
    await q.query(`CREATE INDEX idx_api_key_usage_hour ON api_key_usage_hourly (hour)`);
    await q.query(`
      CREATE TABLE api_key_auth_failures_hourly (
        hour timestamptz NOT NULL,
        reason varchar(32) NOT NULL,
        key_prefix varchar(16) NOT NULL,
        client_ip varchar(64) NOT NULL,
        count bigint NOT NULL,
        PRIMARY KEY (hour, reason, key_prefix, client_ip),
        CONSTRAINT chk_api_key_auth_failures_count CHECK (count > 0)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_key_auth_failures_hourly`);
    await q.query(`DROP TABLE api_key_usage_hourly`);
    await q.query(`DROP TRIGGER trg_admin_audit_log_no_truncate ON admin_audit_log`);
    await q.query(`DROP INDEX idx_admin_audit_actor`);
    await q.query(`DROP INDEX idx_admin_audit_resource`);
    await q.query(`DROP INDEX idx_admin_audit_created`);
    // Rows that only the new columns describe (console, CLI, login events) cannot go back.
    await q.query(`ALTER TABLE admin_audit_log DISABLE TRIGGER trg_admin_audit_log_append_only`);
    await q.query(`DELETE FROM admin_audit_log WHERE actor_type <> 'api_key' OR account_id IS NULL OR reason IS NULL`);
    await q.query(`ALTER TABLE admin_audit_log ENABLE TRIGGER trg_admin_audit_log_append_only`);
    await q.query(`
      ALTER TABLE admin_audit_log
        DROP CONSTRAINT chk_admin_audit_outcome,
        DROP CONSTRAINT chk_admin_audit_actor_type,
        DROP CONSTRAINT chk_admin_audit_reason,
        DROP CONSTRAINT chk_admin_audit_action,
        DROP COLUMN user_agent,
        DROP COLUMN ip,
        DROP COLUMN outcome,
        DROP COLUMN resource_id,
        DROP COLUMN resource_type,
        DROP COLUMN actor_label,
        DROP COLUMN actor_id,
        DROP COLUMN actor_type,
        ALTER COLUMN environment SET NOT NULL,
        ALTER COLUMN account_id SET NOT NULL,
        ALTER COLUMN api_key_id SET NOT NULL,
        ALTER COLUMN api_key_name SET NOT NULL,
        ALTER COLUMN before SET NOT NULL,
        ALTER COLUMN after SET NOT NULL,
        ALTER COLUMN reason SET NOT NULL,
        ALTER COLUMN request_id SET NOT NULL,
        ALTER COLUMN action TYPE varchar(32),
        ADD CONSTRAINT chk_admin_audit_action CHECK (action IN ('suspend', 'reactivate', 'close', 'adjust_balance')),
        ADD CONSTRAINT chk_admin_audit_reason CHECK (length(btrim(reason)) > 0)`);
    await q.query(`ALTER TABLE api_keys DROP COLUMN revoked_reason`);
    await q.query(`DROP TABLE admin_recovery_codes`);
    await q.query(`DROP TABLE admin_sessions`);
    await q.query(`DROP INDEX uq_admin_users_setup_token`);
    await q.query(`
      ALTER TABLE admin_users
        DROP CONSTRAINT chk_admin_users_failed_logins,
        DROP COLUMN setup_token_expires_at,
        DROP COLUMN setup_token_hash,
        DROP COLUMN password_changed_at,
        DROP COLUMN locked_until,
        DROP COLUMN lockout_count,
        DROP COLUMN failed_login_count,
        DROP COLUMN mfa_enrolled_at,
        DROP COLUMN mfa_last_step`);
    await q.query(`ALTER TABLE admin_users ALTER COLUMN mfa_secret TYPE varchar(255)`);
    await q.query(`UPDATE admin_users SET password_hash = '!' WHERE password_hash IS NULL`);
    await q.query(`ALTER TABLE admin_users ALTER COLUMN password_hash SET NOT NULL`);
  }
}
