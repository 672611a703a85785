import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stripe purchases: one row per PaymentIntent (unique `payment_id`), created pending when the agent
 * asks for a purchase and moved on by signed webhooks. `credit_id` is set exactly once, in the same
 * statement that writes the purchase credit; refund columns track what a refund took back and what
 * it could not (the balance had already been spent).
 */
export class Purchases1795572600000 implements MigrationInterface {
  name = 'Purchases1795572600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE purchases (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        payment_id varchar(255) NOT NULL,
        account_id uuid NOT NULL REFERENCES accounts (id),
        environment varchar(4) NOT NULL,
        amount_minor bigint NOT NULL,
        currency char(3) NOT NULL,
        uses_purchased bigint NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending',
        customer_email varchar(320),
        return_url text,
        failure_reason text,
        credit_id uuid REFERENCES credits (id),
        credited_at timestamptz,
        refunded_amount_minor bigint NOT NULL DEFAULT 0,
        credits_clawed_back bigint NOT NULL DEFAULT 0,
        credits_unrecovered bigint NOT NULL DEFAULT 0,
        api_key_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT chk_purchases_environment CHECK (environment IN ('live', 'test')),
        CONSTRAINT chk_purchases_status CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
        CONSTRAINT chk_purchases_amounts CHECK (
          amount_minor >= 0 AND uses_purchased >= 0 AND refunded_amount_minor >= 0
          AND credits_clawed_back >= 0 AND credits_unrecovered >= 0
          AND credits_clawed_back + credits_unrecovered <= uses_purchased)
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_purchases_payment_id ON purchases (payment_id)`);
    await q.query(`CREATE INDEX idx_purchases_account_created ON purchases (account_id, created_at DESC)`);
    await q.query(`CREATE INDEX idx_purchases_env_created ON purchases (environment, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE purchases`);
  }
}
