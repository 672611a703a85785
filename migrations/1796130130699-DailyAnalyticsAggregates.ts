import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The UTC day of a row's timestamp, as the analytics queries write it (immutable: a fixed zone name). */
const day = (row: 'NEW' | 'OLD', column: string): string => `((${row}.${column} AT TIME ZONE 'UTC')::date)`;
/** Today in UTC by the wall clock at the moment the row is written (not the transaction's start). */
const TODAY = `((clock_timestamp() AT TIME ZONE 'UTC')::date)`;

/** Each table a report reads: the timestamp that gives a row its day, and the columns the reports read. */
const TRIGGERS: Array<[table: string, column: string, read: string[]]> = [
  ['charges', 'created_at', ['created_at', 'environment', 'account_id', 'funding_source', 'balance_debit_minor']],
  ['credits', 'created_at', ['created_at', 'environment', 'currency', 'transaction_type', 'amount_minor']],
  ['credit_checks', 'created_at', ['created_at', 'environment', 'has_credit']],
  ['accounts', 'created_at', ['created_at', 'environment']],
  [
    'purchases',
    'credited_at',
    ['credited_at', 'credit_id', 'environment', 'currency', 'amount_minor', 'uses_purchased'],
  ],
];

/**
 * Daily aggregates for the analytics reports (docs/admin-analytics.md): a closed UTC day's figures
 * are computed once, under an advisory lock, and a report reads them instead of that day's ledger
 * rows; only the days not yet closed are computed from the ledger. Nothing here is written by a
 * charge or a credit check: no shared row on the write path.
 *
 * - `analytics_rollup_days`: the days whose aggregates are computed (both environments, all currencies).
 * - `analytics_usage_daily`: one row per environment and day (zeros included) with the usage figures.
 * - `analytics_revenue_daily`: one row per environment, currency and day that had credits or Stripe
 *   purchases credited, with the revenue figures.
 * - `analytics_charged_accounts`: per environment, account and 732-day period (periods overlap by
 *   366 days, so any report range lies within one), a bit per day on which the account was charged:
 *   a range's distinct count of charged accounts (the usage report's totals) reads one row per
 *   account instead of every charge.
 * - `analytics_stale_days`: days whose aggregate may miss rows. A ledger row written for a UTC day
 *   before the current one (a transaction that began before midnight and wrote after it, a backfill,
 *   a restore), and a past day's row updated in a column the reports read or deleted, marks its day
 *   here, from triggers whose WHEN clause is false for every ordinary row (the write path pays one
 *   comparison); the next roll-up recomputes the day.
 */
export class DailyAnalyticsAggregates1796130130699 implements MigrationInterface {
  name = 'DailyAnalyticsAggregates1796130130699';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE analytics_rollup_days (
        day date PRIMARY KEY,
        computed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE TABLE analytics_stale_days (day date PRIMARY KEY, marked_at timestamptz NOT NULL DEFAULT now())`,
    );
    await q.query(`
      CREATE TABLE analytics_usage_daily (
        environment varchar(4) NOT NULL,
        day date NOT NULL,
        charges bigint NOT NULL,
        paid_uses bigint NOT NULL,
        daily_free_uses bigint NOT NULL,
        one_time_free_uses bigint NOT NULL,
        credits_spent numeric NOT NULL,
        unique_charged_accounts bigint NOT NULL,
        new_accounts bigint NOT NULL,
        credit_checks bigint NOT NULL,
        denied_credit_checks bigint NOT NULL,
        PRIMARY KEY (environment, day)
      )`);
    await q.query(`
      CREATE TABLE analytics_revenue_daily (
        environment varchar(4) NOT NULL,
        currency varchar(3) NOT NULL,
        day date NOT NULL,
        purchases bigint NOT NULL,
        purchase_amount_minor numeric NOT NULL,
        grant_minor numeric NOT NULL,
        refund_minor numeric NOT NULL,
        adjustment_minor numeric NOT NULL,
        credits_added_minor numeric NOT NULL,
        stripe_paid_minor numeric NOT NULL,
        stripe_uses_credited numeric NOT NULL,
        PRIMARY KEY (environment, currency, day)
      )`);
    await q.query(`
      CREATE TABLE analytics_charged_accounts (
        environment varchar(4) NOT NULL,
        period integer NOT NULL,
        account_id uuid NOT NULL,
        days bit(732) NOT NULL,
        PRIMARY KEY (environment, period, account_id)
      )`);
    // One marking function per timestamp column: INSERT marks the new row's day, DELETE the old row's,
    // UPDATE both (a row moved between days, or changed in a way the reports read); only days before
    // today (NULL, a purchase not credited, compares as not before).
    for (const column of ['created_at', 'credited_at']) {
      await q.query(`
        CREATE FUNCTION analytics_mark_stale_${column}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
          today date := ${TODAY};
        BEGIN
          IF TG_OP <> 'INSERT' AND (OLD.${column} AT TIME ZONE 'UTC')::date < today THEN
            INSERT INTO analytics_stale_days (day) VALUES ((OLD.${column} AT TIME ZONE 'UTC')::date) ON CONFLICT DO NOTHING;
          END IF;
          IF TG_OP <> 'DELETE' AND (NEW.${column} AT TIME ZONE 'UTC')::date < today THEN
            INSERT INTO analytics_stale_days (day) VALUES ((NEW.${column} AT TIME ZONE 'UTC')::date) ON CONFLICT DO NOTHING;
          END IF;
          RETURN NULL;
        END $$`);
    }
    for (const [table, column, read] of TRIGGERS) {
      const fn = `analytics_mark_stale_${column}()`;
      await q.query(`
        CREATE TRIGGER trg_${table}_analytics_insert AFTER INSERT ON ${table}
          FOR EACH ROW WHEN (${day('NEW', column)} < ${TODAY}) EXECUTE FUNCTION ${fn}`);
      await q.query(`
        CREATE TRIGGER trg_${table}_analytics_update AFTER UPDATE OF ${read.join(', ')} ON ${table}
          FOR EACH ROW WHEN (${day('OLD', column)} < ${TODAY} OR ${day('NEW', column)} < ${TODAY}) EXECUTE FUNCTION ${fn}`);
      await q.query(`
        CREATE TRIGGER trg_${table}_analytics_delete AFTER DELETE ON ${table}
          FOR EACH ROW WHEN (${day('OLD', column)} < ${TODAY}) EXECUTE FUNCTION ${fn}`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table] of TRIGGERS) {
      for (const op of ['insert', 'update', 'delete'])
        await q.query(`DROP TRIGGER trg_${table}_analytics_${op} ON ${table}`);
    }
    await q.query(`DROP FUNCTION analytics_mark_stale_credited_at()`);
    await q.query(`DROP FUNCTION analytics_mark_stale_created_at()`);
    await q.query(`DROP TABLE analytics_charged_accounts`);
    await q.query(`DROP TABLE analytics_revenue_daily`);
    await q.query(`DROP TABLE analytics_usage_daily`);
    await q.query(`DROP TABLE analytics_stale_days`);
    await q.query(`DROP TABLE analytics_rollup_days`);
  }
}
