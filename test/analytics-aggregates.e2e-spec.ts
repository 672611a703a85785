import request from 'supertest';
import type { EntityManager } from 'typeorm';
import { DailyAggregates, ROLLUP_LOCK_KEY, runsOf } from '../src/analytics/daily-aggregates.js';
import { REVENUE_SQL, USAGE_SQL } from '../src/analytics/sql/analytics.sql.js';
import { REVENUE_FROM_AGGREGATES_SQL, USAGE_FROM_AGGREGATES_SQL } from '../src/analytics/sql/daily-aggregates.sql.js';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';

/*
 * The daily aggregates must give exactly what the single-pass queries over the ledger give. This file
 * writes a generated data set into past UTC days no other test touches (20 December 2003 to 5 March
 * 2004: a year boundary and a leap day), with rows on both sides of midnights, in both environments,
 * two currencies and Stripe purchases; then it compares, in one snapshot, the reports read from the
 * aggregates with the original queries (USAGE_SQL and REVENUE_SQL, which the service used before),
 * for several ranges and several splits between aggregated and live days. Then rows arrive late for
 * days already aggregated (inserted, moved to another day, deleted), and the comparison is repeated.
 */

const FIRST = '2003-12-20';
const LAST = '2004-03-05';
const DAY_MS = 86_400_000;
const dayNumber = (d: string): number => Date.parse(`${d}T00:00:00Z`) / DAY_MS;
const dayString = (n: number): string => new Date(n * DAY_MS).toISOString().slice(0, 10);
const shift = (d: string, days: number): string => dayString(dayNumber(d) + days);

/** Deterministic PRNG (mulberry32), so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rnd = prng(20031220);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
const SPAN = dayNumber(LAST) - dayNumber(FIRST) + 1;
/** A moment in the window (or a day either side of it), often next to a midnight. */
function moment(): string {
  const day = dayNumber(FIRST) - 1 + Math.floor(rnd() * (SPAN + 2));
  const offset = pick([0, 1, 999, 3_600_000, 43_200_000, DAY_MS - 1_000, DAY_MS - 1]);
  return new Date(day * DAY_MS + offset).toISOString();
}

/** What the helpers need: the DataSource, or a transaction's EntityManager. */
type Db = Pick<EntityManager, 'query'>;

interface Account {
  id: string;
  env: 'live' | 'test';
  currency: string;
}

async function seed(db: Db, runId: string): Promise<Account[]> {
  const accounts: Account[] = [];
  for (let n = 0; n < 40; n++) {
    const env = n % 3 === 0 ? 'live' : 'test';
    const currency = n % 5 === 0 ? 'EUR' : 'USD';
    const [row]: Array<{ id: string }> = await db.query(
      `INSERT INTO accounts (environment, oauth_provider, external_id, currency, balance_minor, daily_free_uses_day, created_at, updated_at)
       VALUES ($1, 'oauth:google', $2, $3, 1000000, '2004-01-01', $4, $4) RETURNING id`,
      [env, `aggregates-${runId}-${n}@example.com`, currency, moment()],
    );
    accounts.push({ id: row.id, env, currency });
  }
  const charges = Array.from({ length: 900 }, () => {
    const funding = pick(['balance', 'balance', 'daily_free', 'free'] as const);
    const amount = 1 + Math.floor(rnd() * 40);
    return { account_id: pick(accounts).id, amount, debit: funding === 'balance' ? amount : 0, funding, at: moment() };
  });
  await insertCharges(db, charges);
  const credits = Array.from({ length: 250 }, () => {
    const type = pick(['purchase', 'purchase', 'grant', 'refund', 'adjustment'] as const);
    const amount = (1 + Math.floor(rnd() * 900)) * (type === 'adjustment' && rnd() < 0.5 ? -1 : 1);
    return { account_id: pick(accounts).id, amount, type, at: moment() };
  });
  await insertCredits(db, credits);
  await insertChecks(
    db,
    Array.from({ length: 500 }, () => ({ account_id: pick(accounts).id, has_credit: rnd() < 0.7, at: moment() })),
  );
  // Stripe purchases: a purchase credit plus the purchases row that paid for it (price != uses).
  for (let i = 0; i < 25; i++) await stripePurchase(db, pick(accounts), moment());
  await settleBalances(
    db,
    accounts.map((a) => a.id),
  );
  return accounts;
}

/**
 * The suite checks that every balance equals its ledger and none is negative: top up outside every
 * range compared here (a grant on 2003-01-01) where the generated rows overdraw, then set each
 * balance to its ledger.
 */
