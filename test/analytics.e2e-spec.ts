import request from 'supertest';
import type { DataSource } from 'typeorm';
import type { GeneratedApiKey } from '../src/api-keys/api-keys.service.js';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';

/*
 * The analytics figures are checked against a data set this file writes itself, in a window of
 * past UTC days no other test touches (March 2001), with rows placed on both sides of every
 * midnight. The expected figures are computed here in plain JS from that data set. The reports
 * run with the database session in time zones far from UTC on either side, to show that the
 * bucketing does not depend on the session's TimeZone.
 */

const START = '2001-03-01';
const END = '2001-03-07';
const DAY_MS = 86_400_000;
const START_MS = Date.parse(`${START}T00:00:00Z`);
const WINDOW_DAYS = Array.from({ length: 7 }, (_, i) => new Date(START_MS + i * DAY_MS).toISOString().slice(0, 10));

type Env = 'test' | 'live';
type Funding = 'daily_free' | 'free' | 'balance';
type CreditType = 'purchase' | 'grant' | 'refund' | 'adjustment';
interface SeedAccount {
  id?: string;
  env: Env;
  currency: string;
  createdAt: string;
  external: string;
}
interface SeedCharge {
  account: SeedAccount;
  amount: number;
  debit: number;
  funding: Funding;
  at: string;
}
interface SeedCredit {
  account: SeedAccount;
  amount: number;
  type: CreditType;
  at: string;
}
interface SeedCheck {
  account: SeedAccount;
  hasCredit: boolean;
  at: string;
}

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

/** Offsets within a day that sit next to midnight on either side, plus a few ordinary ones. */
const TIME_OF_DAY = [0, 1, 30 * 60_000, 9 * 3_600_000, 14 * 3_600_000 + 7_000, 23.5 * 3_600_000, DAY_MS - 1];

interface DataSet {
  accounts: SeedAccount[];
  charges: SeedCharge[];
  credits: SeedCredit[];
  checks: SeedCheck[];
}

function generate(runId: string): DataSet {
  const rnd = prng(20010301);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const inWindow = (): string => new Date(START_MS + Math.floor(rnd() * 7) * DAY_MS + pick(TIME_OF_DAY)).toISOString();
  // Just outside the window on both sides: must never be counted.
  const outside = (): string =>
    pick(['2001-02-28T23:59:59.999Z', '2001-03-08T00:00:00.000Z', '2001-01-15T12:00:00.000Z']);
  const data: DataSet = { accounts: [], charges: [], credits: [], checks: [] };
  const specs: Array<[Env, string]> = [
    ...Array.from({ length: 10 }, (): [Env, string] => ['test', 'USD']),
    ['test', 'EUR'],
    ['test', 'EUR'],
    ...Array.from({ length: 4 }, (): [Env, string] => ['live', 'USD']),
  ];
  specs.forEach(([env, currency], n) => {
    const account: SeedAccount = {
      env,
      currency,
      createdAt: rnd() < 0.6 ? inWindow() : outside().replace('2001-03-08T00:00:00.000Z', '2001-02-20T08:00:00.000Z'),
      external: `analytics-${runId}-${n}@example.com`,
    };
    data.accounts.push(account);
    const at = () => (rnd() < 0.85 ? inWindow() : outside());
    for (let i = Math.floor(rnd() * 14); i > 0; i--) {
      const funding = pick(['daily_free', 'free', 'balance', 'balance'] as const);
      const amount = 1 + Math.floor(rnd() * 20);
      data.charges.push({ account, amount, debit: funding === 'balance' ? amount : 0, funding, at: at() });
    }
    for (let i = Math.floor(rnd() * 6); i > 0; i--) {
      const type = pick(['purchase', 'purchase', 'grant', 'refund', 'adjustment'] as const);
      const amount = (1 + Math.floor(rnd() * 900)) * (type === 'adjustment' && rnd() < 0.5 ? -1 : 1);
      data.credits.push({ account, amount, type, at: at() });
    }
    for (let i = Math.floor(rnd() * 10); i > 0; i--) data.checks.push({ account, hasCredit: rnd() < 0.7, at: at() });
    // Keep balance = credits − debits ≥ 0: top up outside the window when the generated entries overdraw.
    const net =
      sumOf(
        data.credits.filter((c) => c.account === account),
        (c) => c.amount,
      ) -
      sumOf(
        data.charges.filter((c) => c.account === account),
        (c) => c.debit,
      );
    if (net < 0) data.credits.push({ account, amount: -net, type: 'grant', at: '2001-01-10T00:00:00.000Z' });
  });
  return data;
}

const sumOf = <T>(xs: T[], f: (x: T) => number): number => xs.reduce((s, x) => s + f(x), 0);
const dayOf = (iso: string): string => new Date(iso).toISOString().slice(0, 10);

