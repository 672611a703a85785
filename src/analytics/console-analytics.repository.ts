import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import type { DayRange } from './analytics.repository.js';
import { OVERVIEW_COUNTS_SQL, TOP_ACCOUNTS_SQL, UNIQUE_CHARGED_BY_BUCKET_SQL } from './sql/console-analytics.sql.js';

export type BucketUnit = 'day' | 'week' | 'month';

/** The figures the console adds to the daily reports: distinct accounts per bucket, top accounts, overview counts. */
@Injectable()
export class ConsoleAnalyticsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Distinct charged accounts per week or month (a sum of daily counts would count an account once per day). */
  uniqueChargedByBucket(
    environment: KeyEnvironment,
    range: DayRange,
    unit: BucketUnit,
  ): Promise<Array<{ bucket: string; accounts: string }>> {
    return this.db.query(UNIQUE_CHARGED_BY_BUCKET_SQL, [environment, range.start, range.end, unit]);
  }

  topAccounts(
    environment: KeyEnvironment,
    range: DayRange,
    limit: number,
  ): Promise<Array<{ account_id: string; oauth_provider: string; external_id: string; uses: string }>> {
    return this.db.query(TOP_ACCOUNTS_SQL, [environment, range.start, range.end, limit]);
  }

  async overviewCounts(
    environment: KeyEnvironment,
    since: Date,
  ): Promise<{ accounts: number; new_accounts: number; paid_charges: number; free_charges: number }> {
    const rows: Array<Record<string, string>> = await this.db.query(OVERVIEW_COUNTS_SQL, [
      environment,
      since.toISOString(),
    ]);
    const r = rows[0];
    return {
      accounts: Number(r.accounts),
      new_accounts: Number(r.new_accounts),
      paid_charges: Number(r.paid_charges),
      free_charges: Number(r.free_charges),
    };
  }
}
