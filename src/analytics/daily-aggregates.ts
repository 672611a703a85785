import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import { DATABASE_URL } from '../common/database/database.module.js';

/** What the roll-up's queries run on: a TypeORM manager, or the roll-up's own connection. */
type Queryable = { query(sql: string, params?: unknown[]): Promise<unknown> };

/*
 * Daily aggregates (migration 1796130130699-DailyAnalyticsAggregates): a closed UTC day's usage and
 * revenue figures are computed once and read by every later report, so a report reads one row per
 * day (and one row per charged account for the range's distinct count) instead of every ledger row.
 * Only the days not closed yet (today, and yesterday for the first SETTLE_MINUTES after midnight) are
 * computed from the ledger at report time. Charges and credit checks write nothing here.
 *
 * A day is closed SETTLE_MINUTES after its UTC midnight by the database's clock, which is the clock
 * that stamps every ledger row (`created_at DEFAULT now()`): a row of day D comes from a transaction
 * that started on D, and the service's transactions last milliseconds, so by then every row of D is
 * committed. Rows that still arrive for a past day (a transaction that straddled midnight, a backfill,
 * a restore) mark their day in analytics_stale_days (a trigger whose WHEN clause is false for every
 * ordinary row), and the next roll-up recomputes that day; updated or deleted rows of a past day
 * mark it the same way.
 */

export const SETTLE_MINUTES = 15;
const ENVIRONMENTS: readonly KeyEnvironment[] = ['live', 'test'];
/** pg_try_advisory_xact_lock key: one replica computes a day; the others skip it and find it done later. */
export const ROLLUP_LOCK_KEY = 0x0c1a_da11;
/** The background roll-up keeps this many closed days ready (a year: the longest report). */
const BACKGROUND_DAYS = 366;
const BACKGROUND_RETRY_MS = 2_000;
const BACKGROUND_RETRIES = 30;
/** Days per roll-up transaction (bounded transactions; progress is kept if a replica stops). */
const CHUNK_DAYS = 31;
/** A report rolls up at most this many pending days itself (normally 1: yesterday). */
const INLINE_DAYS = 3;
const BACKGROUND_FIRST_RUN_MS = 30_000;
const BACKGROUND_INTERVAL_MS = 10 * 60_000;
const ROLLUP_WORK_MEM = '64MB';
/** A roll-up statement may scan a month of a large ledger: not bound by the request path's timeout. */
const ROLLUP_STATEMENT_TIMEOUT_MS = 15 * 60_000;

const DAY_OF = `((created_at AT TIME ZONE 'UTC')::date)`;
const CREDITED_DAY = `((credited_at AT TIME ZONE 'UTC')::date)`;

/** The last closed UTC day by the database's clock. */
const LAST_CLOSED_SQL = `SELECT (((now() - interval '${SETTLE_MINUTES} minutes') AT TIME ZONE 'UTC')::date - 1)::text AS last_closed`;

/** Days of [$1, $2] that have no aggregate yet, or whose aggregate is stale. */
const PENDING_SQL = `
SELECT d.day::text AS day, EXISTS (SELECT 1 FROM analytics_rollup_days r WHERE r.day = d.day) AS computed
  FROM generate_series(0, $2::date - $1::date) AS i, LATERAL (SELECT $1::date + i AS day) d
 WHERE NOT EXISTS (SELECT 1 FROM analytics_rollup_days r WHERE r.day = d.day)
    OR EXISTS (SELECT 1 FROM analytics_stale_days s WHERE s.day = d.day)
 ORDER BY 1`;

