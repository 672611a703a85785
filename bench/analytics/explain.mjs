// EXPLAIN (ANALYZE, BUFFERS) of the analytics report queries, exactly as the service runs them.
// Usage: npm run build && node bench/analytics/explain.mjs postgres://.../scratch_db [TimeZone]
import pg from 'pg';
import { REVENUE_SQL, USAGE_SQL } from '../../dist/analytics/sql/analytics.sql.js';

const url = process.argv[2];
const timeZone = process.argv[3] ?? 'UTC';
if (!url) throw new Error('usage: node bench/analytics/explain.mjs <database-url> [TimeZone]');

const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const cases = [
  ['usage, live, last 30 days', USAGE_SQL, ['live', day(-29), day(0)]],
  ['usage, test, last 30 days', USAGE_SQL, ['test', day(-29), day(0)]],
  ['usage, live, 366 days', USAGE_SQL, ['live', day(-365), day(0)]],
  ['revenue, live, last 30 days', REVENUE_SQL, ['live', day(-29), day(0), 'USD']],
  ['revenue, live, 366 days', REVENUE_SQL, ['live', day(-365), day(0), 'USD']],
];

const client = new pg.Client({ connectionString: url });
await client.connect();
await client.query(`SET TimeZone = '${timeZone.replace(/'/g, "''")}'`);
for (const [name, sql, params] of cases) {
  await client.query("SET work_mem = '64MB'"); // as AnalyticsRepository does (SET LOCAL)
  await client.query(sql, params); // warm the cache: the figures are for a warm server
  const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
  const plan = rows.map((r) => r['QUERY PLAN']);
  const scans = plan.filter((l) => /Index Only Scan|Index Scan|Seq Scan|Bitmap Heap Scan|Heap Fetches/.test(l));
  console.log(`\n=== ${name} (${params.slice(1, 3).join(' .. ')}) ===`);
  for (const line of scans) console.log(line.trimEnd());
  console.log(plan.filter((l) => /Planning Time|Execution Time/.test(l)).join('\n'));
  if (process.env.FULL_PLAN) console.log(plan.join('\n'));
}
await client.end();
