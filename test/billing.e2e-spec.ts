import request from 'supertest';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';
import { ledgerMismatches } from './utils/ledger.js';

const DAY = 86_400_000;

describe('Accounts, credit checks, charges, credits and the ledger (SPEC §3–6, §8)', () => {
  let t: TestApp;
  let key: string;
  let liveKey: string;

  beforeAll(async () => {
    t = await createTestApp();
    key = (await t.createKey({ environment: 'test' })).plaintextKey;
    liveKey = (await t.createKey({ environment: 'live' })).plaintextKey;
  });
  afterEach(() => t.clock.reset());
  afterAll(async () => {
    expect(await ledgerMismatches(t.db)).toEqual([]);
    await t.close();
  });

  const post = (path: string, body: unknown, k = key) =>
    request(t.http)
      .post(path)
      .set('X-API-Key', k)
      .send(body as object);
  const get = (path: string, k = key) => request(t.http).get(path).set('X-API-Key', k);
  const account = (u: { oauth_provider: string; external_id: string }, k = key) =>
    get(`/v1/billing/accounts/${encodeURIComponent(u.oauth_provider)}/${encodeURIComponent(u.external_id)}`, k);
  const charge = (u: object, extra: object = {}, k = key) =>
    post('/v1/billing/charges', { ...u, amount_minor: 100, currency: 'USD', description: 'Message', ...extra }, k);

  describe('accounts', () => {
    it('creates with defaults and returns the existing account unchanged on repeat (201 both times)', async () => {
      const u = { ...newUser(), wa_id: 'wa-1', tenant_id: 'tenant-acme', customer_email: 'a@example.com' };
      const first = await post('/v1/billing/accounts', { ...u, initial_balance_minor: 500 });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({
        oauth_provider: u.oauth_provider,
        external_id: u.external_id,
        wa_id: 'wa-1',
        tenant_id: 'tenant-acme',
        customer_email: 'a@example.com',
        balance_minor: 500,
        paid_credits: 500,
        currency: 'USD',
        plan_name: 'free',
        status: 'active',
        free_uses_remaining: 10,
        daily_free_uses_remaining: 2,
        daily_free_uses_limit: 2,
        total_uses: 0,
      });
      expect(first.body.account_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(new Date(first.body.created_at).toISOString()).toBe(first.body.created_at);

      const again = await post('/v1/billing/accounts', { ...u, wa_id: 'other', initial_balance_minor: 999 });
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);

      // The initial balance is a grant in the ledger.
      const tx = await get(`/v1/billing/transactions?oauth_provider=${u.oauth_provider}&external_id=${u.external_id}`);
      expect(tx.body.transactions).toHaveLength(1);
      expect(tx.body.transactions[0]).toMatchObject({ type: 'credit', transaction_type: 'grant', amount_minor: 500 });
    });

    it('gets an account, 404 when unknown', async () => {
      const u = newUser();
      expect((await account(u)).status).toBe(404);
      expect((await account(u)).body).toEqual({ detail: 'Account not found', code: 'account_not_found' });
      await post('/v1/billing/accounts', u);
      const res = await account(u);
      expect(res.status).toBe(200);
      expect(res.body.external_id).toBe(u.external_id);
    });

    it('treats identity as exact and case-sensitive', async () => {
      const u = newUser();
      await post('/v1/billing/accounts', u);
      expect((await account({ ...u, external_id: u.external_id.toUpperCase() })).status).toBe(404);
    });

    it('requires oauth_provider to start with oauth: (body and path)', async () => {
      const body = await post('/v1/billing/accounts', { oauth_provider: 'google', external_id: 'x' });
      expect(body.status).toBe(422);
      expect(body.body.code).toBe('validation_error');
      expect(body.body.detail[0].loc).toEqual(['body', 'oauth_provider']);
      const path = await get('/v1/billing/accounts/google/someone');
      expect(path.status).toBe(422);
      expect(path.body.detail[0].loc).toEqual(['path', 'oauth_provider']);
    });
  });

  describe('credit check', () => {
    it('creates the account when unknown and answers with every field', async () => {
      const u = {
        ...newUser(),
        wa_id: 'wa-test-001',
        tenant_id: 'tenant-acme',
        context: { agent_id: 'a1', source: 'x' },
      };
      const res = await post('/v1/billing/credits/check', u);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        has_credit: true,
        credits_remaining: 0,
        plan_name: 'free',
        reason: null,
        free_uses_remaining: 10,
        total_uses: 0,
        purchase_required: false,
        purchase_price_minor: 0,
        purchase_uses: 0,
        daily_free_uses_remaining: 2,
        daily_free_uses_limit: 2,
        held_minor: 0,
        free_uses_held: 0,
        daily_free_uses_held: 0,
      });
      const acct = await account(u);
      expect(acct.body.wa_id).toBe('wa-test-001');
    });

    it('records an audit row for every check, and updates attributes when new values arrive', async () => {
      const u = newUser();
      await post('/v1/billing/credits/check', { ...u, wa_id: 'first' });
      await post('/v1/billing/credits/check', { ...u, wa_id: null, tenant_id: 't2', context: { request_id: 'r-9' } });
      const acct = await account(u);
      expect(acct.body.wa_id).toBe('first');
      expect(acct.body.tenant_id).toBe('t2');
      const rows: Array<{ has_credit: boolean; context: Record<string, unknown> }> = await t.db.query(
        `SELECT has_credit, context FROM credit_checks WHERE account_id = $1 ORDER BY created_at`,
        [acct.body.account_id],
      );
      expect(rows).toHaveLength(2);
      expect(rows[1]).toEqual({ has_credit: true, context: { request_id: 'r-9' } });
    });

    it('says no credit and quotes a purchase once free uses and balance are gone', async () => {
      const u = newUser();
      await post('/v1/billing/accounts', u);
      for (let i = 0; i < 12; i++) expect((await charge(u, { amount_minor: 1 })).status).toBe(201);
      const res = await post('/v1/billing/credits/check', u);
      expect(res.body).toMatchObject({
        has_credit: false,
        reason: 'No free uses or credits remaining',
        purchase_required: true,
        purchase_price_minor: 500,
        purchase_uses: 20,
        free_uses_remaining: 0,
        daily_free_uses_remaining: 0,
        total_uses: 12,
      });
      // The next UTC day brings the daily free uses back.
      t.clock.advance(DAY);
      const tomorrow = await post('/v1/billing/credits/check', u);
      expect(tomorrow.body).toMatchObject({ has_credit: true, daily_free_uses_remaining: 2 });
    });
  });

  describe('charges', () => {
    it('consumes a daily free use, then one-time free uses, then balance', async () => {
      const u = newUser();
      await post('/v1/billing/accounts', { ...u, initial_balance_minor: 1000 });
      const sources: string[] = [];
      for (let i = 0; i < 13; i++) {
        const res = await charge(u, { idempotency_key: `k-${i}`, metadata: { message_id: `m-${i}`, extra: 1 } });
        expect(res.status).toBe(201);
        sources.push(res.body.balance_after);
        if (i === 0) {
          expect(res.body).toMatchObject({
            account_id: expect.any(String),
            amount_minor: 100,
            currency: 'USD',
            balance_after: 1000,
            description: 'Message',
            metadata: { message_id: 'm-0' },
          });
          expect(res.body.charge_id).toMatch(/^[0-9a-f-]{36}$/);
        }
      }
      expect(sources).toEqual([...Array(12).fill(1000), 900]);
      const acct = await account(u);
      expect(acct.body).toMatchObject({
        balance_minor: 900,
        free_uses_remaining: 0,
        daily_free_uses_remaining: 0,
        total_uses: 13,
      });
    });

    it('404 for an unknown account (charges never create accounts)', async () => {
      const u = newUser();
      const res = await charge(u);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ detail: 'Account not found', code: 'account_not_found' });
      expect((await account(u)).status).toBe(404);
    });

    it('402 with the balance when credits run out; nothing changes', async () => {
      const u = newUser();
      await post('/v1/billing/accounts', { ...u, initial_balance_minor: 50 });
      for (let i = 0; i < 12; i++) await charge(u, { amount_minor: 1 });
      const res = await charge(u, { amount_minor: 51 });
      expect(res.status).toBe(402);
      expect(res.body).toEqual({
        detail: 'Insufficient credits. Balance: 50, Required: 51',
        code: 'insufficient_credits',
      });
      expect((await account(u)).body).toMatchObject({ balance_minor: 50, total_uses: 12 });
      expect((await charge(u, { amount_minor: 50 })).body.balance_after).toBe(0);
    });

    it('400 on a currency mismatch', async () => {
      const u = newUser();
      await post('/v1/billing/accounts', { ...u, currency: 'eur' });
      expect((await account(u)).body.currency).toBe('EUR');
      const res = await charge(u, { currency: 'usd' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ detail: 'Currency mismatch: account=EUR, charge=USD', code: 'currency_mismatch' });
      expect((await charge(u, { currency: 'eur' })).status).toBe(201);
    });

    it('403 on suspended and closed accounts', async () => {
      const suspended = newUser();
      const closed = newUser();
      await post('/v1/billing/accounts', { ...suspended, initial_balance_minor: 100 });
      await post('/v1/billing/accounts', closed);
      await t.db.query(`UPDATE accounts SET status = 'suspended' WHERE external_id = $1`, [suspended.external_id]);
      await t.db.query(`UPDATE accounts SET status = 'closed' WHERE external_id = $1`, [closed.external_id]);
      const s = await charge(suspended);
      expect(s.status).toBe(403);
      expect(s.body).toEqual({ detail: 'Account suspended', code: 'account_suspended' });
      const c = await charge(closed);
      expect(c.status).toBe(403);
      expect(c.body).toEqual({ detail: 'Account is closed', code: 'account_closed' });

      const check = await post('/v1/billing/credits/check', suspended);
      expect(check.body).toMatchObject({
        has_credit: false,
        reason: 'Account suspended',
        credits_remaining: 0,
        free_uses_remaining: 0,
        daily_free_uses_remaining: 0,
        purchase_required: true,
      });
      expect((await post('/v1/billing/credits/check', closed)).body.reason).toBe('Account closed');

      // Credits are still allowed on a suspended account, not on a closed one.
      expect((await post('/v1/billing/credits', { ...suspended, amount_minor: 5 })).status).toBe(201);
      expect((await post('/v1/billing/credits', { ...closed, amount_minor: 5 })).status).toBe(403);
    });

    it('409 with X-Existing-Charge-ID on a repeat, 422 when the key is reused with other parameters', async () => {
      const u = newUser();
      await post('/v1/billing/accounts', { ...u, initial_balance_minor: 1000 });
      const first = await charge(u, { idempotency_key: 'same' });
      expect(first.status).toBe(201);
      const repeat = await charge(u, { idempotency_key: 'same' });
      expect(repeat.status).toBe(409);
      expect(repeat.headers['x-existing-charge-id']).toBe(first.body.charge_id);
      expect(repeat.body).toEqual({
        detail: 'Charge already exists',
        code: 'charge_exists',
        charge_id: first.body.charge_id,
      });
      for (const other of [{ amount_minor: 101 }, { description: 'Other' }, { currency: 'EUR' }]) {
        const res = await charge(u, { idempotency_key: 'same', ...other });
        expect(res.status).toBe(422);
        expect(res.body).toEqual({
          detail: 'Idempotency key already used with different parameters',
          code: 'idempotency_conflict',
        });
      }
      expect((await account(u)).body.total_uses).toBe(1);
      // The same key on another account is a different charge.
      const v = newUser();
      await post('/v1/billing/accounts', v);
      expect((await charge(v, { idempotency_key: 'same' })).status).toBe(201);
    });
  });

  describe('credits', () => {
    it('adds credit and answers with the credit body', async () => {
      const u = newUser();
      await post('/v1/billing/accounts', u);
      const res = await post('/v1/billing/credits', {
        ...u,
        amount_minor: 2500,
        currency: 'USD',
        description: 'Top-up',
        transaction_type: 'purchase',
        external_transaction_id: 'pi_123',
        idempotency_key: 'credit-1',
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        amount_minor: 2500,
        currency: 'USD',
        balance_after: 2500,
        transaction_type: 'purchase',
        description: 'Top-up',
        external_transaction_id: 'pi_123',
      });
      const repeat = await post('/v1/billing/credits', { ...u, amount_minor: 2500, idempotency_key: 'credit-1' });
      expect(repeat.status).toBe(409);
      expect(repeat.body.detail).toBe('Credit already exists');
      expect(repeat.headers['x-existing-credit-id']).toBe(res.body.credit_id);
      expect((await account(u)).body.balance_minor).toBe(2500);
    });

    it('404 for unknown accounts, 400 on currency mismatch, 422 for bad amounts and types', async () => {
      const u = newUser();
      expect((await post('/v1/billing/credits', { ...u, amount_minor: 5 })).status).toBe(404);
      await post('/v1/billing/accounts', u);
      const mismatch = await post('/v1/billing/credits', { ...u, amount_minor: 5, currency: 'GBP' });
      expect(mismatch.status).toBe(400);
      expect(mismatch.body.detail).toBe('Currency mismatch: account=USD, charge=GBP');
      for (const bad of [{ amount_minor: 0 }, { amount_minor: -5 }, { amount_minor: 5, transaction_type: 'gift' }]) {
        expect((await post('/v1/billing/credits', { ...u, ...bad })).status).toBe(422);
      }
      expect((await account(u)).body.balance_minor).toBe(0);
    });
  });

  describe('transactions', () => {
    it('lists charges (negative) and credits newest first, paginated', async () => {
      const u = newUser();
      await post('/v1/billing/accounts', { ...u, initial_balance_minor: 1000 });
      for (let i = 0; i < 14; i++) await charge(u, { amount_minor: 10 + i });
      const all = await get(`/v1/billing/transactions?oauth_provider=${u.oauth_provider}&external_id=${u.external_id}`);
      expect(all.status).toBe(200);
      expect(all.body.total_count).toBe(15);
      expect(all.body.has_more).toBe(false);
      const entries = all.body.transactions as Array<Record<string, unknown>>;
      expect(entries[0]).toMatchObject({
        type: 'charge',
        amount_minor: -23,
        balance_change_minor: -23,
        funding_source: 'balance',
      });
      expect(entries[14]).toMatchObject({ type: 'credit', transaction_type: 'grant', amount_minor: 1000 });
      const times = entries.map((e) => Date.parse(e.created_at as string));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      // Balance equals the sum of what each entry did to it.
      const sum = entries.reduce((s, e) => s + (e.balance_change_minor as number), 0);
      expect(sum).toBe((await account(u)).body.balance_minor);

      const page = await get(
        `/v1/billing/transactions?oauth_provider=${u.oauth_provider}&external_id=${u.external_id}&limit=5&offset=10`,
      );
      expect(page.body.transactions).toHaveLength(5);
      expect(page.body.has_more).toBe(false);
      expect(page.body.transactions[0].transaction_id).toBe(entries[10].transaction_id);
      const first = await get(
        `/v1/billing/transactions?oauth_provider=${u.oauth_provider}&external_id=${u.external_id}&limit=5`,
      );
      expect(first.body.has_more).toBe(true);
    });

    it('answers an empty list for an unknown account and 422 for bad paging', async () => {
      const u = newUser();
      const res = await get(`/v1/billing/transactions?oauth_provider=${u.oauth_provider}&external_id=${u.external_id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ transactions: [], total_count: 0, has_more: false });
      for (const q of ['limit=0', 'limit=201', 'limit=abc', 'offset=-1']) {
        const bad = await get(`/v1/billing/transactions?oauth_provider=${u.oauth_provider}&external_id=x&${q}`);
        expect(bad.status).toBe(422);
        expect(bad.body.detail[0].loc[0]).toBe('query');
      }
      expect((await get('/v1/billing/transactions')).status).toBe(422);
    });
  });

  describe('test and live data are separate', () => {
    it('an account created with a test key is invisible to a live key and vice versa', async () => {
      const u = newUser();
      await post('/v1/billing/accounts', { ...u, initial_balance_minor: 300 }, key);
      expect((await account(u, liveKey)).status).toBe(404);
      expect((await charge(u, {}, liveKey)).status).toBe(404);
      const live = await post('/v1/billing/accounts', u, liveKey);
      expect(live.body.balance_minor).toBe(0);
      expect(live.body.account_id).not.toBe((await account(u, key)).body.account_id);
      const tx = await get(
        `/v1/billing/transactions?oauth_provider=${u.oauth_provider}&external_id=${u.external_id}`,
        liveKey,
      );
      expect(tx.body.total_count).toBe(0);
    });
  });

  describe('bad input is a clear 4xx and changes nothing', () => {
    it.each([
      ['amount as a string', { amount_minor: '100' }],
      ['fractional amount', { amount_minor: 1.5 }],
      ['zero amount', { amount_minor: 0 }],
      ['negative amount', { amount_minor: -1 }],
      ['huge amount', { amount_minor: 1e308 }],
      ['unsafe integer amount', { amount_minor: 2 ** 63 }],
      ['empty description', { description: '' }],
      ['missing description', { description: undefined }],
      ['over-long description', { description: 'x'.repeat(5000) }],
      ['over-long idempotency key', { idempotency_key: 'k'.repeat(256) }],
      ['bad currency', { currency: 'DOLLARS' }],
      ['metadata not an object', { metadata: 'x' }],
      ['external_id too long', { external_id: 'e'.repeat(300) }],
      ['oauth_provider without oauth:', { oauth_provider: 'google' }],
      ['external_id a number', { external_id: 12 }],
    ])('%s → 422', async (_label, override) => {
      const u = newUser();
      await post('/v1/billing/accounts', { ...u, initial_balance_minor: 100 });
      const res = await charge(u, override);
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_error');
      expect(Array.isArray(res.body.detail)).toBe(true);
      expect(res.body.detail[0]).toEqual({ loc: expect.any(Array), msg: expect.any(String), type: expect.any(String) });
      expect((await account(u)).body).toMatchObject({ balance_minor: 100, total_uses: 0 });
    });

    it('strings PostgreSQL cannot store (NUL, lone surrogates) → 422 anywhere, never a 500', async () => {
      const u = newUser();
      await post('/v1/billing/accounts', { ...u, initial_balance_minor: 100 });
      const bodies: Array<[object, (string | number)[]]> = [
        [{ external_id: 'u\u0000x' }, ['body', 'external_id']],
        [{ description: 'x\u0000y' }, ['body', 'description']],
        [{ metadata: { request_id: '\u0000' } }, ['body', 'metadata', 'request_id']],
        [{ idempotency_key: 'k\ud800' }, ['body', 'idempotency_key']],
      ];
      for (const [override, loc] of bodies) {
        const res = await charge(u, override);
        expect([loc, res.status]).toEqual([loc, 422]);
        expect(res.body.detail[0]).toMatchObject({ loc, type: 'string_unstorable' });
      }
      const check = await post('/v1/billing/credits/check', { ...u, context: { request_id: 'a\u0000' } });
      expect(check.status).toBe(422);
      expect((await get(`/v1/billing/accounts/oauth:google/u%00`)).status).toBe(422);
      expect((await get(`/v1/billing/transactions?oauth_provider=oauth:google&external_id=u%00`)).status).toBe(422);
      expect((await account(u)).body).toMatchObject({ balance_minor: 100, total_uses: 0 });
    });

    it('keys that could reach a prototype are dropped like any unknown field', async () => {
      const u = newUser();
      const res = await request(t.http)
        .post('/v1/billing/credits/check')
        .set('X-API-Key', key)
        .set('Content-Type', 'application/json')
        .send(
          `{"oauth_provider":"${u.oauth_provider}","external_id":"${u.external_id}",` +
            `"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},` +
            `"context":{"__proto__":{"polluted":true}}}`,
        );
      expect(res.status).toBe(200);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('idempotency keys the service reserves for itself (stripe:…) are refused', async () => {
      const u = newUser();
      await post('/v1/billing/accounts', u);
      for (const key of ['stripe:pi_123', 'stripe-refund:pi_123:20']) {
        const res = await post('/v1/billing/credits', { ...u, amount_minor: 1, idempotency_key: key });
        expect(res.status).toBe(422);
        expect(res.body.detail[0].loc).toEqual(['body', 'idempotency_key']);
        expect((await charge(u, { idempotency_key: key })).status).toBe(422);
      }
      expect((await account(u)).body.balance_minor).toBe(0);
    });

    it('malformed JSON → 422, non-object body → 422, unknown fields ignored', async () => {
      const bad = await request(t.http)
        .post('/v1/billing/charges')
        .set('X-API-Key', key)
        .set('Content-Type', 'application/json')
        .send('{"oauth_provider": ');
      expect(bad.status).toBe(422);
      expect(bad.body.code).toBe('validation_error');
      for (const body of ['[1,2]', '"text"', 'null']) {
        const res = await request(t.http)
          .post('/v1/billing/credits/check')
          .set('X-API-Key', key)
          .set('Content-Type', 'application/json')
          .send(body);
        expect(res.status).toBe(422);
      }
      const noJson = await request(t.http).post('/v1/billing/credits/check').set('X-API-Key', key).send('plain');
      expect(noJson.status).toBe(422);
      const u = newUser();
      const res = await post('/v1/billing/credits/check', {
        ...u,
        context: { source: 'x', nested: { a: 1 } },
        surprise: true,
      });
      expect(res.status).toBe(200);
    });

    it('oversized body → 413', async () => {
      const res = await post('/v1/billing/credits/check', { ...newUser(), filler: 'x'.repeat(200_000) });
      expect(res.status).toBe(413);
      expect(res.body.code).toBe('payload_too_large');
    });

    it('unknown route → 404 in the error shape', async () => {
      const res = await get('/v1/billing/nothing-here');
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ detail: expect.any(String), code: 'not_found' });
    });
  });
});
