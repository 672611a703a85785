import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import { bigintToNumber } from '../common/database/bigint.transformer.js';

export const HOLD_FUNDING = ['daily_free_use', 'free_use', 'balance'] as const;
export type HoldFunding = (typeof HOLD_FUNDING)[number];

/** Stored status; an `active` hold past `expires_at` is reported (and, once its account is next locked, stored) as `expired`. */
export type HoldStatus = 'active' | 'captured' | 'released' | 'expired';

/**
 * A reservation: the most an interaction may cost, taken from what a charge would consume (a daily
 * free use, else a one-time free use, else balance not already held). Not a ledger entry; capturing
 * it writes the charge (`charges.hold_id`).
 */
@Entity('holds')
export class Hold {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  accountId: string;

  @Column({ type: 'varchar', length: 4 })
  environment: KeyEnvironment;

  @Column({ type: 'bigint', transformer: bigintToNumber })
  amountMinor: number;

  @Column({ type: 'varchar', length: 16 })
  fundedBy: HoldFunding;

  /** The UTC day the hold was made: a daily free use it holds is that day's. */
  @Column({ type: 'date' })
  fundedDay: string;

  @Column({ type: 'char', length: 3 })
  currency: string;

  @Column({ type: 'text' })
  description: string;

  @Column({ type: 'varchar', length: 255 })
  idempotencyKey: string;

  @Column({ type: 'jsonb', default: {} })
  metadata: Record<string, unknown>;

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status: HoldStatus;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  endedAt: Date | null;

  @Column({ type: 'uuid', nullable: true })
  apiKeyId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