/** $1 environment, [$2, $3] closed days: one row per day, zeros included. */
const ROLLUP_USAGE_SQL = `
INSERT INTO analytics_usage_daily (environment, day, charges, paid_uses, daily_free_uses, one_time_free_uses,
                                   credits_spent, unique_charged_accounts, new_accounts, credit_checks, denied_credit_checks)
SELECT $1, d.day, COALESCE(ch.charges, 0), COALESCE(ch.paid_uses, 0), COALESCE(ch.daily_free_uses, 0),
       COALESCE(ch.one_time_free_uses, 0), COALESCE(ch.credits_spent, 0), COALESCE(ch.unique_charged_accounts, 0),
       COALESCE(acc.new_accounts, 0), COALESCE(chk.credit_checks, 0), COALESCE(chk.denied_credit_checks, 0)
  FROM (SELECT $2::date + i AS day FROM generate_series(0, $3::date - $2::date) AS i) d
  LEFT JOIN (
    SELECT ${DAY_OF} AS day, count(*) AS charges,
           count(*) FILTER (WHERE funding_source = 'balance') AS paid_uses,
           count(*) FILTER (WHERE funding_source = 'daily_free') AS daily_free_uses,
           count(*) FILTER (WHERE funding_source = 'free') AS one_time_free_uses,
           sum(balance_debit_minor) AS credits_spent,
           count(DISTINCT account_id) AS unique_charged_accounts
      FROM charges WHERE environment = $1 AND ${DAY_OF} BETWEEN $2::date AND $3::date GROUP BY 1
  ) ch ON ch.day = d.day
  LEFT JOIN (
    SELECT ${DAY_OF} AS day, count(*) AS new_accounts
      FROM accounts WHERE environment = $1 AND ${DAY_OF} BETWEEN $2::date AND $3::date GROUP BY 1
  ) acc ON acc.day = d.day
  LEFT JOIN (
    SELECT ${DAY_OF} AS day, count(*) AS credit_checks, count(*) FILTER (WHERE NOT has_credit) AS denied_credit_checks
      FROM credit_checks WHERE environment = $1 AND ${DAY_OF} BETWEEN $2::date AND $3::date GROUP BY 1
  ) chk ON chk.day = d.day`;

/** $1 environment, [$2, $3] closed days: one row per currency and day with credits or credited Stripe purchases. */
const ROLLUP_REVENUE_SQL = `
INSERT INTO analytics_revenue_daily (environment, currency, day, purchases, purchase_amount_minor, grant_minor, refund_minor,
                                     adjustment_minor, credits_added_minor, stripe_paid_minor, stripe_uses_credited)
SELECT $1, currency, day, COALESCE(cr.purchases, 0), COALESCE(cr.purchase_amount_minor, 0), COALESCE(cr.grant_minor, 0),
       COALESCE(cr.refund_minor, 0), COALESCE(cr.adjustment_minor, 0), COALESCE(cr.credits_added_minor, 0),
       COALESCE(st.paid_minor, 0), COALESCE(st.uses_credited, 0)
  FROM (
    SELECT currency, ${DAY_OF} AS day,
           count(*) FILTER (WHERE transaction_type = 'purchase') AS purchases,
           sum(amount_minor) FILTER (WHERE transaction_type = 'purchase') AS purchase_amount_minor,
           sum(amount_minor) FILTER (WHERE transaction_type = 'grant') AS grant_minor,
           sum(amount_minor) FILTER (WHERE transaction_type = 'refund') AS refund_minor,
           sum(amount_minor) FILTER (WHERE transaction_type = 'adjustment') AS adjustment_minor,
           sum(amount_minor) AS credits_added_minor
      FROM credits WHERE environment = $1 AND ${DAY_OF} BETWEEN $2::date AND $3::date GROUP BY 1, 2
  ) cr
  FULL JOIN (
    SELECT currency, ${CREDITED_DAY} AS day, sum(amount_minor) AS paid_minor, sum(uses_purchased) AS uses_credited
      FROM purchases
     WHERE environment = $1 AND credit_id IS NOT NULL AND ${CREDITED_DAY} BETWEEN $2::date AND $3::date
     GROUP BY 1, 2
  ) st USING (currency, day)`;

/*
 * Charged accounts, for the distinct count over a range: per environment and account, a bit per day
 * in overlapping periods of 732 days, period k covering days [366k, 366k + 731] counted from
 * 2000-01-01. Every day lies in two periods (k = floor(n / 366) and k - 1), so any range of at most
 * 366 days lies within period floor(start / 366): the distinct count is one row per account of that
 * period, with no de-duplication across rows.
 */
