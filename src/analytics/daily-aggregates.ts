import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import { DATABASE_URL } from '../common/database/database.module.js';
import {
  BEGIN_SQL,
  CLEAR_CHARGED_ACCOUNTS_SQL,
  CLEAR_REVENUE_DAYS_SQL,
  CLEAR_STALE_DAYS_SQL,
  CLEAR_USAGE_DAYS_SQL,
  COMMIT_SQL,
  lastClosedSql,
  MARK_DAYS_COMPUTED_SQL,
  PENDING_SQL,
  ROLLBACK_SQL,
  ROLLUP_CHARGED_ACCOUNTS_SQL,
  ROLLUP_REVENUE_SQL,
  ROLLUP_USAGE_SQL,
  rollupWorkMemSql,
  TRY_ROLLUP_LOCK_SQL,
  WAIT_ROLLUP_LOCK_SQL,
} from './sql/daily-aggregates.sql.js';

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
      await client.query(BEGIN_SQL);
      const done = await this.rollUpIn(m, start, end, wait);
      await client.query(COMMIT_SQL);
      return done;
    } catch (error) {
      await client.query(ROLLBACK_SQL).catch(() => undefined);
      throw error;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private rollUpIn(m: Queryable, start: string, end: string, wait: boolean): Promise<boolean> {
    return (async () => {
      const lock = wait ? WAIT_ROLLUP_LOCK_SQL : TRY_ROLLUP_LOCK_SQL;
      const [{ locked }] = (await m.query(lock, [ROLLUP_LOCK_KEY])) as Array<{ locked: boolean }>;
      if (!locked) return false;
      await m.query(rollupWorkMemSql(ROLLUP_WORK_MEM));
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
    await m.query(CLEAR_STALE_DAYS_SQL, [first, last]);
    await m.query(CLEAR_USAGE_DAYS_SQL, [first, last]);
    await m.query(CLEAR_REVENUE_DAYS_SQL, [first, last]);
    for (const environment of ENVIRONMENTS) {
      const params = [environment, first, last];
      await m.query(ROLLUP_USAGE_SQL, params);
      await m.query(ROLLUP_REVENUE_SQL, params);
      if (clear) await m.query(CLEAR_CHARGED_ACCOUNTS_SQL, params);
      await m.query(ROLLUP_CHARGED_ACCOUNTS_SQL, params);
    }
    await m.query(MARK_DAYS_COMPUTED_SQL, [first, last]);
  }

  private async pending(m: Queryable, start: string, end: string): Promise<Array<{ day: string; computed: boolean }>> {
    return (await m.query(PENDING_SQL, [start, end])) as Array<{ day: string; computed: boolean }>;
  }

  private async lastClosedDay(): Promise<string> {
    const [row] = (await this.db.manager.query(lastClosedSql(SETTLE_MINUTES))) as Array<{ last_closed: string }>;
    return row.last_closed;
  }
}
