import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A charge a free use paid gives back at most one one-time free use, over all its refunds: besides
 * `charges.free_use_returned` (which the refund statement checks on the locked charge row), the
 * ledger itself refuses a second free-use refund credit for one charge, whatever path writes it.
 */
export class FreeUseRefundedOnce1796130300000 implements MigrationInterface {
  name = 'FreeUseRefundedOnce1796130300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE credits ADD CONSTRAINT chk_credits_free_uses_returned CHECK (free_uses_returned IN (0, 1))`,
    );
    await q.query(`CREATE UNIQUE INDEX uq_credits_free_use_refund ON credits (charge_id) WHERE free_uses_returned > 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX uq_credits_free_use_refund`);
    await q.query(`ALTER TABLE credits DROP CONSTRAINT chk_credits_free_uses_returned`);
  }
}
