import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Accounts, the ledger (charges + credits), credit-check audit rows, admin users and API keys.
 * Money rules that the code relies on are also constraints here: a balance never goes below zero,
 * and an idempotency key is unique per account (accounts belong to one environment).
 */
export class InitialSchema1764035000000 implements MigrationInterface {
  name = 'InitialSchema1764035000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE admin_users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email varchar(320) NOT NULL,
        password_hash varchar(255) NOT NULL,
        full_name varchar(255) NOT NULL,
        role varchar(16) NOT NULL DEFAULT 'admin',
        is_active boolean NOT NULL DEFAULT true,
        mfa_enabled boolean NOT NULL DEFAULT false,
        mfa_secret varchar(255),
        created_at timestamptz NOT NULL DEFAULT now(),
        last_login_at timestamptz,
        CONSTRAINT chk_admin_users_role CHECK (role IN ('super_admin', 'admin', 'viewer'))
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_admin_users_email ON admin_users (lower(email))`);

    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(255) NOT NULL,
        description text,
        environment varchar(4) NOT NULL,
        key_prefix varchar(16) NOT NULL,
        key_hash char(64) NOT NULL,
        permissions text[] NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'active',
        created_by uuid NOT NULL REFERENCES admin_users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        last_used_at timestamptz,
        last_used_ip varchar(64),
        grace_period_until timestamptz,
        rotated_to uuid REFERENCES api_keys (id),
        revoked_at timestamptz,
        rate_limit_per_minute integer,
        CONSTRAINT chk_api_keys_environment CHECK (environment IN ('live', 'test')),
        CONSTRAINT chk_api_keys_status CHECK (status IN ('active', 'rotating', 'revoked')),
        CONSTRAINT chk_api_keys_rate_limit CHECK (rate_limit_per_minute IS NULL OR rate_limit_per_minute > 0)
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_api_keys_key_hash ON api_keys (key_hash)`);
    await q.query(`CREATE INDEX idx_api_keys_key_prefix ON api_keys (key_prefix)`);

    await q.query(`
      CREATE TABLE accounts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        environment varchar(4) NOT NULL,
        oauth_provider varchar(255) NOT NULL,
        external_id varchar(255) NOT NULL,
        wa_id varchar(255),
        tenant_id varchar(255),
        customer_email varchar(320),
        display_name varchar(255),
        user_role varchar(64),
        agent_id varchar(255),
        balance_minor bigint NOT NULL DEFAULT 0,
        currency char(3) NOT NULL DEFAULT 'USD',
        plan_name varchar(64) NOT NULL DEFAULT 'free',
        status varchar(16) NOT NULL DEFAULT 'active',
        status_reason text,
        free_uses_remaining integer NOT NULL DEFAULT 0,
        daily_free_uses_limit integer NOT NULL DEFAULT 0,
        daily_free_uses_remaining integer NOT NULL DEFAULT 0,
        daily_free_uses_day date NOT NULL,
        total_uses bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT chk_accounts_environment CHECK (environment IN ('live', 'test')),
        CONSTRAINT chk_accounts_status CHECK (status IN ('active', 'suspended', 'closed')),
        CONSTRAINT chk_accounts_balance_non_negative CHECK (balance_minor >= 0),
        CONSTRAINT chk_accounts_balance_limit CHECK (balance_minor <= 9007199254740991),
        CONSTRAINT chk_accounts_free_uses CHECK (free_uses_remaining >= 0 AND daily_free_uses_remaining >= 0),
        CONSTRAINT chk_accounts_oauth_provider CHECK (oauth_provider LIKE 'oauth:%')
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_accounts_identity ON accounts (environment, oauth_provider, external_id)`);
    await q.query(`CREATE INDEX idx_accounts_created_at ON accounts (created_at)`);

    await q.query(`
      CREATE TABLE charges (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts (id),
        environment varchar(4) NOT NULL,
        amount_minor bigint NOT NULL,
        balance_debit_minor bigint NOT NULL,
        funding_source varchar(16) NOT NULL,
        currency char(3) NOT NULL,
        description text NOT NULL,
        idempotency_key varchar(255),
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        balance_after bigint NOT NULL,
        api_key_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT chk_charges_amount CHECK (amount_minor > 0),
        CONSTRAINT chk_charges_debit CHECK (balance_debit_minor >= 0 AND balance_debit_minor <= amount_minor),
        CONSTRAINT chk_charges_funding CHECK (funding_source IN ('daily_free', 'free', 'balance'))
      )`);
    await q.query(
      `CREATE UNIQUE INDEX uq_charges_idempotency ON charges (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    );
    await q.query(`CREATE INDEX idx_charges_account_created ON charges (account_id, created_at DESC)`);
    await q.query(`CREATE INDEX idx_charges_env_created ON charges (environment, created_at)`);

    await q.query(`
      CREATE TABLE credits (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts (id),
        environment varchar(4) NOT NULL,
        amount_minor bigint NOT NULL,
        currency char(3) NOT NULL,
        transaction_type varchar(16) NOT NULL,
        description text NOT NULL,
        external_transaction_id varchar(255),
        idempotency_key varchar(255),
        balance_after bigint NOT NULL,
        api_key_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT chk_credits_type CHECK (transaction_type IN ('purchase', 'grant', 'refund', 'adjustment')),
        CONSTRAINT chk_credits_amount CHECK (amount_minor <> 0 AND (amount_minor > 0 OR transaction_type = 'adjustment'))
      )`);
    await q.query(
      `CREATE UNIQUE INDEX uq_credits_idempotency ON credits (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    );
    await q.query(`CREATE INDEX idx_credits_account_created ON credits (account_id, created_at DESC)`);
    await q.query(`CREATE INDEX idx_credits_env_created ON credits (environment, created_at)`);

    await q.query(`
      CREATE TABLE credit_checks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts (id),
        environment varchar(4) NOT NULL,
        has_credit boolean NOT NULL,
        reason text,
        context jsonb NOT NULL DEFAULT '{}'::jsonb,
        api_key_id uuid,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX idx_credit_checks_account_created ON credit_checks (account_id, created_at DESC)`);
    await q.query(`CREATE INDEX idx_credit_checks_env_created ON credit_checks (environment, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE credit_checks`);
    await q.query(`DROP TABLE credits`);
    await q.query(`DROP TABLE charges`);
    await q.query(`DROP TABLE accounts`);
    await q.query(`DROP TABLE api_keys`);
    await q.query(`DROP TABLE admin_users`);
  }
}