async function settleBalances(db: Db, ids: string[]): Promise<void> {
  const ledger = `COALESCE((SELECT sum(amount_minor) FROM credits c WHERE c.account_id = a.id), 0)
                - COALESCE((SELECT sum(balance_debit_minor) FROM charges ch WHERE ch.account_id = a.id), 0)`;
  await db.query(
    `INSERT INTO credits (account_id, environment, amount_minor, currency, transaction_type, description, balance_after, created_at)
     SELECT a.id, a.environment, 1000 - (${ledger}), a.currency, 'grant', 'seed top-up', 0, '2003-01-01T12:00:00Z'
       FROM accounts a WHERE a.id = ANY($1) AND (${ledger}) < 0`,
    [ids],
  );
  await db.query(`UPDATE accounts a SET balance_minor = ${ledger} WHERE a.id = ANY($1)`, [ids]);
}

type ChargeRow = { account_id: string; amount: number; debit: number; funding: string; at: string };
const insertCharges = (db: Db, rows: ChargeRow[]) =>
  db.query(
    `INSERT INTO charges (account_id, environment, amount_minor, balance_debit_minor, funding_source, currency, description, balance_after, created_at)
     SELECT x.account_id, a.environment, x.amount, x.debit, x.funding, a.currency, 'seed', 0, x.at
       FROM jsonb_to_recordset($1::jsonb) AS x(account_id uuid, amount bigint, debit bigint, funding text, at timestamptz)
       JOIN accounts a ON a.id = x.account_id`,
    [JSON.stringify(rows)],
  );
type CreditRow = { account_id: string; amount: number; type: string; at: string };
const insertCredits = (db: Db, rows: CreditRow[]) =>
  db.query(
    `INSERT INTO credits (account_id, environment, amount_minor, currency, transaction_type, description, balance_after, created_at)
     SELECT x.account_id, a.environment, x.amount, a.currency, x.type, 'seed', 0, x.at
       FROM jsonb_to_recordset($1::jsonb) AS x(account_id uuid, amount bigint, type text, at timestamptz)
       JOIN accounts a ON a.id = x.account_id`,
    [JSON.stringify(rows)],
  );
type CheckRow = { account_id: string; has_credit: boolean; at: string };
const insertChecks = (db: Db, rows: CheckRow[]) =>
  db.query(
    `INSERT INTO credit_checks (account_id, environment, has_credit, created_at)
     SELECT x.account_id, a.environment, x.has_credit, x.at
       FROM jsonb_to_recordset($1::jsonb) AS x(account_id uuid, has_credit boolean, at timestamptz)
       JOIN accounts a ON a.id = x.account_id`,
    [JSON.stringify(rows)],
  );

async function stripePurchase(db: Db, account: Account, at: string): Promise<string> {
  const uses = 10 + Math.floor(rnd() * 50);
  const [credit]: Array<{ id: string }> = await db.query(
    `INSERT INTO credits (account_id, environment, amount_minor, currency, transaction_type, description, balance_after, created_at)
     VALUES ($1, $2, $3, $4, 'purchase', 'Stripe purchase', 0, $5) RETURNING id`,
    [account.id, account.env, uses, account.currency, at],
  );
  const [purchase]: Array<{ id: string }> = await db.query(
    `INSERT INTO purchases (payment_id, account_id, environment, amount_minor, currency, uses_purchased, status, credit_id, credited_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'succeeded', $7, $8, $8) RETURNING id`,
    [
      `pi_${crypto.randomUUID()}`,
      account.id,
      account.env,
      100 + Math.floor(rnd() * 2000),
      account.currency,
      uses,
      credit.id,
      at,
    ],
  );
  return purchase.id;
}

