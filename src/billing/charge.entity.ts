import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import { bigintToNumber } from '../common/database/bigint.transformer.js';

export type FundingSource = 'daily_free' | 'free' | 'balance';

/** A use of the service. `balanceDebitMinor` is what left the balance (0 when a free use paid). */
@Entity('charges')
export class Charge {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  accountId: string;

  @Column({ type: 'varchar', length: 4 })
  environment: KeyEnvironment;

  @Column({ type: 'bigint', transformer: bigintToNumber })
  amountMinor: number;

  @Column({ type: 'bigint', transformer: bigintToNumber })
  balanceDebitMinor: number;

  @Column({ type: 'varchar', length: 16 })
  fundingSource: FundingSource;

  @Column({ type: 'char', length: 3 })
  currency: string;

  @Column({ type: 'text' })
  description: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  idempotencyKey: string | null;

  @Column({ type: 'jsonb', default: {} })
  metadata: Record<string, unknown>;

  @Column({ type: 'bigint', transformer: bigintToNumber })
  balanceAfter: number;

  @Column({ type: 'uuid', nullable: true })
  apiKeyId: string | null;

  /** The hold whose capture wrote this charge. */
  @Column({ type: 'uuid', nullable: true })
  holdId: string | null;

  /** What refunds gave back of `balanceDebitMinor` so far (never more). */
  @Column({ type: 'bigint', default: 0, transformer: bigintToNumber })
  refundedMinor: number;

  /** A refund gave back the free use that paid for this charge. */
  @Column({ type: 'boolean', default: false })
  freeUseReturned: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