const PERIOD_DAYS = 366;
const PERIOD_BITS = 2 * PERIOD_DAYS;
const dayIndex = (day: string): string => `(${day} - DATE '2000-01-01')`;
const periodOf = (day: string): string => `floor(${dayIndex(day)}::numeric / ${PERIOD_DAYS})::int`;
/** The bits of days [first, last] in period k (first <= last, both within the period's days). */
const maskOf = (k: string, first: string, last: string): string => `(
  repeat('0', GREATEST(${dayIndex(first)} - ${k} * ${PERIOD_DAYS}, 0))
  || repeat('1', LEAST(${dayIndex(last)} - ${k} * ${PERIOD_DAYS}, ${PERIOD_BITS - 1}) - GREATEST(${dayIndex(first)} - ${k} * ${PERIOD_DAYS}, 0) + 1)
  || repeat('0', ${PERIOD_BITS - 1} - LEAST(${dayIndex(last)} - ${k} * ${PERIOD_DAYS}, ${PERIOD_BITS - 1}))
)::bit(${PERIOD_BITS})`;

/** $1 environment, [$2, $3] days being recomputed: clears their bits (rows moved or deleted since). */
const CLEAR_CHARGED_ACCOUNTS_SQL = `
WITH m AS MATERIALIZED (
  SELECT k AS period, ${maskOf('k', '$2::date', '$3::date')} AS mask
    FROM generate_series(${periodOf('$2::date')} - 1, ${periodOf('$3::date')}) AS k
)
UPDATE analytics_charged_accounts a SET days = a.days & ~m.mask
  FROM m
 WHERE a.environment = $1 AND a.period = m.period AND bit_count(a.days & m.mask) > 0`;

/** $1 environment, [$2, $3] closed days: sets each day's bit, in both its periods, for every account charged that day. */
const ROLLUP_CHARGED_ACCOUNTS_SQL = `
INSERT INTO analytics_charged_accounts (environment, period, account_id, days)
SELECT $1, p.period, c.account_id, bit_or(set_bit(B'0'::bit(${PERIOD_BITS}), c.n - p.period * ${PERIOD_DAYS}, 1))
  FROM (SELECT DISTINCT ${dayIndex(DAY_OF)} AS n, account_id FROM charges
         WHERE environment = $1 AND ${DAY_OF} BETWEEN $2::date AND $3::date) c,
       LATERAL (VALUES (floor(c.n::numeric / ${PERIOD_DAYS})::int), (floor(c.n::numeric / ${PERIOD_DAYS})::int - 1)) AS p(period)
 GROUP BY p.period, c.account_id
ON CONFLICT (environment, period, account_id) DO UPDATE SET days = analytics_charged_accounts.days | EXCLUDED.days`;

/*
 * The reports. $1 environment, [$2, $3] the report's days, $4 the last day read from the aggregates
 * (every day of [$2, min($3, $4)] has one); the days after it are computed from the ledger as the
 * original single-pass queries did. The last row (day 'infinity') holds the totals.
 */
const AGG_END = `LEAST($3::date, $4::date)`;
const LIVE_START = `GREATEST($2::date, $4::date + 1)`;
const DAYS = `days AS (
  SELECT $2::date + i AS day FROM generate_series(0, $3::date - $2::date) AS i
  UNION ALL SELECT 'infinity'::date
)`;

