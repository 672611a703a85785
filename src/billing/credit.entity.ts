import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import { bigintToNumber } from '../common/database/bigint.transformer.js';

export const CREDIT_TYPES = ['purchase', 'grant', 'refund', 'adjustment'] as const;
export type CreditType = (typeof CREDIT_TYPES)[number];

/** Money into (or, for a negative adjustment, out of) an account's balance. */
@Entity('credits')
export class Credit {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  accountId: string;

  @Column({ type: 'varchar', length: 4 })
  environment: KeyEnvironment;

  @Column({ type: 'bigint', transformer: bigintToNumber })
  amountMinor: number;

  @Column({ type: 'char', length: 3 })
  currency: string;

  @Column({ type: 'varchar', length: 16 })
  transactionType: CreditType;

  @Column({ type: 'text' })
  description: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  externalTransactionId: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  idempotencyKey: string | null;

  @Column({ type: 'bigint', transformer: bigintToNumber })
  balanceAfter: number;

  @Column({ type: 'uuid', nullable: true })
  apiKeyId: string | null;

  /** For a `refund` of a charge: the charge it gives back. */
  @Column({ type: 'uuid', nullable: true })
  chargeId: string | null;

  /** One-time free uses this refund gave back (a refund of a charge a free use paid). */
  @Column({ type: 'integer', default: 0 })
  freeUsesReturned: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
