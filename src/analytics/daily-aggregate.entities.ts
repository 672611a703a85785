import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';

/*
 * The daily aggregates' tables (migration 1796130130699-DailyAnalyticsAggregates), described for
 * TypeORM's schema check. They are written and read in SQL by DailyAggregates and AnalyticsRepository.
 */

/** A closed UTC day whose aggregates are computed. */
@Entity('analytics_rollup_days')
export class AnalyticsRollupDay {
  @PrimaryColumn({ type: 'date' })
  day: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  computedAt: Date;
}

/** A day whose aggregates may miss rows (written late, moved, deleted): recomputed by the next roll-up. */
@Entity('analytics_stale_days')
export class AnalyticsStaleDay {
  @PrimaryColumn({ type: 'date' })
  day: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  markedAt: Date;
}

/** The usage report's figures for one environment and day. */
@Entity('analytics_usage_daily')
export class AnalyticsUsageDay {
  @PrimaryColumn({ type: 'varchar', length: 4 })
  environment: KeyEnvironment;

  @PrimaryColumn({ type: 'date' })
  day: string;

  @Column({ type: 'bigint' })
  charges: string;

  @Column({ type: 'bigint' })
  paidUses: string;

  @Column({ type: 'bigint' })
  dailyFreeUses: string;

  @Column({ type: 'bigint' })
  oneTimeFreeUses: string;

  @Column({ type: 'numeric' })
  creditsSpent: string;

  @Column({ type: 'bigint' })
  uniqueChargedAccounts: string;

  @Column({ type: 'bigint' })
  newAccounts: string;

  @Column({ type: 'bigint' })
  creditChecks: string;

  @Column({ type: 'bigint' })
  deniedCreditChecks: string;
}

/** The revenue report's figures for one environment, currency and day. */
@Entity('analytics_revenue_daily')
export class AnalyticsRevenueDay {
  @PrimaryColumn({ type: 'varchar', length: 4 })
  environment: KeyEnvironment;

  @PrimaryColumn({ type: 'varchar', length: 3 })
  currency: string;

  @PrimaryColumn({ type: 'date' })
  day: string;

  @Column({ type: 'bigint' })
  purchases: string;

  @Column({ type: 'numeric' })
  purchaseAmountMinor: string;

  @Column({ type: 'numeric' })
  grantMinor: string;

  @Column({ type: 'numeric' })
  refundMinor: string;

  @Column({ type: 'numeric' })
  adjustmentMinor: string;

  @Column({ type: 'numeric' })
  creditsAddedMinor: string;

  @Column({ type: 'numeric' })
  stripePaidMinor: string;

  @Column({ type: 'numeric' })
  stripeUsesCredited: string;
}

/** The days (bits) of a 732-day period on which an account was charged. */
@Entity('analytics_charged_accounts')
export class AnalyticsChargedAccount {
  @PrimaryColumn({ type: 'varchar', length: 4 })
  environment: KeyEnvironment;

  @PrimaryColumn({ type: 'integer' })
  period: number;

  @PrimaryColumn({ type: 'uuid' })
  accountId: string;

  @Column({ type: 'bit', length: 732 })
  days: string;
}

export const DAILY_AGGREGATE_ENTITIES = [
  AnalyticsRollupDay,
  AnalyticsStaleDay,
  AnalyticsUsageDay,
  AnalyticsRevenueDay,
  AnalyticsChargedAccount,
];