export const USAGE_FROM_AGGREGATES_SQL = `
WITH ${DAYS}, ch_live AS (
  SELECT ${DAY_OF} AS day,
         count(*) AS charges,
         count(*) FILTER (WHERE funding_source = 'balance') AS paid_uses,
         count(*) FILTER (WHERE funding_source = 'daily_free') AS daily_free_uses,
         count(*) FILTER (WHERE funding_source = 'free') AS one_time_free_uses,
         sum(balance_debit_minor) AS credits_spent,
         count(DISTINCT account_id) AS unique_charged_accounts
    FROM charges
   WHERE environment = $1 AND ${DAY_OF} BETWEEN ${LIVE_START} AND $3::date
   GROUP BY 1
), acc_live AS (
  SELECT ${DAY_OF} AS day, count(*) AS new_accounts
    FROM accounts
   WHERE environment = $1 AND ${DAY_OF} BETWEEN ${LIVE_START} AND $3::date
   GROUP BY 1
), chk_live AS (
  SELECT ${DAY_OF} AS day, count(*) AS credit_checks, count(*) FILTER (WHERE NOT has_credit) AS denied_credit_checks
    FROM credit_checks
   WHERE environment = $1 AND ${DAY_OF} BETWEEN ${LIVE_START} AND $3::date
   GROUP BY 1
), per_day AS (
  SELECT day, charges, paid_uses, daily_free_uses, one_time_free_uses, credits_spent::numeric AS credits_spent,
         unique_charged_accounts, new_accounts, credit_checks, denied_credit_checks
    FROM analytics_usage_daily
   WHERE environment = $1 AND day BETWEEN $2::date AND ${AGG_END}
  UNION ALL
  SELECT d.day, COALESCE(ch.charges, 0), COALESCE(ch.paid_uses, 0), COALESCE(ch.daily_free_uses, 0),
         COALESCE(ch.one_time_free_uses, 0), COALESCE(ch.credits_spent, 0), COALESCE(ch.unique_charged_accounts, 0),
         COALESCE(acc.new_accounts, 0), COALESCE(chk.credit_checks, 0), COALESCE(chk.denied_credit_checks, 0)
    FROM days d
    LEFT JOIN ch_live ch ON ch.day = d.day
    LEFT JOIN acc_live acc ON acc.day = d.day
    LEFT JOIN chk_live chk ON chk.day = d.day
   WHERE d.day BETWEEN ${LIVE_START} AND $3::date
), mask AS MATERIALIZED (
  -- The aggregated days' bits in the period that holds the range (none when no day is aggregated).
  SELECT ${periodOf('$2::date')} AS period, ${maskOf(periodOf('$2::date'), '$2::date', AGG_END)} AS mask
   WHERE $2::date <= ${AGG_END}
), charged_agg AS (
  SELECT a.account_id
    FROM analytics_charged_accounts a, mask m
   WHERE a.environment = $1 AND a.period = m.period AND bit_count(a.days & m.mask) > 0
), charged_live AS (
  SELECT DISTINCT account_id FROM charges WHERE environment = $1 AND ${DAY_OF} BETWEEN ${LIVE_START} AND $3::date
), charged_count AS (
  SELECT (SELECT count(*) FROM charged_agg)
       + (SELECT count(*) FROM charged_live l
           WHERE NOT EXISTS (SELECT 1 FROM analytics_charged_accounts a, mask m
                              WHERE a.environment = $1 AND a.period = m.period AND a.account_id = l.account_id
                                AND bit_count(a.days & m.mask) > 0)) AS n
), all_rows AS (
  SELECT * FROM per_day
  UNION ALL
  SELECT 'infinity', sum(charges), sum(paid_uses), sum(daily_free_uses), sum(one_time_free_uses), sum(credits_spent),
         (SELECT n FROM charged_count), sum(new_accounts), sum(credit_checks), sum(denied_credit_checks)
    FROM per_day
)
SELECT d.day::text AS day,
       COALESCE(r.charges, 0)::text AS charges,
       COALESCE(r.paid_uses, 0)::text AS paid_uses,
       COALESCE(r.daily_free_uses, 0)::text AS daily_free_uses,
       COALESCE(r.one_time_free_uses, 0)::text AS one_time_free_uses,
       COALESCE(r.credits_spent, 0)::text AS credits_spent,
       COALESCE(r.unique_charged_accounts, 0)::text AS unique_charged_accounts,
       COALESCE(r.new_accounts, 0)::text AS new_accounts,
       COALESCE(r.credit_checks, 0)::text AS credit_checks,
       COALESCE(r.denied_credit_checks, 0)::text AS denied_credit_checks
  FROM days d
  LEFT JOIN all_rows r ON r.day = d.day
 ORDER BY d.day`;

/** $1 environment, [$2, $3] days, $4 currency, $5 the last day read from the aggregates. */
const REV_AGG_END = `LEAST($3::date, $5::date)`;
const REV_LIVE_START = `GREATEST($2::date, $5::date + 1)`;

