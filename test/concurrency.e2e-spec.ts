import request from 'supertest';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';
import { ledgerMismatches } from './utils/ledger.js';

/** No free uses here, so every charge draws on the balance. */
describe('Concurrency: charges are exact under contention (SPEC §5)', () => {
  let t: TestApp;
  let key: string;

  beforeAll(async () => {
    t = await createTestApp({ FREE_USES_PER_ACCOUNT: '0', DAILY_FREE_USES: '0' });
    key = (await t.createKey()).plaintextKey;
  });
  afterAll(() => t.close());

  const post = (path: string, body: object) => request(t.http).post(path).set('X-API-Key', key).send(body);

  it('200 parallel charges of 1 against a balance of 100: exactly 100 succeed, balance 0, ledger matches', async () => {
    const u = newUser();
    await post('/v1/billing/accounts', { ...u, initial_balance_minor: 100 });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        post('/v1/billing/charges', {
          ...u,
          amount_minor: 1,
          currency: 'USD',
          description: 'msg',
          idempotency_key: `c-${i}`,
        }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(100);
    expect(statuses.filter((s) => s === 402)).toHaveLength(100);
    const acct = await request(t.http)
      .get(`/v1/billing/accounts/${u.oauth_provider}/${u.external_id}`)
      .set('X-API-Key', key);
    expect(acct.body).toMatchObject({ balance_minor: 0, total_uses: 100 });
    const balancesAfter = results.filter((r) => r.status === 201).map((r) => r.body.balance_after as number);
    expect(new Set(balancesAfter).size).toBe(100);
    expect(Math.min(...balancesAfter)).toBe(0);
    expect(await ledgerMismatches(t.db)).toEqual([]);
  });

  it('50 parallel copies of one idempotency key: one charge, the rest 409 with its id', async () => {
    const u = newUser();
    await post('/v1/billing/accounts', { ...u, initial_balance_minor: 1000 });
    const body = { ...u, amount_minor: 7, currency: 'USD', description: 'once', idempotency_key: 'dup-key' };
    const results = await Promise.all(Array.from({ length: 50 }, () => post('/v1/billing/charges', body)));
    const created = results.filter((r) => r.status === 201);
    const conflicts = results.filter((r) => r.status === 409);
    expect(created).toHaveLength(1);
    expect(conflicts).toHaveLength(49);
    for (const c of conflicts) {
      expect(c.headers['x-existing-charge-id']).toBe(created[0].body.charge_id);
      expect(c.body.detail).toBe('Charge already exists');
    }
    const rows: Array<{ n: string }> = await t.db.query(
      `SELECT count(*) AS n FROM charges c JOIN accounts a ON a.id = c.account_id WHERE a.external_id = $1`,
      [u.external_id],
    );
    expect(Number(rows[0].n)).toBe(1);
    expect(await ledgerMismatches(t.db)).toEqual([]);
  });

  it('parallel copies of one charge that spends the last credit: one charge, the rest 409 (never 402)', async () => {
    const u = newUser();
    await post('/v1/billing/accounts', { ...u, initial_balance_minor: 5 });
    const body = { ...u, amount_minor: 5, currency: 'USD', description: 'last', idempotency_key: 'last-credit' };
    // Hold the account row so every copy starts (and takes its snapshot) before the first one commits.
    const blocker = t.db.createQueryRunner();
    await blocker.startTransaction();
    await blocker.query(`SELECT 1 FROM accounts WHERE external_id = $1 FOR UPDATE`, [u.external_id]);
    const pending = Promise.all(Array.from({ length: 8 }, () => post('/v1/billing/charges', body)));
    await new Promise((r) => setTimeout(r, 500));
    await blocker.commitTransaction();
    await blocker.release();
    const results = await pending;
    const created = results.filter((r) => r.status === 201);
    expect(created).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(7);
    for (const r of results.filter((x) => x.status === 409)) {
      expect(r.headers['x-existing-charge-id']).toBe(created[0].body.charge_id);
    }
    expect(await ledgerMismatches(t.db)).toEqual([]);
  });

  it('parallel duplicate credits: one credit, the rest 409', async () => {
    const u = newUser();
    await post('/v1/billing/accounts', u);
    const body = { ...u, amount_minor: 10, idempotency_key: 'credit-dup' };
    const results = await Promise.all(Array.from({ length: 30 }, () => post('/v1/billing/credits', body)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(29);
    const acct = await request(t.http)
      .get(`/v1/billing/accounts/${u.oauth_provider}/${u.external_id}`)
      .set('X-API-Key', key);
    expect(acct.body.balance_minor).toBe(10);
  });

  it('concurrent first credit checks create one account', async () => {
    const u = newUser();
    const results = await Promise.all(Array.from({ length: 20 }, () => post('/v1/billing/credits/check', u)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const rows: Array<{ n: string }> = await t.db.query(`SELECT count(*) AS n FROM accounts WHERE external_id = $1`, [
      u.external_id,
    ]);
    expect(Number(rows[0].n)).toBe(1);
  });

  it('mixed credits and charges in parallel keep the balance equal to the ledger', async () => {
    const u = newUser();
    await post('/v1/billing/accounts', { ...u, initial_balance_minor: 50 });
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 3 === 0
          ? post('/v1/billing/credits', { ...u, amount_minor: 5 })
          : post('/v1/billing/charges', { ...u, amount_minor: 3, description: 'mix' }),
      ),
    );
    expect(await ledgerMismatches(t.db)).toEqual([]);
  });
});
