// The analytics reports at scale, with and without the daily aggregates: times the original
// single-pass queries over the ledger (USAGE_SQL / REVENUE_SQL), the first roll-up of the closed days
// (what the first report after a deploy, or the background roll-up, pays once), and the reports read
// from the aggregates, and checks that both give identical rows.
//   npm run build && node bench/analytics/aggregates.mjs postgres://.../scratch_db [days=366] [--skip-ledger]
// On a database loaded with bench/analytics/generate-dataset.sql and migrated (node dist/cli migrate).
import pg from 'pg';
import { DailyAggregates } from '../../dist/analytics/daily-aggregates.js';
import { REVENUE_SQL, USAGE_SQL } from '../../dist/analytics/sql/analytics.sql.js';
import {
  REVENUE_FROM_AGGREGATES_SQL,
  USAGE_FROM_AGGREGATES_SQL,
} from '../../dist/analytics/sql/daily-aggregates.sql.js';

const [url, daysArg, ...flags] = process.argv.slice(2);
if (!url) throw new Error('usage: node bench/analytics/aggregates.mjs <database-url> [days] [--skip-ledger] [--reset]');
const DAYS = Number(daysArg ?? 366);
const pool = new pg.Pool({ connectionString: url, max: 4 });
const rows = async (client, sql, params) => (await client.query(sql, params)).rows;

/** The DataSource surface DailyAggregates uses (manager.query, transaction), on a plain pg pool. */
const dataSource = {
  manager: { query: (sql, params) => rows(pool, sql, params) },
  async transaction(fn) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn({ query: (sql, params) => rows(client, sql, params) });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  },
};

/** A report as AnalyticsRepository runs it: read-only, 64 MB of work_mem. */
async function report(sql, params) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN READ ONLY; SET LOCAL work_mem = '64MB'");
    const started = performance.now();
    const result = await rows(client, sql, params);
    const ms = performance.now() - started;
    await client.query('COMMIT');
    return { rows: result, ms };
  } finally {
    client.release();
  }
}

const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const [start, end] = [day(-(DAYS - 1)), day(0)];
const aggregates = new DailyAggregates(dataSource, url);
if (flags.includes('--reset')) {
  await pool.query(
    'TRUNCATE analytics_rollup_days, analytics_stale_days, analytics_usage_daily, analytics_revenue_daily, analytics_charged_accounts',
  );
}
let started = performance.now();
await aggregates.rollUpRange(start, end);
const lastClosed = await aggregates.aggregatedThrough(start, end);
console.log(
  `roll-up of the closed days of ${start} .. ${end} (through ${lastClosed}): ${(performance.now() - started).toFixed(0)} ms`,
);
started = performance.now();
await aggregates.aggregatedThrough(start, end);
console.log(`aggregatedThrough() once computed: ${(performance.now() - started).toFixed(1)} ms`);

for (const env of ['live', 'test']) {
  const usage = await report(USAGE_FROM_AGGREGATES_SQL, [env, start, end, lastClosed]);
  const usageAgain = await report(USAGE_FROM_AGGREGATES_SQL, [env, start, end, lastClosed]);
  const revenue = await report(REVENUE_FROM_AGGREGATES_SQL, [env, start, end, 'USD', lastClosed]);
  const revenueAgain = await report(REVENUE_FROM_AGGREGATES_SQL, [env, start, end, 'USD', lastClosed]);
  console.log(
    `${env}, ${DAYS} days from the aggregates: usage ${usage.ms.toFixed(0)} / ${usageAgain.ms.toFixed(0)} ms, ` +
      `revenue ${revenue.ms.toFixed(0)} / ${revenueAgain.ms.toFixed(0)} ms (first / second run)`,
  );
  if (flags.includes('--skip-ledger')) continue;
  const ledgerUsage = await report(USAGE_SQL, [env, start, end]);
  const ledgerRevenue = await report(REVENUE_SQL, [env, start, end, 'USD']);
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  console.log(
    `${env}, ${DAYS} days from the ledger:    usage ${ledgerUsage.ms.toFixed(0)} ms, revenue ${ledgerRevenue.ms.toFixed(0)} ms; ` +
      `identical: usage ${same(ledgerUsage.rows, usage.rows) ? 'yes' : 'NO'}, revenue ${same(ledgerRevenue.rows, revenue.rows) ? 'yes' : 'NO'}`,
  );
  if (!same(ledgerUsage.rows, usage.rows) || !same(ledgerRevenue.rows, revenue.rows)) process.exitCode = 1;
}
await pool.end();