export const REVENUE_FROM_AGGREGATES_SQL = `
WITH ${DAYS}, cr_live AS (
  SELECT ${DAY_OF} AS day,
         count(*) FILTER (WHERE transaction_type = 'purchase') AS purchases,
         sum(amount_minor) FILTER (WHERE transaction_type = 'purchase') AS purchase_amount_minor,
         sum(amount_minor) FILTER (WHERE transaction_type = 'grant') AS grant_minor,
         sum(amount_minor) FILTER (WHERE transaction_type = 'refund') AS refund_minor,
         sum(amount_minor) FILTER (WHERE transaction_type = 'adjustment') AS adjustment_minor,
         sum(amount_minor) AS credits_added_minor
    FROM credits
   WHERE environment = $1 AND ${DAY_OF} BETWEEN ${REV_LIVE_START} AND $3::date AND currency = $4
   GROUP BY 1
), st_live AS (
  SELECT ${CREDITED_DAY} AS day, sum(amount_minor) AS paid_minor, sum(uses_purchased) AS uses_credited
    FROM purchases
   WHERE environment = $1 AND credit_id IS NOT NULL AND currency = $4
     AND ${CREDITED_DAY} BETWEEN ${REV_LIVE_START} AND $3::date
   GROUP BY 1
), per_day AS (
  SELECT day, purchases, purchase_amount_minor, grant_minor, refund_minor, adjustment_minor, credits_added_minor,
         stripe_paid_minor AS paid_minor, stripe_uses_credited AS uses_credited
    FROM analytics_revenue_daily
   WHERE environment = $1 AND currency = $4 AND day BETWEEN $2::date AND ${REV_AGG_END}
  UNION ALL
  SELECT COALESCE(cr.day, st.day), COALESCE(cr.purchases, 0), COALESCE(cr.purchase_amount_minor, 0),
         COALESCE(cr.grant_minor, 0), COALESCE(cr.refund_minor, 0), COALESCE(cr.adjustment_minor, 0),
         COALESCE(cr.credits_added_minor, 0), COALESCE(st.paid_minor, 0), COALESCE(st.uses_credited, 0)
    FROM cr_live cr FULL JOIN st_live st ON st.day = cr.day
), all_rows AS (
  SELECT * FROM per_day
  UNION ALL
  SELECT 'infinity', sum(purchases), sum(purchase_amount_minor), sum(grant_minor), sum(refund_minor),
         sum(adjustment_minor), sum(credits_added_minor), sum(paid_minor), sum(uses_credited)
    FROM per_day
)
SELECT d.day::text AS day,
       COALESCE(r.purchases, 0)::text AS purchases,
       COALESCE(r.purchase_amount_minor, 0)::text AS purchase_amount_minor,
       -- Money received: a Stripe purchase's price; a purchase credited by another system through
       -- POST /credits counts its credited amount (1 credit = 1 minor unit).
       (COALESCE(r.purchase_amount_minor, 0) - COALESCE(r.uses_credited, 0) + COALESCE(r.paid_minor, 0))::text AS revenue_minor,
       COALESCE(r.grant_minor, 0)::text AS grant_minor,
       COALESCE(r.refund_minor, 0)::text AS refund_minor,
       COALESCE(r.adjustment_minor, 0)::text AS adjustment_minor,
       COALESCE(r.credits_added_minor, 0)::text AS credits_added_minor
  FROM days d
  LEFT JOIN all_rows r ON r.day = d.day
 ORDER BY d.day`;

const DAY_MS = 86_400_000;
const dayNumber = (day: string): number => Date.parse(`${day}T00:00:00Z`) / DAY_MS;
const dayString = (n: number): string => new Date(n * DAY_MS).toISOString().slice(0, 10);

/** Consecutive days as [first, last] runs, so each run is one range scan per table. */
export function runsOf(days: readonly string[]): Array<[string, string]> {
  const runs: Array<[string, string]> = [];
  for (const day of days) {
    const last = runs[runs.length - 1];
    if (last && dayNumber(day) === dayNumber(last[1]) + 1) last[1] = day;
    else runs.push([day, day]);
  }
  return runs;
}