async function insert(db: DataSource, data: DataSet): Promise<void> {
  for (const a of data.accounts) {
    const credits = sumOf(
      data.credits.filter((c) => c.account === a),
      (c) => c.amount,
    );
    const debits = sumOf(
      data.charges.filter((c) => c.account === a),
      (c) => c.debit,
    );
    const rows: Array<{ id: string }> = await db.query(
      `INSERT INTO accounts (environment, oauth_provider, external_id, currency, balance_minor, daily_free_uses_day,
                             created_at, updated_at)
       VALUES ($1, 'oauth:google', $2, $3, $4, ($5::timestamptz AT TIME ZONE 'UTC')::date, $5, $5) RETURNING id`,
      [a.env, a.external, a.currency, credits - debits, a.createdAt],
    );
    a.id = rows[0].id;
  }
  await db.query(
    `INSERT INTO charges (account_id, environment, amount_minor, balance_debit_minor, funding_source, currency, description, balance_after, created_at)
     SELECT x.account_id, a.environment, x.amount, x.debit, x.funding, a.currency, 'seed', 0, x.at
       FROM jsonb_to_recordset($1::jsonb) AS x(account_id uuid, amount bigint, debit bigint, funding text, at timestamptz)
       JOIN accounts a ON a.id = x.account_id`,
    [
      JSON.stringify(
        data.charges.map((c) => ({
          account_id: c.account.id,
          amount: c.amount,
          debit: c.debit,
          funding: c.funding,
          at: c.at,
        })),
      ),
    ],
  );
  await db.query(
    `INSERT INTO credits (account_id, environment, amount_minor, currency, transaction_type, description, balance_after, created_at)
     SELECT x.account_id, a.environment, x.amount, a.currency, x.type, 'seed', 0, x.at
       FROM jsonb_to_recordset($1::jsonb) AS x(account_id uuid, amount bigint, type text, at timestamptz)
       JOIN accounts a ON a.id = x.account_id`,
    [JSON.stringify(data.credits.map((c) => ({ account_id: c.account.id, amount: c.amount, type: c.type, at: c.at })))],
  );
  await db.query(
    `INSERT INTO credit_checks (account_id, environment, has_credit, created_at)
     SELECT x.account_id, a.environment, x.has_credit, x.at
       FROM jsonb_to_recordset($1::jsonb) AS x(account_id uuid, has_credit boolean, at timestamptz)
       JOIN accounts a ON a.id = x.account_id`,
    [JSON.stringify(data.checks.map((c) => ({ account_id: c.account.id, has_credit: c.hasCredit, at: c.at })))],
  );
}

function expectedUsage(data: DataSet, env: Env) {
  const figures = (days: string[]) => {
    const inDays = <T extends { at: string; account: SeedAccount }>(xs: T[]) =>
      xs.filter((x) => x.account.env === env && days.includes(dayOf(x.at)));
    const charges = inDays(data.charges);
    const checks = inDays(data.checks);
    const count = (f: Funding) => charges.filter((c) => c.funding === f).length;
    return {
      charges: charges.length,
      paid_uses: count('balance'),
      free_uses: count('daily_free') + count('free'),
      daily_free_uses: count('daily_free'),
      one_time_free_uses: count('free'),
      credits_spent: sumOf(charges, (c) => c.debit),
      unique_charged_accounts: new Set(charges.map((c) => c.account)).size,
      new_accounts: data.accounts.filter((a) => a.env === env && days.includes(dayOf(a.createdAt))).length,
      credit_checks: checks.length,
      denied_credit_checks: checks.filter((c) => !c.hasCredit).length,
    };
  };
  return {
    environment: env,
    start: START,
    end: END,
    days: WINDOW_DAYS.map((date) => ({ date, ...figures([date]) })),
    totals: figures(WINDOW_DAYS),
  };
}

function expectedRevenue(data: DataSet, env: Env, currency: string) {
  const figures = (days: string[]) => {
    const credits = data.credits.filter(
      (c) => c.account.env === env && c.account.currency === currency && days.includes(dayOf(c.at)),
    );
    const sum = (type: CreditType) =>
      sumOf(
        credits.filter((c) => c.type === type),
        (c) => c.amount,
      );
    return {
      purchases: credits.filter((c) => c.type === 'purchase').length,
      purchase_amount_minor: sum('purchase'),
      revenue_minor: sum('purchase'),
      credits_added_minor: {
        purchase: sum('purchase'),
        grant: sum('grant'),
        refund: sum('refund'),
        adjustment: sum('adjustment'),
        total: sumOf(credits, (c) => c.amount),
      },
    };
  };
  return {
    environment: env,
    currency,
    start: START,
    end: END,
    days: WINDOW_DAYS.map((date) => ({ date, ...figures([date]) })),
    totals: figures(WINDOW_DAYS),
  };
}

