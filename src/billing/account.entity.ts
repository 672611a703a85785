import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import { bigintToNumber } from '../common/database/bigint.transformer.js';

export type AccountStatus = 'active' | 'suspended' | 'closed';

@Entity('accounts')
export class Account {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 4 })
  environment: KeyEnvironment;

  @Column({ type: 'varchar', length: 255 })
  oauthProvider: string;

  @Column({ type: 'varchar', length: 255 })
  externalId: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  waId: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  tenantId: string | null;

  @Column({ type: 'varchar', length: 320, nullable: true })
  customerEmail: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  displayName: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  userRole: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  agentId: string | null;

  @Column({ type: 'bigint', default: 0, transformer: bigintToNumber })
  balanceMinor: number;

  @Column({ type: 'char', length: 3, default: 'USD' })
  currency: string;

  @Column({ type: 'varchar', length: 64, default: 'free' })
  planName: string;

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status: AccountStatus;

  @Column({ type: 'text', nullable: true })
  statusReason: string | null;

  @Column({ type: 'integer', default: 0 })
  freeUsesRemaining: number;

  @Column({ type: 'integer', default: 0 })
  dailyFreeUsesLimit: number;

  /** Remaining on `dailyFreeUsesDay`; on any later UTC day the full limit is available again. */
  @Column({ type: 'integer', default: 0 })
  dailyFreeUsesRemaining: number;

  @Column({ type: 'date' })
  dailyFreeUsesDay: string;

  @Column({ type: 'bigint', default: 0, transformer: bigintToNumber })
  totalUses: number;

  /**
   * What the account's `active` holds reserve (see the HoldsAndRefunds migration): balance, one-time
   * free uses, and daily free uses of `dailyFreeUsesDay`. Holds past their expiry count here until the
   * next statement that locks the account records them as expired.
   */
  @Column({ type: 'bigint', default: 0, transformer: bigintToNumber })
  heldMinor: number;

  @Column({ type: 'integer', default: 0 })
  heldFreeUses: number;

  @Column({ type: 'integer', default: 0 })
  heldDailyFreeUses: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