describe('daily analytics aggregates', () => {
  let t: TestApp;
  let aggregates: DailyAggregates;
  let accounts: Account[];

  beforeAll(async () => {
    t = await createTestApp();
    aggregates = t.app.get(DailyAggregates);
    // One transaction: other test files check ledger = balance for every account at any moment.
    accounts = await t.db.transaction((m: EntityManager) => seed(m, crypto.randomUUID()));
  });
  afterAll(() => t.close());

  /** Both ways in one snapshot: the original single-pass query and the aggregates read through `through`. */
  async function both(env: string, start: string, end: string, through: string, currency?: string) {
    return t.db.transaction('REPEATABLE READ', async (m: EntityManager) => {
      if (currency === undefined) {
        return [
          await m.query(USAGE_SQL, [env, start, end]),
          await m.query(USAGE_FROM_AGGREGATES_SQL, [env, start, end, through]),
        ];
      }
      return [
        await m.query(REVENUE_SQL, [env, start, end, currency]),
        await m.query(REVENUE_FROM_AGGREGATES_SQL, [env, start, end, currency, through]),
      ];
    });
  }

  const RANGES: Array<[string, string]> = [
    [FIRST, LAST],
    ['2003-12-30', '2004-01-02'], // a year boundary
    ['2004-02-28', '2004-03-01'], // a leap day
    ['2004-01-15', '2004-01-15'],
    ['2003-12-01', '2004-03-31'], // wider than the data
  ];

  async function expectIdentical(): Promise<number> {
    let compared = 0;
    for (const [start, end] of RANGES) {
      expect(await aggregates.rollUpRange(start, end, { wait: true })).toBe(true);
      const lastClosed = await aggregates.aggregatedThrough(start, end);
      expect(dayNumber(lastClosed)).toBeGreaterThan(dayNumber(LAST));
      const middle = shift(start, Math.floor((dayNumber(end) - dayNumber(start)) / 2));
      // All days from the ledger, a split in the middle, all from the aggregates, and the real split.
      for (const through of [shift(start, -1), middle, end, lastClosed]) {
        for (const env of ['live', 'test']) {
          const [reference, fromAggregates] = await both(env, start, end, through);
          expect(fromAggregates).toEqual(reference);
          for (const currency of ['USD', 'EUR']) {
            const [revenue, revenueFromAggregates] = await both(env, start, end, through, currency);
            expect(revenueFromAggregates).toEqual(revenue);
          }
          compared++;
        }
      }
    }
    return compared;
  }

  it('gives exactly the figures of the queries over the ledger, for any split between aggregated and live days', async () => {
    expect(await expectIdentical()).toBe(RANGES.length * 4 * 2);
    const [{ n }]: Array<{ n: number }> = await t.db.query(
      `SELECT count(*)::int AS n FROM analytics_rollup_days WHERE day BETWEEN $1 AND $2`,
      ['2003-12-01', '2004-03-31'],
    );
    expect(n).toBe(dayNumber('2004-03-31') - dayNumber('2003-12-01') + 1);
    // The data set is not trivially empty.
    const [reference] = await both('test', FIRST, LAST, LAST);
    const totals = (reference as Array<{ day: string; charges: string; unique_charged_accounts: string }>).at(-1)!;
    expect(totals.day).toBe('infinity');
    expect(Number(totals.charges)).toBeGreaterThan(400);
    expect(Number(totals.unique_charged_accounts)).toBeGreaterThan(10);
  });

  it('recomputes a closed day when rows arrive late, move to another day or are deleted', async () => {
    expect(await aggregates.rollUpRange(FIRST, LAST, { wait: true })).toBe(true);
    const [account] = accounts;
    const late = '2004-01-01T00:00:00.500Z';
    // In one transaction, balances settled: other test files check ledger = balance at any moment.
    const { moved, deleted } = await t.db.transaction(async (m: EntityManager) => {
      const [created]: Array<{ id: string }> = await m.query(
        `INSERT INTO accounts (environment, oauth_provider, external_id, currency, balance_minor, daily_free_uses_day, created_at, updated_at)
         VALUES ('test', 'oauth:google', $1, 'USD', 100, '2004-01-01', '2003-12-31T23:59:59.999Z', now()) RETURNING id`,
        [`late-${crypto.randomUUID()}@example.com`],
      );
      await insertCharges(m, [
        { account_id: created.id, amount: 7, debit: 7, funding: 'balance', at: late },
        { account_id: account.id, amount: 3, debit: 0, funding: 'free', at: '2004-02-29T12:00:00Z' },
      ]);
      await insertCredits(m, [{ account_id: account.id, amount: 55, type: 'grant', at: '2004-02-29T23:59:59.999Z' }]);
      await insertChecks(m, [{ account_id: created.id, has_credit: false, at: late }]);
      await stripePurchase(m, account, '2004-01-20T10:00:00Z');
      // A charge moved from its day to another, and a credit check deleted.
      const [moved]: Array<{ id: string; day: string }> = await m.query(
        `SELECT id, ((created_at AT TIME ZONE 'UTC')::date)::text AS day FROM charges
          WHERE account_id = ANY($1) AND created_at >= '2004-02-01' AND created_at < '2004-02-10' LIMIT 1`,
        [accounts.map((a) => a.id)],
      );
      await m.query(`UPDATE charges SET created_at = '2004-02-15T00:00:00Z' WHERE id = $1`, [moved.id]);
      const [deleted]: Array<{ id: string; day: string }> = await m.query(
        `WITH d AS (DELETE FROM credit_checks WHERE id = (SELECT id FROM credit_checks WHERE account_id = ANY($1)
            AND created_at >= '2004-01-05' AND created_at < '2004-01-06' LIMIT 1)
         RETURNING id, ((created_at AT TIME ZONE 'UTC')::date)::text AS day) SELECT * FROM d`,
        [accounts.map((a) => a.id)],
      );
      await settleBalances(m, [...accounts.map((a) => a.id), created.id]);
      return { moved, deleted };
    });

    const stale: Array<{ day: string }> = await t.db.query(
      `SELECT day::text AS day FROM analytics_stale_days WHERE day BETWEEN $1 AND $2 ORDER BY 1`,
      [FIRST, LAST],
    );
    expect(stale.map((s) => s.day)).toEqual(
      [
        ...new Set(['2003-12-31', '2004-01-01', '2004-02-29', '2004-01-20', moved.day, '2004-02-15', deleted.day]),
      ].sort(),
    );
    expect(await expectIdentical()).toBe(RANGES.length * 4 * 2);
    const [{ n }]: Array<{ n: number }> = await t.db.query(
      `SELECT count(*)::int AS n FROM analytics_stale_days WHERE day BETWEEN $1 AND $2`,
      [FIRST, LAST],
    );
    expect(n).toBe(0);
  });

  it('writes nothing shared on the charge path: a charge today marks no day', async () => {
    const key = await t.createKey({ permissions: ['billing:read', 'billing:write'] });
    const user = newUser('aggregates');
    const send = (path: string, body: object) =>
      request(t.http).post(path).set('X-API-Key', key.plaintextKey).send(body);
    expect((await send('/v1/billing/accounts', { ...user, initial_balance_minor: 50 })).status).toBe(201);
    expect((await send('/v1/billing/credits/check', user)).status).toBe(200);
    expect((await send('/v1/billing/charges', { ...user, amount_minor: 3, description: 'm' })).status).toBe(201);
    const [{ n }]: Array<{ n: number }> = await t.db.query(
      `SELECT count(*)::int AS n FROM analytics_stale_days WHERE day >= (now() AT TIME ZONE 'UTC')::date`,
    );
    expect(n).toBe(0);
  });

  it('computes each day once when replicas roll up together, and never makes a report wait for the lock', async () => {
    const range: [string, string] = ['2002-06-01', '2002-06-30'];
    const done = await Promise.all([
      aggregates.rollUpRange(...range, { wait: true }),
      aggregates.rollUpRange(...range, { wait: true }),
    ]);
    expect(done).toEqual([true, true]);
    const rows: Array<{ n: number; runs: number }> = await t.db.query(
      `SELECT count(*)::int AS n, count(DISTINCT computed_at)::int AS runs FROM analytics_rollup_days WHERE day BETWEEN $1 AND $2`,
      range,
    );
    expect(rows).toEqual([{ n: 30, runs: 1 }]);

    // Another replica holds the lock: a roll-up gives up at once, and a report needing a pending day
    // computes it from the ledger instead of waiting.
    await t.db.transaction(async (m: EntityManager) => {
      await m.query(`SELECT pg_advisory_xact_lock($1)`, [ROLLUP_LOCK_KEY]);
      expect(await aggregates.rollUpRange('2002-07-01', '2002-07-01')).toBe(false);
      expect(await aggregates.aggregatedThrough('2002-06-01', '2002-07-01')).toBe('2002-06-30');
    });
  });

  it('answers a report needing many days at once from the ledger while it rolls them up in the background', async () => {
    const [start, end] = ['2002-01-01', '2002-03-31'];
    expect(await aggregates.aggregatedThrough(start, end)).toBe('2001-12-31');
    const [reference, meanwhile] = await both('test', start, end, '2001-12-31');
    expect(meanwhile).toEqual(reference);
    const computed = async () => {
      const [{ n }]: Array<{ n: number }> = await t.db.query(
        `SELECT count(*)::int AS n FROM analytics_rollup_days WHERE day BETWEEN $1 AND $2`,
        [start, end],
      );
      return n;
    };
    // Other test apps' background roll-ups may hold the lock for a moment: this one retries.
    for (let i = 0; i < 450 && (await computed()) < 90; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await computed()).toBe(90);
    expect(dayNumber(await aggregates.aggregatedThrough(start, end))).toBeGreaterThan(dayNumber(end));
  });

  it('groups days into consecutive runs', () => {
    expect(runsOf(['2004-02-28', '2004-02-29', '2004-03-01', '2004-03-03', '2004-12-31', '2005-01-01'])).toEqual([
      ['2004-02-28', '2004-03-01'],
      ['2004-03-03', '2004-03-03'],
      ['2004-12-31', '2005-01-01'],
    ]);
  });
});