/**
 * One account driven through the real API (create with a grant, check, charge, admin adjustment),
 * then moved into the window, so the reports are shown to read what the write paths store.
 */
async function apiDrivenAccount(t: TestApp, data: DataSet): Promise<void> {
  const agent = await t.createKey({ permissions: ['billing:read', 'billing:write'] });
  const admin = await t.createKey({ permissions: ['billing:admin'] });
  const user = newUser('analytics-api');
  const send = (key: GeneratedApiKey, path: string, body: object) =>
    request(t.http).post(path).set('X-API-Key', key.plaintextKey).send(body);
  const created = await send(agent, '/v1/billing/accounts', { ...user, initial_balance_minor: 50 });
  expect(created.status).toBe(201);
  expect((await send(agent, '/v1/billing/credits/check', user)).body.has_credit).toBe(true);
  expect((await send(agent, '/v1/billing/charges', { ...user, amount_minor: 3, description: 'm' })).status).toBe(201);
  const path = `/v1/billing/accounts/${user.oauth_provider}/${encodeURIComponent(user.external_id)}/adjustments`;
  expect((await send(admin, path, { amount_minor: -10, reason: 'correction', idempotency_key: 'a' })).status).toBe(201);

  const at = '2001-03-03T23:59:59.500Z';
  const id: string = created.body.account_id;
  for (const table of ['charges', 'credits', 'credit_checks']) {
    await t.db.query(`UPDATE ${table} SET created_at = $2 WHERE account_id = $1`, [id, at]);
  }
  await t.db.query(`UPDATE accounts SET created_at = $2 WHERE id = $1`, [id, at]);
  // What the charge path chose (daily free use, with the defaults) is read back, the rest is known.
  const [charge]: Array<{ funding_source: Funding; balance_debit_minor: string }> = await t.db.query(
    `SELECT funding_source, balance_debit_minor FROM charges WHERE account_id = $1`,
    [id],
  );
  const account: SeedAccount = { id, env: 'test', currency: 'USD', createdAt: at, external: user.external_id };
  data.accounts.push(account);
  data.checks.push({ account, hasCredit: true, at });
  data.charges.push({
    account,
    amount: 3,
    debit: Number(charge.balance_debit_minor),
    funding: charge.funding_source,
    at,
  });
  data.credits.push({ account, amount: 50, type: 'grant', at }, { account, amount: -10, type: 'adjustment', at });
}

let seeded: Promise<DataSet> | undefined;
function seedOnce(t: TestApp): Promise<DataSet> {
  seeded ??= (async () => {
    const data = generate(crypto.randomUUID());
    await insert(t.db, data);
    await apiDrivenAccount(t, data);
    return data;
  })();
  return seeded;
}

describe.each(['Pacific/Kiritimati', 'America/St_Johns'])('analytics with the database session in %s', (timeZone) => {
  let t: TestApp;
  let data: DataSet;
  let testKey: GeneratedApiKey;
  let liveKey: GeneratedApiKey;
  const previousOptions = process.env.PGOPTIONS;

  beforeAll(async () => {
    // node-pg reads PGOPTIONS whenever the pool opens a connection, so it stays set until afterAll.
    process.env.PGOPTIONS = `-c TimeZone=${timeZone}`;
    t = await createTestApp();
    data = await seedOnce(t);
    testKey = await t.createKey({ name: 'Analyst', permissions: ['analytics:read'] });
    liveKey = await t.createKey({ name: 'Live Analyst', environment: 'live', permissions: ['analytics:read'] });
  });
  afterAll(async () => {
    await t.close();
    if (previousOptions === undefined) delete process.env.PGOPTIONS;
    else process.env.PGOPTIONS = previousOptions;
  });

  const report = (key: GeneratedApiKey, path: string, query: object) =>
    request(t.http).get(path).set('X-API-Key', key.plaintextKey).query(query);

  it('runs the app connections in that time zone', async () => {
    const [{ TimeZone }]: Array<{ TimeZone: string }> = await t.db.query('SHOW TimeZone');
    expect(TimeZone).toBe(timeZone);
  });

  it('usage per UTC day matches the data set, test data only for a test key', async () => {
    const res = await report(testKey, '/v1/analytics/usage', { start: START, end: END });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expectedUsage(data, 'test'));
    expect(res.body.totals.charges).toBeGreaterThan(20); // the data set is not trivially empty
  });

  it('usage for a live key counts live data only', async () => {
    const res = await report(liveKey, '/v1/analytics/usage', { start: START, end: END });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expectedUsage(data, 'live'));
  });

  it('revenue per UTC day and totals match the data set, per currency and environment', async () => {
    const usd = await report(testKey, '/v1/analytics/revenue', { start: START, end: END });
    expect(usd.status).toBe(200);
    expect(usd.body).toEqual(expectedRevenue(data, 'test', 'USD'));
    const eur = await report(testKey, '/v1/analytics/revenue', { start: START, end: END, currency: 'eur' });
    expect(eur.body).toEqual(expectedRevenue(data, 'test', 'EUR'));
    const live = await report(liveKey, '/v1/analytics/revenue', { start: START, end: END });
    expect(live.body).toEqual(expectedRevenue(data, 'live', 'USD'));
    expect(usd.body.totals.purchases).toBeGreaterThan(3);
  });
});

