import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import { DailyAggregates } from './daily-aggregates.js';
import { reportSettingsSql } from './sql/analytics.sql.js';
import { REVENUE_FROM_AGGREGATES_SQL, USAGE_FROM_AGGREGATES_SQL } from './sql/daily-aggregates.sql.js';

/** Inclusive UTC days, `YYYY-MM-DD`. */
export interface DayRange {
  start: string;
  end: string;
}

/** One row per day of the range, in order, then one totals row with `day = 'infinity'`. */
export interface UsageRow {
  day: string;
  charges: string;
  paid_uses: string;
  daily_free_uses: string;
  one_time_free_uses: string;
  credits_spent: string;
  unique_charged_accounts: string;
  new_accounts: string;
  credit_checks: string;
  denied_credit_checks: string;
}

export interface RevenueRow {
  day: string;
  purchases: string;
  purchase_amount_minor: string;
  revenue_minor: string;
  grant_minor: string;
  refund_minor: string;
  adjustment_minor: string;
  credits_added_minor: string;
}

const REPORT_WORK_MEM = '64MB';

/**
 * The analytics reports: closed days from the daily aggregates (DailyAggregates), the days after them
 * from the ledger, in one read-only statement. USAGE_SQL and REVENUE_SQL (sql/analytics.sql.ts) are the same reports
 * computed from the ledger alone: the reference the aggregates are tested against
 * (test/analytics-aggregates.e2e-spec.ts, bench/analytics/aggregates.mjs).
 */
@Injectable()
export class AnalyticsRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly aggregates: DailyAggregates,
  ) {}

  async usageByDay(environment: KeyEnvironment, range: DayRange): Promise<UsageRow[]> {
    const through = await this.aggregates.aggregatedThrough(range.start, range.end);
    return this.report(USAGE_FROM_AGGREGATES_SQL, [environment, range.start, range.end, through]);
  }

  async revenueByDay(environment: KeyEnvironment, currency: string, range: DayRange): Promise<RevenueRow[]> {
    const through = await this.aggregates.aggregatedThrough(range.start, range.end);
    return this.report(REVENUE_FROM_AGGREGATES_SQL, [environment, range.start, range.end, currency, through]);
  }

  /**
   * A report runs read-only with more sort/hash memory than the OLTP default, so a long range's
   * distinct-account count stays in memory instead of spilling to disk; SET LOCAL ends with the
   * transaction, so the pooled connection goes back unchanged.
   */
  private report<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.db.transaction(async (m) => {
      await m.query(reportSettingsSql(REPORT_WORK_MEM));
      return m.query(sql, params) as Promise<T[]>;
    });
  }
}
