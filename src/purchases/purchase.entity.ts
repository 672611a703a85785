import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import { bigintToNumber } from '../common/database/bigint.transformer.js';

/** Our side of a purchase; Stripe's PaymentIntent status is read live, this is what webhooks told us. */
export const PURCHASE_STATUSES = ['pending', 'succeeded', 'failed', 'canceled'] as const;
export type PurchaseStatus = (typeof PURCHASE_STATUSES)[number];

/** One Stripe PaymentIntent created for an account: the price quoted, the uses it buys, what was credited. */
@Entity('purchases')
export class Purchase {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** The PaymentIntent id (`pi_…`); unique. */
  @Column({ type: 'varchar', length: 255 })
  paymentId: string;

  @Column({ type: 'uuid' })
  accountId: string;

  @Column({ type: 'varchar', length: 4 })
  environment: KeyEnvironment;

  /** Price charged by Stripe, in minor units of `currency`. */
  @Column({ type: 'bigint', transformer: bigintToNumber })
  amountMinor: number;

  @Column({ type: 'char', length: 3 })
  currency: string;

  /** Credits (uses) the purchase adds once paid, fixed when the purchase was created. */
  @Column({ type: 'bigint', transformer: bigintToNumber })
  usesPurchased: number;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status: PurchaseStatus;

  @Column({ type: 'varchar', length: 320, nullable: true })
  customerEmail: string | null;

  @Column({ type: 'text', nullable: true })
  returnUrl: string | null;

  @Column({ type: 'text', nullable: true })
  failureReason: string | null;

  /** The `purchase` credit; set once, together with `creditedAt`. */
  @Column({ type: 'uuid', nullable: true })
  creditId: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  creditedAt: Date | null;

  /** Money Stripe reports refunded so far (cumulative), minor units. */
  @Column({ type: 'bigint', default: 0, transformer: bigintToNumber })
  refundedAmountMinor: number;

  /** Credits removed from the balance because of refunds. */
  @Column({ type: 'bigint', default: 0, transformer: bigintToNumber })
  creditsClawedBack: number;

  /** Credits a refund should have removed but could not: already spent. */
  @Column({ type: 'bigint', default: 0, transformer: bigintToNumber })
  creditsUnrecovered: number;

  @Column({ type: 'uuid', nullable: true })
  apiKeyId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
