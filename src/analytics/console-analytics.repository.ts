import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import type { DayRange } from './analytics.repository.js';

const DAY_OF = `((created_at AT TIME ZONE 'UTC')::date)`;

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
    return this.db.query(
      `SELECT to_char(date_trunc($4, ${DAY_OF}::timestamp), 'YYYY-MM-DD') AS bucket, count(DISTINCT account_id) AS accounts
         FROM charges WHERE environment = $1 AND ${DAY_OF} BETWEEN $2::date AND $3::date
        GROUP BY 1`,
      [environment, range.start, range.end, unit],
    );
  }

  topAccounts(
    environment: KeyEnvironment,
    range: DayRange,
    limit: number,
  ): Promise<Array<{ account_id: string; oauth_provider: string; external_id: string; uses: string }>> {
    return this.db.query(
      `SELECT c.account_id, a.oauth_provider, a.external_id, c.uses FROM (
         SELECT account_id, count(*) AS uses FROM charges
          WHERE environment = $1 AND ${DAY_OF} BETWEEN $2::date AND $3::date
          GROUP BY account_id ORDER BY uses DESC, account_id LIMIT $4
       ) c JOIN accounts a ON a.id = c.account_id ORDER BY c.uses DESC, c.account_id`,
      [environment, range.start, range.end, limit],
    );
  }

  async overviewCounts(
    environment: KeyEnvironment,
    since: Date,
  ): Promise<{ accounts: number; new_accounts: number; paid_charges: number; free_charges: number }> {
    const rows: Array<Record<string, string>> = await this.db.query(
      `SELECT (SELECT count(*) FROM accounts WHERE environment = $1) AS accounts,
              (SELECT count(*) FROM accounts WHERE environment = $1 AND created_at >= $2) AS new_accounts,
              (SELECT count(*) FROM charges WHERE environment = $1 AND created_at >= $2 AND funding_source = 'balance') AS paid_charges,
              (SELECT count(*) FROM charges WHERE environment = $1 AND created_at >= $2 AND funding_source <> 'balance') AS free_charges`,
      [environment, since.toISOString()],
    );
    const r = rows[0];
    return {
      accounts: Number(r.accounts),
      new_accounts: Number(r.new_accounts),
      paid_charges: Number(r.paid_charges),
      free_charges: Number(r.free_charges),
    };
  }
}
