import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Holds (authorisations: reserve the most an interaction may cost, capture the real cost, release
 * the rest) and refunds linked to the charge they give back.
 *
 * A hold is not a ledger entry: the balance stays the sum of the ledger. What holds reserve is kept
 * on the account row as well (`held_minor`, `held_free_uses`, `held_daily_free_uses`, the totals of
 * its holds in status `active`), because every statement that spends locks that row: PostgreSQL
 * re-reads a locked row at its newest version, whereas a sum over `holds` in the same statement would
 * see only the statement's snapshot and miss a hold committed while it waited for the lock. The
 * CHECK constraints make "available = balance - held >= 0" (and the same for free uses) a property
 * of every committed state. `held_daily_free_uses` counts the holds of the day in
 * `daily_free_uses_day`; a new day starts at zero.
 *
 * A hold whose `expires_at` has passed stops reserving at that instant; the next statement that
 * locks its account marks it `expired` and takes it out of the totals (no job needed).
 *
 * Refunds are `refund` credits with `charge_id` set; the charge keeps what was refunded
 * (`refunded_minor`, at most what it took from the balance, and `free_use_returned` for a charge a
 * free use paid), so concurrent refunds of one charge serialise on its row and can never exceed it.
 * A refund of a free-use charge gives back one one-time free use and moves no money: a credit of
 * amount 0 with `free_uses_returned = 1`.
 */
export class HoldsAndRefunds1796129897656 implements MigrationInterface {
  name = 'HoldsAndRefunds1796129897656';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE accounts
        ADD COLUMN held_minor bigint NOT NULL DEFAULT 0,
        ADD COLUMN held_free_uses integer NOT NULL DEFAULT 0,
        ADD COLUMN held_daily_free_uses integer NOT NULL DEFAULT 0,
        ADD CONSTRAINT chk_accounts_holds_covered CHECK (
          held_minor >= 0 AND held_minor <= balance_minor
          AND held_free_uses >= 0 AND held_free_uses <= free_uses_remaining
          AND held_daily_free_uses >= 0 AND held_daily_free_uses <= daily_free_uses_remaining)`);

    await q.query(`
      CREATE TABLE holds (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts (id),
        environment varchar(4) NOT NULL,
        amount_minor bigint NOT NULL,
        funded_by varchar(16) NOT NULL,
        funded_day date NOT NULL,
        currency char(3) NOT NULL,
        description text NOT NULL,
        idempotency_key varchar(255) NOT NULL,
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        status varchar(16) NOT NULL DEFAULT 'active',
        expires_at timestamptz NOT NULL,
        ended_at timestamptz,
        api_key_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT chk_holds_environment CHECK (environment IN ('live', 'test')),
        CONSTRAINT chk_holds_amount CHECK (amount_minor > 0),
        CONSTRAINT chk_holds_funded_by CHECK (funded_by IN ('daily_free_use', 'free_use', 'balance')),
        CONSTRAINT chk_holds_status CHECK (status IN ('active', 'captured', 'released', 'expired')),
        CONSTRAINT chk_holds_ended CHECK ((status = 'active') = (ended_at IS NULL)),
        CONSTRAINT chk_holds_expiry CHECK (expires_at > created_at)
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_holds_idempotency ON holds (account_id, idempotency_key)`);
    // The statements that spend look up an account's active holds (and those past their expiry).
    await q.query(`CREATE INDEX idx_holds_active ON holds (account_id, expires_at) WHERE status = 'active'`);

    await q.query(`
      ALTER TABLE charges
        ADD COLUMN hold_id uuid REFERENCES holds (id),
        ADD COLUMN refunded_minor bigint NOT NULL DEFAULT 0,
        ADD COLUMN free_use_returned boolean NOT NULL DEFAULT false,
        ADD CONSTRAINT chk_charges_refunded CHECK (refunded_minor >= 0 AND refunded_minor <= balance_debit_minor),
        ADD CONSTRAINT chk_charges_free_use_returned CHECK (NOT free_use_returned OR funding_source <> 'balance')`);
    // One charge per hold, whatever races: a second capture is a unique violation.
    await q.query(`CREATE UNIQUE INDEX uq_charges_hold ON charges (hold_id) WHERE hold_id IS NOT NULL`);

    await q.query(`
      ALTER TABLE credits
        ADD COLUMN charge_id uuid REFERENCES charges (id),
        ADD COLUMN free_uses_returned integer NOT NULL DEFAULT 0,
        DROP CONSTRAINT chk_credits_amount,
        ADD CONSTRAINT chk_credits_amount CHECK (
          (amount_minor <> 0 AND (amount_minor > 0 OR transaction_type = 'adjustment'))
          OR (amount_minor = 0 AND free_uses_returned > 0)),
        ADD CONSTRAINT chk_credits_refund_link CHECK (
          (charge_id IS NULL OR transaction_type = 'refund')
          AND free_uses_returned >= 0 AND (free_uses_returned = 0 OR charge_id IS NOT NULL))`);
    await q.query(`CREATE INDEX idx_credits_charge ON credits (charge_id) WHERE charge_id IS NOT NULL`);
  }

  /** Fails (and changes nothing) while free-use refunds exist: their amount-0 credits have no place in the old schema. */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_credits_charge`);
    await q.query(`
      ALTER TABLE credits
        DROP CONSTRAINT chk_credits_refund_link,
        DROP CONSTRAINT chk_credits_amount,
        ADD CONSTRAINT chk_credits_amount CHECK (amount_minor <> 0 AND (amount_minor > 0 OR transaction_type = 'adjustment')),
        DROP COLUMN free_uses_returned,
        DROP COLUMN charge_id`);
    await q.query(`DROP INDEX uq_charges_hold`);
    await q.query(`
      ALTER TABLE charges
        DROP CONSTRAINT chk_charges_free_use_returned,
        DROP CONSTRAINT chk_charges_refunded,
        DROP COLUMN free_use_returned,
        DROP COLUMN refunded_minor,
        DROP COLUMN hold_id`);
    await q.query(`DROP TABLE holds`);
    await q.query(`
      ALTER TABLE accounts
        DROP CONSTRAINT chk_accounts_holds_covered,
        DROP COLUMN held_daily_free_uses,
        DROP COLUMN held_free_uses,
        DROP COLUMN held_minor`);
  }
}
