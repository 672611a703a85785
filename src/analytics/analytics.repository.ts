import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';

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
  grant_minor: string;
  refund_minor: string;
  adjustment_minor: string;
  credits_added_minor: string;
}

/*
 * Time-zone safety: a UTC day D is the half-open timestamptz range
 * [D::timestamp AT TIME ZONE 'UTC', (D + 1)::timestamp AT TIME ZONE 'UTC'), and a row's day is
 * (created_at AT TIME ZONE 'UTC')::date. Neither depends on the session's TimeZone. The days are
 * generated as date + integer, never through timestamptz, for the same reason.
 *
 * Each aggregate scans one environment's rows in the range through a covering
 * (environment, created_at) INCLUDE (...) index, grouped by ROLLUP so the same scan also yields
 * the range totals (with a true distinct count of charged accounts); the totals row has a NULL day,
 * keyed here as 'infinity' so that it joins like any other day.
 */
const RANGE = `created_at >= ($2::date)::timestamp AT TIME ZONE 'UTC'
           AND created_at < ($3::date + 1)::timestamp AT TIME ZONE 'UTC'`;
const DAY_OF = `(created_at AT TIME ZONE 'UTC')::date`;
const DAYS = `days AS (
  SELECT $2::date + i AS day FROM generate_series(0, $3::date - $2::date) AS i
  UNION ALL SELECT 'infinity'::date
)`;

export const USAGE_SQL = `
WITH ${DAYS}, ch AS (
  SELECT COALESCE(${DAY_OF}, 'infinity') AS day,
         count(*) AS charges,
         count(*) FILTER (WHERE funding_source = 'balance') AS paid_uses,
         count(*) FILTER (WHERE funding_source = 'daily_free') AS daily_free_uses,
         count(*) FILTER (WHERE funding_source = 'free') AS one_time_free_uses,
         sum(balance_debit_minor) AS credits_spent,
         count(DISTINCT account_id) AS unique_charged_accounts
    FROM charges
   WHERE environment = $1 AND ${RANGE}
   GROUP BY ROLLUP (${DAY_OF})
), acc AS (
  SELECT COALESCE(${DAY_OF}, 'infinity') AS day, count(*) AS new_accounts
    FROM accounts
   WHERE environment = $1 AND ${RANGE}
   GROUP BY ROLLUP (${DAY_OF})
), chk AS (
  SELECT COALESCE(${DAY_OF}, 'infinity') AS day,
         count(*) AS credit_checks,
         count(*) FILTER (WHERE NOT has_credit) AS denied_credit_checks
    FROM credit_checks
   WHERE environment = $1 AND ${RANGE}
   GROUP BY ROLLUP (${DAY_OF})
)
SELECT d.day::text AS day,
       COALESCE(ch.charges, 0)::text AS charges,
       COALESCE(ch.paid_uses, 0)::text AS paid_uses,
       COALESCE(ch.daily_free_uses, 0)::text AS daily_free_uses,
       COALESCE(ch.one_time_free_uses, 0)::text AS one_time_free_uses,
       COALESCE(ch.credits_spent, 0)::text AS credits_spent,
       COALESCE(ch.unique_charged_accounts, 0)::text AS unique_charged_accounts,
       COALESCE(acc.new_accounts, 0)::text AS new_accounts,
       COALESCE(chk.credit_checks, 0)::text AS credit_checks,
       COALESCE(chk.denied_credit_checks, 0)::text AS denied_credit_checks
  FROM days d
  LEFT JOIN ch ON ch.day = d.day
  LEFT JOIN acc ON acc.day = d.day
  LEFT JOIN chk ON chk.day = d.day
 ORDER BY d.day`;

export const REVENUE_SQL = `
WITH ${DAYS}, cr AS (
  SELECT COALESCE(${DAY_OF}, 'infinity') AS day,
         count(*) FILTER (WHERE transaction_type = 'purchase') AS purchases,
         sum(amount_minor) FILTER (WHERE transaction_type = 'purchase') AS purchase_amount_minor,
         sum(amount_minor) FILTER (WHERE transaction_type = 'grant') AS grant_minor,
         sum(amount_minor) FILTER (WHERE transaction_type = 'refund') AS refund_minor,
         sum(amount_minor) FILTER (WHERE transaction_type = 'adjustment') AS adjustment_minor,
         sum(amount_minor) AS credits_added_minor
    FROM credits
   WHERE environment = $1 AND currency = $4 AND ${RANGE}
   GROUP BY ROLLUP (${DAY_OF})
)
SELECT d.day::text AS day,
       COALESCE(cr.purchases, 0)::text AS purchases,
       COALESCE(cr.purchase_amount_minor, 0)::text AS purchase_amount_minor,
       COALESCE(cr.grant_minor, 0)::text AS grant_minor,
       COALESCE(cr.refund_minor, 0)::text AS refund_minor,
       COALESCE(cr.adjustment_minor, 0)::text AS adjustment_minor,
       COALESCE(cr.credits_added_minor, 0)::text AS credits_added_minor
  FROM days d
  LEFT JOIN cr ON cr.day = d.day
 ORDER BY d.day`;

/** The analytics reports: read-only aggregates over the ledger, computed in SQL. */
@Injectable()
export class AnalyticsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  usageByDay(environment: KeyEnvironment, range: DayRange): Promise<UsageRow[]> {
    return this.db.query(USAGE_SQL, [environment, range.start, range.end]);
  }

  revenueByDay(environment: KeyEnvironment, currency: string, range: DayRange): Promise<RevenueRow[]> {
    return this.db.query(REVENUE_SQL, [environment, range.start, range.end, currency]);
  }
}