describe('analytics ranges and permissions', () => {
  let t: TestApp;
  let key: GeneratedApiKey;
  beforeAll(async () => {
    t = await createTestApp();
    key = await t.createKey({ name: 'Analyst', permissions: ['analytics:read'] });
  });
  afterAll(() => {
    t.clock.reset();
    return t.close();
  });
  const get = (path: string, query: object = {}, k = key) =>
    request(t.http).get(path).set('X-API-Key', k.plaintextKey).query(query);

  it('refuses keys without analytics:read', async () => {
    const agent = await t.createKey({ permissions: ['billing:read', 'billing:write', 'billing:admin'] });
    for (const path of ['/v1/analytics/usage', '/v1/analytics/revenue']) {
      const res = await get(path, {}, agent);
      expect([res.status, res.body]).toEqual([
        403,
        { detail: 'Missing required permission: analytics:read', code: 'permission_denied' },
      ]);
    }
    const anonymous = await request(t.http).get('/v1/analytics/usage');
    expect(anonymous.status).toBe(401);
  });

  it('defaults to the last 30 UTC days, ending today by the clock', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const res = await get('/v1/analytics/usage');
    expect(res.status).toBe(200);
    expect(res.body.days).toHaveLength(30);
    expect([res.body.start, res.body.end]).toEqual([
      new Date(Date.parse(today) - 29 * DAY_MS).toISOString().slice(0, 10),
      today,
    ]);
    expect(res.body.days.map((d: { date: string }) => d.date)).toEqual(
      Array.from({ length: 30 }, (_, i) =>
        new Date(Date.parse(res.body.start) + i * DAY_MS).toISOString().slice(0, 10),
      ),
    );
    t.clock.advance(10 * DAY_MS);
    const later = await get('/v1/analytics/revenue');
    expect(later.body.end).toBe(new Date(Date.parse(today) + 10 * DAY_MS).toISOString().slice(0, 10));
    expect(later.body.currency).toBe('USD');
    t.clock.reset();
    const fromStart = await get('/v1/analytics/usage', { end: '2001-03-07' });
    expect([fromStart.body.start, fromStart.body.days.length]).toEqual(['2001-02-06', 30]);
  });

  it('allows up to 366 days and refuses more, reversed ranges and malformed dates', async () => {
    const year = await get('/v1/analytics/usage', { start: '2000-01-01', end: '2000-12-31' });
    expect([year.status, year.body.days.length]).toEqual([200, 366]);
    const revenueYear = await get('/v1/analytics/revenue', { start: '2000-01-01', end: '2000-12-31' });
    expect([revenueYear.status, revenueYear.body.days.length]).toEqual([200, 366]);

    for (const path of ['/v1/analytics/usage', '/v1/analytics/revenue']) {
      const tooLong = await get(path, { start: '2000-01-01', end: '2001-01-01' });
      expect([tooLong.status, tooLong.body]).toEqual([
        422,
        {
          detail: [
            { loc: ['query', 'end'], msg: 'date range must not exceed 366 days', type: 'value_error.date_range' },
          ],
          code: 'validation_error',
        },
      ]);
      const reversed = await get(path, { start: '2001-03-02', end: '2001-03-01' });
      expect([reversed.status, reversed.body.detail[0].msg]).toEqual([422, 'end must not be before start']);
    }
    for (const [query, field] of [
      [{ start: '2001-02-30' }, 'start'],
      [{ start: '2001-3-1' }, 'start'],
      [{ end: '2001-03-01T00:00:00Z' }, 'end'],
      [{ end: '0000-01-01' }, 'end'],
      [{ start: 'yesterday' }, 'start'],
    ] as const) {
      const res = await get('/v1/analytics/usage', query);
      expect([res.status, res.body.code, res.body.detail[0].loc]).toEqual([422, 'validation_error', ['query', field]]);
    }
    const badCurrency = await get('/v1/analytics/revenue', { currency: 'dollars' });
    expect([badCurrency.status, badCurrency.body.detail[0].loc]).toEqual([422, ['query', 'currency']]);
    // A single day is a valid range.
    const oneDay = await get('/v1/analytics/revenue', { start: '2001-03-01', end: '2001-03-01' });
    expect([oneDay.status, oneDay.body.days.length]).toEqual([200, 1]);
  });
});
