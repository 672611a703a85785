import { Injectable } from '@nestjs/common';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import { Clock, utcDay } from '../common/time/clock.js';
import { Env } from '../config/env.js';
import { AnalyticsRepository, type DayRange, type RevenueRow, type UsageRow } from './analytics.repository.js';
import { InvalidDateRangeError, MAX_REPORT_DAYS } from './analytics.errors.js';
import { ConsoleAnalyticsRepository, type BucketUnit } from './console-analytics.repository.js';
import type { RevenueFigures, RevenueReport, UsageFigures, UsageReport } from './dto/analytics-responses.js';
import type { DateRangeQueryDto } from './dto/date-range.dto.js';
import type { RevenueQueryDto } from './dto/revenue-query.dto.js';

const DAY_MS = 86_400_000;
const DEFAULT_REPORT_DAYS = 30;
const TOTALS_DAY = 'infinity';

/** Whose data: the calling key's environment (v1), or the console's Live | Test switch. */
export interface Scope {
  environment: KeyEnvironment;
}

const dayNumber = (day: string): number => Date.parse(`${day}T00:00:00Z`) / DAY_MS;
const dayString = (n: number): string => new Date(n * DAY_MS).toISOString().slice(0, 10);

function usageFigures(r: UsageRow): UsageFigures {
  const daily = Number(r.daily_free_uses);
  const oneTime = Number(r.one_time_free_uses);
  return {
    charges: Number(r.charges),
    paid_uses: Number(r.paid_uses),
    free_uses: daily + oneTime,
    daily_free_uses: daily,
    one_time_free_uses: oneTime,
    credits_spent: Number(r.credits_spent),
    unique_charged_accounts: Number(r.unique_charged_accounts),
    new_accounts: Number(r.new_accounts),
    credit_checks: Number(r.credit_checks),
    denied_credit_checks: Number(r.denied_credit_checks),
  };
}

function revenueFigures(r: RevenueRow): RevenueFigures {
  const purchase = Number(r.purchase_amount_minor);
  return {
    purchases: Number(r.purchases),
    purchase_amount_minor: purchase,
    revenue_minor: Number(r.revenue_minor),
    credits_added_minor: {
      purchase,
      grant: Number(r.grant_minor),
      refund: Number(r.refund_minor),
      adjustment: Number(r.adjustment_minor),
      total: Number(r.credits_added_minor),
    },
  };
}

/** analytics:read — daily usage and revenue tables for the key's environment, over UTC days. */
@Injectable()
export class AnalyticsService {
  constructor(
    private readonly analytics: AnalyticsRepository,
    private readonly console: ConsoleAnalyticsRepository,
    private readonly clock: Clock,
    private readonly env: Env,
  ) {}

  async usage(principal: Scope, query: DateRangeQueryDto): Promise<UsageReport> {
    const range = this.dayRange(query);
    const rows = await this.analytics.usageByDay(principal.environment, range);
    const totals = rows.find((r) => r.day === TOTALS_DAY);
    return {
      environment: principal.environment,
      start: range.start,
      end: range.end,
      days: rows.filter((r) => r !== totals).map((r) => ({ date: r.day, ...usageFigures(r) })),
      totals: usageFigures(totals!),
    };
  }

  async revenue(principal: Scope, query: RevenueQueryDto): Promise<RevenueReport> {
    const range = this.dayRange(query);
    const currency = query.currency ?? this.env.DEFAULT_CURRENCY.toUpperCase();
    const rows = await this.analytics.revenueByDay(principal.environment, currency, range);
    const totals = rows.find((r) => r.day === TOTALS_DAY);
    return {
      environment: principal.environment,
      currency,
      start: range.start,
      end: range.end,
      days: rows.filter((r) => r !== totals).map((r) => ({ date: r.day, ...revenueFigures(r) })),
      totals: revenueFigures(totals!),
    };
  }

  /** Distinct charged accounts per week or month of the range (the console's bucketed usage). */
  uniqueChargedByBucket(environment: KeyEnvironment, range: DayRange, unit: BucketUnit) {
    return this.console.uniqueChargedByBucket(environment, range, unit);
  }

  /** The accounts with the most uses over the range. */
  topAccounts(environment: KeyEnvironment, range: DayRange, limit: number) {
    return this.console.topAccounts(environment, range, limit);
  }

  /** Accounts (total, created since), charges since (paid, free): the console's overview cards. */
  overviewCounts(environment: KeyEnvironment, since: Date) {
    return this.console.overviewCounts(environment, since);
  }

  /** `end` defaults to today (UTC), `start` to 29 days before `end`; at most 366 days, inclusive. */
  dayRange(query: DateRangeQueryDto): DayRange {
    const end = query.end ? dayNumber(query.end) : dayNumber(utcDay(this.clock.now()));
    const start = query.start ? dayNumber(query.start) : end - (DEFAULT_REPORT_DAYS - 1);
    if (start > end) throw new InvalidDateRangeError('end must not be before start');
    if (end - start + 1 > MAX_REPORT_DAYS) {
      throw new InvalidDateRangeError(`date range must not exceed ${MAX_REPORT_DAYS} days`);
    }
    return { start: dayString(start), end: dayString(end) };
  }
}