/**
 * Computes and keeps the daily aggregates. Every replica runs a timer that rolls up the closed days of
 * the last {@link BACKGROUND_DAYS} days, in chunks of {@link CHUNK_DAYS} days, each in a transaction
 * holding an advisory lock, so one replica does the work and the others skip it. A report rolls up the
 * few closed days it needs itself (normally none: yesterday, right after it closes); when it needs
 * more, or another replica holds the lock, it starts the roll-up in the background and computes those
 * days from the ledger meanwhile — a report never waits for a roll-up, and is never wrong.
 */
@Injectable()
export class DailyAggregates implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DailyAggregates.name);
  private timer?: NodeJS.Timeout;
  private background?: Promise<void>;
  /** Ranges waiting for the background roll-up, oldest first. */
  private readonly queue: Array<[string, string]> = [];
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(DATABASE_URL) private readonly databaseUrl: string,
  ) {}

  onApplicationBootstrap(): void {
    const tick = (): void => {
      void this.rollUpRecent();
      this.timer = setTimeout(tick, BACKGROUND_INTERVAL_MS);
      this.timer.unref();
    };
    this.timer = setTimeout(tick, BACKGROUND_FIRST_RUN_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.background;
  }

  /** The background roll-up of the last {@link BACKGROUND_DAYS} closed days. */
  async rollUpRecent(): Promise<void> {
    try {
      const lastClosed = await this.lastClosedDay();
      await this.rollUpInBackground(dayString(dayNumber(lastClosed) - (BACKGROUND_DAYS - 1)), lastClosed);
    } catch (error) {
      this.logger.warn(`Daily analytics roll-up failed: ${(error as Error).message}`);
    }
  }

  /**
   * For a report over [start, end]: the last day up to which every day of the range has a current
   * aggregate (the report computes the days after it from the ledger). Rolls up at most
   * {@link INLINE_DAYS} pending closed days itself; more start a background roll-up.
   */
  async aggregatedThrough(start: string, end: string): Promise<string> {
    const lastClosed = await this.lastClosedDay();
    const through = dayNumber(end) < dayNumber(lastClosed) ? end : lastClosed;
    if (dayNumber(start) > dayNumber(through)) return lastClosed;
    const pending = await this.pending(this.db.manager, start, through);
    if (pending.length === 0) return lastClosed;
    if (pending.length <= INLINE_DAYS && (await this.rollUp(start, through))) return lastClosed;
    void this.rollUpInBackground(start, through);
    return dayString(dayNumber(pending[0].day) - 1);
  }

  /**
   * Rolls up every pending closed day of [start, end] now (days not closed yet are left alone), in
   * chunks; false when another replica holds the lock, unless `wait` (then it waits for it).
   */
  async rollUpRange(start: string, end: string, { wait = false } = {}): Promise<boolean> {
    const through = Math.min(dayNumber(end), dayNumber(await this.lastClosedDay()));
    for (let first = dayNumber(start); first <= through; first += CHUNK_DAYS) {
      const last = Math.min(first + CHUNK_DAYS - 1, through);
      if (this.stopped || !(await this.rollUp(dayString(first), dayString(last), wait))) return false;
    }
    return true;
  }

  /**
   * Queues [start, end] for the background roll-up (one loop per process). While another replica
   * holds the lock the loop tries again every {@link BACKGROUND_RETRY_MS}, a limited number of times
   * (then the timer takes over). Errors are logged, never thrown at a report.
   */
  private rollUpInBackground(start: string, end: string): Promise<void> {
    if (!this.queue.some(([s, e]) => s <= start && e >= end)) this.queue.push([start, end]);
    this.background ??= (async () => {
      let busy = 0;
      while (this.queue.length > 0 && !this.stopped && busy < BACKGROUND_RETRIES) {
        const [first, last] = this.queue[0];
        if (await this.rollUpRange(first, last)) {
          this.queue.shift();
          busy = 0;
        } else {
          busy++;
          await new Promise((resolve) => setTimeout(resolve, BACKGROUND_RETRY_MS).unref());
        }
      }
      this.queue.length = 0;
    })()
      .catch((error: unknown) => {
        this.queue.length = 0;
        this.logger.warn(`Daily analytics roll-up failed: ${(error as Error).message}`);
      })
      .finally(() => (this.background = undefined));
    return this.background;
  }

  /**
   * The pending closed days of [start, end] in one transaction under the lock; false if the lock is
   * taken. On a connection of its own, outside the request pool: its statements may run for longer
   * than the request path's statement timeout, and it never holds a connection a request is waiting for.
   */
  private async rollUp(start: string, end: string, wait = false): Promise<boolean> {
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      application_name: 'ciris-billing-analytics-rollup',
      statement_timeout: ROLLUP_STATEMENT_TIMEOUT_MS,
    });
    await client.connect();
    const m: Queryable = { query: async (sql, params) => (await client.query(sql, params)).rows as unknown };
    try {
      await client.query('BEGIN');
      const done = await this.rollUpIn(m, start, end, wait);
      await client.query('COMMIT');
      return done;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private rollUpIn(m: Queryable, start: string, end: string, wait: boolean): Promise<boolean> {
    return (async () => {
      const lock = wait ? `pg_advisory_xact_lock($1) IS NOT NULL` : `pg_try_advisory_xact_lock($1)`;
      const [{ locked }] = (await m.query(`SELECT ${lock} AS locked`, [ROLLUP_LOCK_KEY])) as Array<{ locked: boolean }>;
      if (!locked) return false;
      await m.query(`SET LOCAL work_mem = '${ROLLUP_WORK_MEM}'`);
      // Another replica may have done some of them just before.
      const pending = await this.pending(m, start, end);
      const days = pending.map((p) => p.day);
      const recomputed = new Set(pending.filter((p) => p.computed).map((p) => p.day));
      for (const [first, last] of runsOf(days)) {
        const clear = days.some((d) => recomputed.has(d) && d >= first && d <= last);
        await this.rollUpDays(m, first, last, clear);
      }
      if (days.length > 0) {
        this.logger.log(`Daily analytics computed for ${days.length} day(s), ${days[0]} .. ${days[days.length - 1]}`);
      }
      return true;
    })();
  }

  /** Computes [first, last]; `clear` when some of those days were computed before (their bits may be stale). */
  private async rollUpDays(m: Queryable, first: string, last: string, clear: boolean): Promise<void> {
    // Stale marks first: a mark committed after this statement stays, and its day is recomputed later.
    await m.query(`DELETE FROM analytics_stale_days WHERE day BETWEEN $1::date AND $2::date`, [first, last]);
    await m.query(`DELETE FROM analytics_usage_daily WHERE day BETWEEN $1::date AND $2::date`, [first, last]);
    await m.query(`DELETE FROM analytics_revenue_daily WHERE day BETWEEN $1::date AND $2::date`, [first, last]);
    for (const environment of ENVIRONMENTS) {
      const params = [environment, first, last];
      await m.query(ROLLUP_USAGE_SQL, params);
      await m.query(ROLLUP_REVENUE_SQL, params);
      if (clear) await m.query(CLEAR_CHARGED_ACCOUNTS_SQL, params);
      await m.query(ROLLUP_CHARGED_ACCOUNTS_SQL, params);
    }
    await m.query(
      `INSERT INTO analytics_rollup_days (day)
       SELECT $1::date + i FROM generate_series(0, $2::date - $1::date) AS i
       ON CONFLICT (day) DO UPDATE SET computed_at = now()`,
      [first, last],
    );
  }

  private async pending(m: Queryable, start: string, end: string): Promise<Array<{ day: string; computed: boolean }>> {
    return (await m.query(PENDING_SQL, [start, end])) as Array<{ day: string; computed: boolean }>;
  }

  private async lastClosedDay(): Promise<string> {
    const [row] = (await this.db.manager.query(LAST_CLOSED_SQL)) as Array<{ last_closed: string }>;
    return row.last_closed;
  }
}
