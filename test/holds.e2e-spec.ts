import request from 'supertest';
import { holdMismatches, refundMismatches } from './utils/holds.js';
import { ledgerMismatches } from './utils/ledger.js';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';

type User = { oauth_provider: string; external_id: string };

/** Holds and refunds (SPEC §11): statuses, bodies, errors, idempotency, permissions, isolation. */
describe('Holds and refunds (SPEC §11)', () => {
  let t: TestApp;
  let key: string;
  let liveKey: string;

  beforeAll(async () => {
    t = await createTestApp({
      FREE_USES_PER_ACCOUNT: '1',
      DAILY_FREE_USES: '1',
      HOLD_DEFAULT_EXPIRES_IN_SECONDS: '300',
      HOLD_MAX_EXPIRES_IN_SECONDS: '3600',
      METRICS_ENABLED: 'true',
      METRICS_PORT: '0',
      DOCS_ENABLED: 'true',
    });
    key = (await t.createKey({ environment: 'test' })).plaintextKey;
    liveKey = (await t.createKey({ environment: 'live' })).plaintextKey;
  });
  afterEach(() => t.clock.reset());
  afterAll(async () => {
    expect(await ledgerMismatches(t.db)).toEqual([]);
    expect(await holdMismatches(t.db)).toEqual([]);
    expect(await refundMismatches(t.db)).toEqual([]);
    await t.close();
  });

  const post = (path: string, body: object, k = key) => request(t.http).post(path).set('X-API-Key', k).send(body);
  const get = (path: string, k = key) => request(t.http).get(path).set('X-API-Key', k);
  const hold = (u: User, extra: object = {}, k = key) =>
    post(
      '/v1/billing/holds',
      {
        ...u,
        amount_minor: 100,
        currency: 'USD',
        description: 'LLM call',
        idempotency_key: `h-${crypto.randomUUID()}`,
        ...extra,
      },
      k,
    );
  const capture = (id: string, body: object = {}, k = key) => post(`/v1/billing/holds/${id}/capture`, body, k);
  const release = (id: string, k = key) => post(`/v1/billing/holds/${id}/release`, {}, k);
  const charge = (u: User, extra: object = {}) =>
    post('/v1/billing/charges', { ...u, amount_minor: 10, currency: 'USD', description: 'Message', ...extra });
  const refund = (chargeId: string, body: object = {}, k = key) =>
    post(
      `/v1/billing/charges/${chargeId}/refund`,
      { reason: 'Model call failed', idempotency_key: `r-${crypto.randomUUID()}`, ...body },
      k,
    );
  const check = (u: User) => post('/v1/billing/credits/check', u);
  const account = async (u: User) => (await get(`/v1/billing/accounts/${u.oauth_provider}/${u.external_id}`)).body;
  const transactions = async (u: User) =>
    (await get(`/v1/billing/transactions?oauth_provider=${u.oauth_provider}&external_id=${u.external_id}`)).body
      .transactions as Array<Record<string, unknown>>;
  /** An account with `balance` and its free uses already spent (so holds draw on the balance). */
  const paidUser = async (balance: number): Promise<User> => {
    const u = newUser();
    await post('/v1/billing/accounts', { ...u, initial_balance_minor: balance });
    await charge(u); // daily free use
    await charge(u); // one-time free use
    return u;
  };

  describe('POST /v1/billing/holds', () => {
    it('reserves in the order a charge consumes: daily free use, one-time free use, then balance', async () => {
      const u = newUser();
      await post('/v1/billing/accounts', { ...u, initial_balance_minor: 250 });
      const first = await hold(u, { idempotency_key: 'h1', metadata: { request_id: 'req-1', agent_id: 'a1' } });
      expect(first.status).toBe(201);
      const now = t.clock.now().getTime();
      expect(first.body).toEqual({
        hold_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        account_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        amount_minor: 100,
        currency: 'USD',
        funded_by: 'daily_free_use',
        status: 'active',
        expires_at: expect.any(String),
        created_at: expect.any(String),
        description: 'LLM call',
        metadata: { request_id: 'req-1', agent_id: 'a1' },
        ended_at: null,
        charge_id: null,
        captured_amount_minor: null,
      });
      // Default expiry: HOLD_DEFAULT_EXPIRES_IN_SECONDS after creation, by the service's clock.
      expect(Date.parse(first.body.expires_at) - Date.parse(first.body.created_at)).toBe(300_000);
      expect(Math.abs(Date.parse(first.body.created_at) - now)).toBeLessThan(5_000);

      expect((await hold(u)).body.funded_by).toBe('free_use');
      const third = await hold(u, { amount_minor: 200, expires_in_seconds: 60 });
      expect(third.body).toMatchObject({ funded_by: 'balance', amount_minor: 200, status: 'active' });
      expect(Date.parse(third.body.expires_at) - Date.parse(third.body.created_at)).toBe(60_000);

      // 50 of 250 is not held: a hold of 51 is refused, one of 50 fits.
      const refused = await hold(u, { amount_minor: 51 });
      expect(refused.status).toBe(402);
      expect(refused.body).toEqual({
        detail: 'Insufficient credits. Balance: 50, Required: 51',
        code: 'insufficient_credits',
      });
      expect((await hold(u, { amount_minor: 50 })).status).toBe(201);

      // Holds are not ledger entries: the balance is untouched, the check shows what is held.
      const acct = await account(u);
      expect(acct).toMatchObject({
        balance_minor: 250,
        free_uses_remaining: 1,
        daily_free_uses_remaining: 1,
        total_uses: 0,
      });
      const checked = await check(u);
      expect(checked.body).toEqual({
        has_credit: false,
        credits_remaining: 0,
        plan_name: 'free',
        reason: 'No free uses or credits remaining',
        free_uses_remaining: 0,
        total_uses: 0,
        purchase_required: true,
        purchase_price_minor: 500,
        purchase_uses: 20,
        daily_free_uses_remaining: 0,
        daily_free_uses_limit: 1,
        held_minor: 250,
        free_uses_held: 1,
        daily_free_uses_held: 1,
      });
      expect(await transactions(u)).toHaveLength(1); // the initial grant only
    });

    it('replays answer 409 with X-Existing-Hold-ID; the same key with other parameters 422', async () => {
      const u = await paidUser(1000);
      const body = { idempotency_key: 'same-hold', amount_minor: 300 };
      const first = await hold(u, body);
      expect(first.status).toBe(201);
      const again = await hold(u, body);
      expect(again.status).toBe(409);
      expect(again.headers['x-existing-hold-id']).toBe(first.body.hold_id);
      expect(again.body).toEqual({ detail: 'Hold already exists', code: 'hold_exists', hold_id: first.body.hold_id });
      const other = await hold(u, { ...body, amount_minor: 301 });
      expect(other.status).toBe(422);
      expect(other.body).toEqual({
        detail: 'Idempotency key already used with different parameters',
        code: 'idempotency_conflict',
      });
      // Only one reservation was made.
      expect((await check(u)).body).toMatchObject({ held_minor: 300, credits_remaining: 700 });
    });

    it('404 for an unknown account, 403 suspended / closed, 400 currency mismatch', async () => {
      expect((await hold(newUser())).body).toEqual({ detail: 'Account not found', code: 'account_not_found' });
      const u = await paidUser(500);
      const mismatch = await hold(u, { currency: 'eur' });
      expect(mismatch.status).toBe(400);
      expect(mismatch.body).toEqual({
        detail: 'Currency mismatch: account=USD, charge=EUR',
        code: 'currency_mismatch',
      });
      await t.db.query(`UPDATE accounts SET status = 'suspended' WHERE external_id = $1`, [u.external_id]);
      const suspended = await hold(u);
      expect(suspended.status).toBe(403);
      expect(suspended.body).toEqual({ detail: 'Account suspended', code: 'account_suspended' });
      await t.db.query(`UPDATE accounts SET status = 'closed' WHERE external_id = $1`, [u.external_id]);
      expect((await hold(u)).body).toEqual({ detail: 'Account is closed', code: 'account_closed' });
    });

    it('validates the body (422), including the configured maximum expiry', async () => {
      const u = await paidUser(500);
      const bad = await post('/v1/billing/holds', { ...u, amount_minor: 0, description: '' });
      expect(bad.status).toBe(422);
      expect(bad.body.code).toBe('validation_error');
      const locs = (bad.body.detail as Array<{ loc: string[] }>).map((d) => d.loc.join('.'));
      expect(locs).toEqual(expect.arrayContaining(['body.amount_minor', 'body.description', 'body.idempotency_key']));
      const tooLong = await hold(u, { expires_in_seconds: 3601 });
      expect(tooLong.status).toBe(422);
      expect(tooLong.body).toEqual({
        detail: [
          { loc: ['body', 'expires_in_seconds'], msg: 'expires_in_seconds must not be greater than 3600', type: 'max' },
        ],
        code: 'validation_error',
      });
      expect((await hold(u, { expires_in_seconds: 0 })).status).toBe(422);
      expect((await hold(u, { expires_in_seconds: 3600 })).status).toBe(201);
      expect((await hold(u, { idempotency_key: 'stripe:pi_123' })).status).toBe(422);
    });

    it('counts holds in /metrics by outcome (captures count as charges, refunds as credits)', async () => {
      const u = await paidUser(10);
      await hold(u, { amount_minor: 11 });
      const h = (await hold(u, { amount_minor: 10 })).body;
      await capture(h.hold_id, { amount_minor: 4 });
      const text = (await request(t.http).get('/metrics')).text;
      expect(text).toMatch(/^billing_holds_total\{outcome="success"\} [1-9]\d*$/m);
      expect(text).toMatch(/^billing_holds_total\{outcome="insufficient_credits"\} [1-9]\d*$/m);
    });

    it('a plain charge can never spend held credit, and the check says what is held', async () => {
      const u = await paidUser(100);
      const h = await hold(u, { amount_minor: 80 });
      expect(h.status).toBe(201);
      const refused = await charge(u, { amount_minor: 30 });
      expect(refused.status).toBe(402);
      expect(refused.body).toEqual({
        detail: 'Insufficient credits. Balance: 20, Required: 30',
        code: 'insufficient_credits',
      });
      expect((await charge(u, { amount_minor: 20 })).status).toBe(201);
      expect((await check(u)).body).toMatchObject({
        has_credit: false,
        credits_remaining: 0,
        held_minor: 80,
        free_uses_remaining: 0,
        free_uses_held: 0,
      });
      // Released, the credit is spendable again.
      expect((await release(h.body.hold_id)).status).toBe(200);
      expect((await check(u)).body).toMatchObject({ has_credit: true, credits_remaining: 80, held_minor: 0 });
      expect((await charge(u, { amount_minor: 80 })).status).toBe(201);
    });

    it('the account body says what active holds reserve and what is available, expiry by the clock at request time', async () => {
      const u = newUser();
      const opened = (await post('/v1/billing/accounts', { ...u, initial_balance_minor: 500 })).body;
      expect(opened).toMatchObject({ held_minor: 0, available_minor: 500, free_uses_held: 0, daily_free_uses_held: 0 });
      const daily = (await hold(u, { amount_minor: 70, expires_in_seconds: 600 })).body;
      const free = (await hold(u, { amount_minor: 70, expires_in_seconds: 600 })).body;
      const short = (await hold(u, { amount_minor: 120, expires_in_seconds: 60 })).body;
      await hold(u, { amount_minor: 80, expires_in_seconds: 600 });
      expect([daily.funded_by, free.funded_by, short.funded_by]).toEqual(['daily_free_use', 'free_use', 'balance']);
      const held = {
        balance_minor: 500,
        paid_credits: 500,
        held_minor: 200,
        available_minor: 300,
        free_uses_remaining: 1,
        free_uses_held: 1,
        daily_free_uses_remaining: 1,
        daily_free_uses_held: 1,
      };
      expect(await account(u)).toMatchObject(held);
      // POST (get-or-create of an existing account) answers the same body.
      expect((await post('/v1/billing/accounts', u)).body).toMatchObject(held);
      // The credit check agrees: what it offers is what the account body says is available.
      expect((await check(u)).body).toMatchObject({ credits_remaining: 300, held_minor: 200 });
      // Past its expiry a hold reserves nothing, before any statement records it as expired.
      t.clock.advance(61_000);
      const [row] = await t.db.query(`SELECT held_minor::int AS held FROM accounts WHERE id = $1`, [opened.account_id]);
      expect(row.held).toBe(200);
      expect(await account(u)).toMatchObject({ held_minor: 80, available_minor: 420, free_uses_held: 1 });
      expect((await check(u)).body).toMatchObject({ credits_remaining: 420, held_minor: 80 });
      await capture(daily.hold_id, { amount_minor: 50 });
      await release(free.hold_id);
      expect(await account(u)).toMatchObject({
        balance_minor: 500,
        held_minor: 80,
        available_minor: 420,
        free_uses_remaining: 1,
        free_uses_held: 0,
        daily_free_uses_remaining: 0,
        daily_free_uses_held: 0,
      });
    });

    it('a held free use is not offered to a charge: the charge draws on the balance instead', async () => {
      const u = newUser();
      await post('/v1/billing/accounts', { ...u, initial_balance_minor: 50 });
      const daily = await hold(u);
      const free = await hold(u);
      expect([daily.body.funded_by, free.body.funded_by]).toEqual(['daily_free_use', 'free_use']);
      const paid = await charge(u, { amount_minor: 10 });
      expect(paid.status).toBe(201);
      expect(paid.body.balance_after).toBe(40);
      expect((await check(u)).body).toMatchObject({
        has_credit: true,
        credits_remaining: 40,
        free_uses_remaining: 0,
        daily_free_uses_remaining: 0,
        free_uses_held: 1,
        daily_free_uses_held: 1,
      });
    });
  });

  describe('capture, release, status', () => {
    it('captures part of a hold: a normal charge, the rest is freed; a repeat is 409 with X-Existing-Charge-ID', async () => {
      const u = await paidUser(1000);
      const h = (await hold(u, { amount_minor: 400, metadata: { request_id: 'req-9' } })).body;
      const captured = await capture(h.hold_id, { amount_minor: 123, metadata: { message_id: 'm-1' } });
      expect(captured.status).toBe(201);
      expect(captured.body).toEqual({
        charge_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        account_id: h.account_id,
        amount_minor: 123,
        currency: 'USD',
        balance_after: 877,
        created_at: expect.any(String),
        description: 'LLM call',
        metadata: { request_id: 'req-9', message_id: 'm-1' },
        hold_id: h.hold_id,
      });
      expect((await check(u)).body).toMatchObject({ credits_remaining: 877, held_minor: 0 });
      expect(await account(u)).toMatchObject({ balance_minor: 877, total_uses: 3 });

      for (const body of [{}, { amount_minor: 123 }, { amount_minor: 5 }]) {
        const again = await capture(h.hold_id, body);
        expect(again.status).toBe(409);
        expect(again.headers['x-existing-charge-id']).toBe(captured.body.charge_id);
        expect(again.body).toEqual({
          detail: 'Hold already captured',
          code: 'hold_captured',
          charge_id: captured.body.charge_id,
        });
      }
      const releaseCaptured = await release(h.hold_id);
      expect(releaseCaptured.status).toBe(409);
      expect(releaseCaptured.headers['x-existing-charge-id']).toBe(captured.body.charge_id);

      const status = await get(`/v1/billing/holds/${h.hold_id}`);
      expect(status.status).toBe(200);
      expect(status.body).toMatchObject({
        hold_id: h.hold_id,
        status: 'captured',
        charge_id: captured.body.charge_id,
        captured_amount_minor: 123,
        ended_at: expect.any(String),
      });

      // The charge is a ledger entry like any other.
      const [latest] = await transactions(u);
      expect(latest).toMatchObject({
        transaction_id: captured.body.charge_id,
        type: 'charge',
        amount_minor: -123,
        balance_change_minor: -123,
        balance_after: 877,
        hold_id: h.hold_id,
      });
    });

    it('captures the whole hold by default; never more than held (400)', async () => {
      const u = await paidUser(500);
      const h = (await hold(u, { amount_minor: 200 })).body;
      const over = await capture(h.hold_id, { amount_minor: 201 });
      expect(over.status).toBe(400);
      expect(over.body).toEqual({
        detail: 'Capture exceeds the held amount. Held: 200, Requested: 201',
        code: 'capture_exceeds_hold',
      });
      const all = await capture(h.hold_id, { description: 'Final cost' });
      expect(all.status).toBe(201);
      expect(all.body).toMatchObject({ amount_minor: 200, balance_after: 300, description: 'Final cost' });
    });

    it('a free-use hold captures as a free charge (the free use covers it whatever the amount)', async () => {
      const u = newUser();
      await post('/v1/billing/accounts', { ...u, initial_balance_minor: 10 });
      const h = (await hold(u, { amount_minor: 500 })).body;
      expect(h.funded_by).toBe('daily_free_use');
      const captured = await capture(h.hold_id, { amount_minor: 321 });
      expect(captured.body).toMatchObject({ amount_minor: 321, balance_after: 10 });
      expect(await account(u)).toMatchObject({
        balance_minor: 10,
        daily_free_uses_remaining: 0,
        free_uses_remaining: 1,
        total_uses: 1,
      });
      const [latest] = await transactions(u);
      expect(latest).toMatchObject({ amount_minor: -321, balance_change_minor: 0, funding_source: 'daily_free' });
    });

    it('release frees the reservation; releasing again is a 200 no-op; capture after release is 409', async () => {
      const u = await paidUser(300);
      const h = (await hold(u, { amount_minor: 300 })).body;
      expect((await check(u)).body).toMatchObject({ credits_remaining: 0, held_minor: 300 });
      const released = await release(h.hold_id);
      expect(released.status).toBe(200);
      expect(released.body).toMatchObject({
        hold_id: h.hold_id,
        status: 'released',
        ended_at: expect.any(String),
        charge_id: null,
      });
      const again = await release(h.hold_id);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(released.body);
      const late = await capture(h.hold_id);
      expect(late.status).toBe(409);
      expect(late.body).toEqual({ detail: 'Hold released', code: 'hold_released' });
      expect((await check(u)).body).toMatchObject({ credits_remaining: 300, held_minor: 0 });
      expect(await account(u)).toMatchObject({ balance_minor: 300 });
    });

    it('a hold stops reserving at expires_at (by the clock, no job): status expired, capture 409, release 200', async () => {
      const u = await paidUser(100);
      const h = (await hold(u, { amount_minor: 100, expires_in_seconds: 60 })).body;
      expect((await charge(u, { amount_minor: 1 })).status).toBe(402);
      t.clock.advance(59_000);
      expect((await get(`/v1/billing/holds/${h.hold_id}`)).body.status).toBe('active');
      t.clock.advance(1_000);
      const status = await get(`/v1/billing/holds/${h.hold_id}`);
      expect(status.body).toMatchObject({ status: 'expired', ended_at: h.expires_at });
      // The check sees it gone before anything has written the expiry down.
      expect((await check(u)).body).toMatchObject({ has_credit: true, credits_remaining: 100, held_minor: 0 });
      const late = await capture(h.hold_id);
      expect(late.status).toBe(409);
      expect(late.body).toEqual({ detail: 'Hold expired', code: 'hold_expired' });
      const released = await release(h.hold_id);
      expect(released.status).toBe(200);
      expect(released.body.status).toBe('expired');
      expect((await charge(u, { amount_minor: 100 })).body.balance_after).toBe(0);
      const [{ status: stored }] = await t.db.query(`SELECT status FROM holds WHERE id = $1`, [h.hold_id]);
      expect(stored).toBe('expired');
    });

    it('a plain charge after expiry uses what the expired hold had reserved', async () => {
      const u = await paidUser(100);
      await hold(u, { amount_minor: 70, expires_in_seconds: 10 });
      expect((await charge(u, { amount_minor: 31 })).status).toBe(402);
      t.clock.advance(10_000);
      const paid = await charge(u, { amount_minor: 100 });
      expect(paid.status).toBe(201);
      expect(paid.body.balance_after).toBe(0);
    });

    it("a daily free use held before 00:00 UTC and captured after it is that day's: today's stays free", async () => {
      const u = newUser();
      await post('/v1/billing/accounts', u);
      const now = t.clock.now().getTime();
      const midnight = Date.UTC(
        new Date(now).getUTCFullYear(),
        new Date(now).getUTCMonth(),
        new Date(now).getUTCDate() + 1,
      );
      t.clock.advance(midnight - now - 60_000); // 23:59 UTC
      const h = (await hold(u, { expires_in_seconds: 600 })).body;
      expect(h.funded_by).toBe('daily_free_use');
      expect((await check(u)).body).toMatchObject({ daily_free_uses_remaining: 0, daily_free_uses_held: 1 });
      t.clock.advance(120_000); // 00:01 UTC: a new day, a new daily free use
      expect((await check(u)).body).toMatchObject({
        daily_free_uses_remaining: 1,
        daily_free_uses_held: 0,
        free_uses_remaining: 1,
      });
      const captured = await capture(h.hold_id, { amount_minor: 7 });
      expect(captured.status).toBe(201);
      expect(captured.body.balance_after).toBe(0);
      expect(await account(u)).toMatchObject({ daily_free_uses_remaining: 1, free_uses_remaining: 1, total_uses: 1 });
      const [latest] = await transactions(u);
      expect(latest).toMatchObject({ funding_source: 'daily_free', balance_change_minor: 0 });
    });

    it('unknown and malformed hold ids: 404 Hold not found, 422 for a non-UUID', async () => {
      const missing = crypto.randomUUID();
      for (const res of [await get(`/v1/billing/holds/${missing}`), await capture(missing), await release(missing)]) {
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ detail: 'Hold not found', code: 'hold_not_found' });
      }
      const malformed = await get('/v1/billing/holds/not-a-uuid');
      expect(malformed.status).toBe(422);
      expect(malformed.body.detail[0]).toMatchObject({ loc: ['path', 'hold_id'] });
      expect((await capture('not-a-uuid')).status).toBe(422);
    });

    it('capture on a suspended account is 403 and the hold stays active', async () => {
      const u = await paidUser(100);
      const h = (await hold(u, { amount_minor: 50 })).body;
      await t.db.query(`UPDATE accounts SET status = 'suspended' WHERE external_id = $1`, [u.external_id]);
      const refused = await capture(h.hold_id);
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('account_suspended');
      expect((await get(`/v1/billing/holds/${h.hold_id}`)).body.status).toBe('active');
      expect((await release(h.hold_id)).body.status).toBe('released');
    });
  });

  describe('refunds', () => {
    it('refunds what remains by default, partial refunds add up to at most the charge, and link both ways', async () => {
      const u = await paidUser(1000);
      const paid = (await charge(u, { amount_minor: 300 })).body;
      const part = await refund(paid.charge_id, { amount_minor: 100, reason: 'Tool call failed' });
      expect(part.status).toBe(201);
      expect(part.body).toEqual({
        credit_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        account_id: paid.account_id,
        amount_minor: 100,
        currency: 'USD',
        balance_after: 800,
        transaction_type: 'refund',
        description: 'Tool call failed',
        external_transaction_id: null,
        created_at: expect.any(String),
        charge_id: paid.charge_id,
        free_uses_returned: 0,
      });
      const over = await refund(paid.charge_id, { amount_minor: 201 });
      expect(over.status).toBe(400);
      expect(over.body).toEqual({
        detail: 'Refund exceeds what remains refundable. Refundable: 200, Requested: 201',
        code: 'refund_exceeds_charge',
      });
      const rest = await refund(paid.charge_id);
      expect(rest.body).toMatchObject({ amount_minor: 200, balance_after: 1000 });
      const none = await refund(paid.charge_id);
      expect(none.status).toBe(409);
      expect(none.body).toEqual({ detail: 'Charge already fully refunded', code: 'charge_fully_refunded' });

      const list = await transactions(u);
      const chargeEntry = list.find((e) => e.transaction_id === paid.charge_id);
      expect(chargeEntry).toMatchObject({
        refunded_minor: 300,
        refund_ids: [part.body.credit_id, rest.body.credit_id],
      });
      const refundEntry = list.find((e) => e.transaction_id === part.body.credit_id);
      expect(refundEntry).toMatchObject({
        type: 'credit',
        transaction_type: 'refund',
        amount_minor: 100,
        charge_id: paid.charge_id,
      });
      expect(await account(u)).toMatchObject({ balance_minor: 1000 });
    });

    it('a charge paid by a free use gives back one one-time free use, once', async () => {
      const u = newUser();
      await post('/v1/billing/accounts', u);
      const free = (await charge(u, { amount_minor: 40 })).body; // daily free use
      const back = await refund(free.charge_id, { amount_minor: 40 });
      expect(back.status).toBe(201);
      expect(back.body).toMatchObject({
        amount_minor: 0,
        free_uses_returned: 1,
        balance_after: 0,
        charge_id: free.charge_id,
      });
      expect(await account(u)).toMatchObject({ free_uses_remaining: 2, balance_minor: 0 });
      expect((await refund(free.charge_id)).body.code).toBe('charge_fully_refunded');
      expect((await refund(free.charge_id, { amount_minor: 41 })).status).toBe(409);
    });

    it('a free-use charge gives back its free use once under concurrent partial and full refunds; the ledger refuses a second', async () => {
      const u = newUser();
      const opened = (await post('/v1/billing/accounts', u)).body; // 1 one-time and 1 daily free use
      const daily = (await charge(u, { amount_minor: 40 })).body;
      const h = (await hold(u, { amount_minor: 40 })).body;
      expect(h.funded_by).toBe('free_use');
      const captured = (await capture(h.hold_id, { amount_minor: 30 })).body;
      expect(await account(u)).toMatchObject({ free_uses_remaining: 0 });
      for (const paid of [daily, captured]) {
        // Every copy takes its snapshot while the account row is held, before any of them commits.
        const blocker = t.db.createQueryRunner();
        await blocker.startTransaction();
        await blocker.query(`SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, [opened.account_id]);
        const pending = Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            refund(paid.charge_id, i % 3 === 0 ? {} : { amount_minor: 1 + (i % 3) }),
          ),
        );
        await new Promise((r) => setTimeout(r, 500));
        await blocker.commitTransaction();
        await blocker.release();
        const results = await pending;
        expect(results.filter((r) => r.status === 201)).toHaveLength(1);
        const refused = results.filter((r) => r.status !== 201);
        expect(refused.map((r) => r.body.code)).toEqual(Array(11).fill('charge_fully_refunded'));
      }
      expect(await account(u)).toMatchObject({ free_uses_remaining: 2, balance_minor: 0 });
      const refunds: Array<{ charge_id: string; n: number }> = await t.db.query(
        `SELECT charge_id, free_uses_returned AS n FROM credits WHERE account_id = $1 AND transaction_type = 'refund'`,
        [opened.account_id],
      );
      expect(refunds.map((r) => r.charge_id).sort()).toEqual([daily.charge_id, captured.charge_id].sort());
      expect(refunds.every((r) => r.n === 1)).toBe(true);
      // Whatever path writes it, a second free-use refund of one charge is refused by the schema.
      const secondFreeUse = (uses: number) =>
        t.db.query(
          `INSERT INTO credits (account_id, environment, amount_minor, currency, transaction_type, description,
                                balance_after, charge_id, free_uses_returned)
           VALUES ($1, 'test', 0, 'USD', 'refund', 'Again', 0, $2, $3)`,
          [opened.account_id, daily.charge_id, uses],
        );
      await expect(secondFreeUse(1)).rejects.toThrow(/uq_credits_free_use_refund/);
      await expect(secondFreeUse(2)).rejects.toThrow(/chk_credits_free_uses_returned/);
    });

    it('idempotency: a replay is 409 with X-Existing-Credit-ID, the key with other parameters 422', async () => {
      const u = await paidUser(500);
      const paid = (await charge(u, { amount_minor: 50 })).body;
      const first = await refund(paid.charge_id, { amount_minor: 10, idempotency_key: 'refund-1' });
      expect(first.status).toBe(201);
      const again = await refund(paid.charge_id, { amount_minor: 10, idempotency_key: 'refund-1' });
      expect(again.status).toBe(409);
      expect(again.headers['x-existing-credit-id']).toBe(first.body.credit_id);
      expect(again.body).toEqual({
        detail: 'Credit already exists',
        code: 'credit_exists',
        credit_id: first.body.credit_id,
      });
      expect((await refund(paid.charge_id, { amount_minor: 11, idempotency_key: 'refund-1' })).status).toBe(422);
      const other = (await charge(u, { amount_minor: 5 })).body;
      expect((await refund(other.charge_id, { idempotency_key: 'refund-1' })).status).toBe(422);
      expect(await account(u)).toMatchObject({ balance_minor: 455 });
    });

    it('404 for an unknown charge, 403 on a closed account, 422 for bad input', async () => {
      const missing = await refund(crypto.randomUUID());
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ detail: 'Charge not found', code: 'charge_not_found' });
      const u = await paidUser(100);
      const paid = (await charge(u, { amount_minor: 20 })).body;
      expect((await refund(paid.charge_id, { amount_minor: 0 })).status).toBe(422);
      expect((await post(`/v1/billing/charges/${paid.charge_id}/refund`, { reason: 'x' })).status).toBe(422);
      expect((await refund('nope')).status).toBe(422);
      await t.db.query(`UPDATE accounts SET status = 'suspended' WHERE external_id = $1`, [u.external_id]);
      expect((await refund(paid.charge_id, { amount_minor: 5 })).status).toBe(201);
      await t.db.query(`UPDATE accounts SET status = 'closed' WHERE external_id = $1`, [u.external_id]);
      const closed = await refund(paid.charge_id);
      expect(closed.status).toBe(403);
      expect(closed.body.code).toBe('account_closed');
    });

    it('refunds a captured charge, which frees nothing held twice', async () => {
      const u = await paidUser(100);
      const h = (await hold(u, { amount_minor: 60 })).body;
      const captured = (await capture(h.hold_id, { amount_minor: 40 })).body;
      const back = await refund(captured.charge_id);
      expect(back.body).toMatchObject({ amount_minor: 40, balance_after: 100 });
      expect((await check(u)).body).toMatchObject({ credits_remaining: 100, held_minor: 0 });
    });
  });

  describe('other ways money leaves an account respect holds', () => {
    it('a negative admin adjustment cannot take what active holds reserve; after expiry it can', async () => {
      const admin = (await t.createKey({ environment: 'test', permissions: ['billing:admin'] })).plaintextKey;
      const u = await paidUser(100);
      await hold(u, { amount_minor: 80, expires_in_seconds: 60 });
      const adjust = (amount: number, k: string) =>
        post(
          `/v1/billing/accounts/${u.oauth_provider}/${u.external_id}/adjustments`,
          { amount_minor: amount, reason: 'Correction', idempotency_key: k },
          admin,
        );
      const refused = await adjust(-30, 'adj-1');
      expect(refused.status).toBe(402);
      expect(refused.body).toEqual({
        detail: 'Insufficient credits. Balance: 20, Required: 30',
        code: 'insufficient_credits',
      });
      expect((await adjust(-20, 'adj-2')).body).toMatchObject({ balance_after: 80 });
      t.clock.advance(60_000);
      expect((await adjust(-80, 'adj-3')).body).toMatchObject({ balance_after: 0 });
      expect((await check(u)).body).toMatchObject({ credits_remaining: 0, held_minor: 0 });
    });
  });

  describe('permissions and environments', () => {
    it('holds and refunds need billing:write; reading a hold needs billing:read', async () => {
      const u = await paidUser(100);
      const h = (await hold(u, { amount_minor: 10 })).body;
      const paid = (await charge(u, { amount_minor: 10 })).body;
      const reader = (await t.createKey({ environment: 'test', permissions: ['billing:read'] })).plaintextKey;
      const writer = (await t.createKey({ environment: 'test', permissions: ['billing:write'] })).plaintextKey;
      for (const res of [
        await hold(u, {}, reader),
        await capture(h.hold_id, {}, reader),
        await release(h.hold_id, reader),
        await refund(paid.charge_id, {}, reader),
      ]) {
        expect(res.status).toBe(403);
        expect(res.body).toEqual({ detail: 'Missing required permission: billing:write', code: 'permission_denied' });
      }
      expect((await get(`/v1/billing/holds/${h.hold_id}`, writer)).status).toBe(403);
      expect((await get(`/v1/billing/holds/${h.hold_id}`, reader)).status).toBe(200);
      expect((await request(t.http).get(`/v1/billing/holds/${h.hold_id}`)).status).toBe(401);
    });

    it('the OpenAPI document lists the five routes with their permissions and the 409 headers', async () => {
      const doc = (await request(t.http).get('/docs-json')).body as {
        paths: Record<
          string,
          Record<string, { 'x-required-permission'?: string; responses: Record<string, { headers?: object }> }>
        >;
      };
      expect({
        create: doc.paths['/v1/billing/holds'].post['x-required-permission'],
        capture: doc.paths['/v1/billing/holds/{hold_id}/capture'].post['x-required-permission'],
        release: doc.paths['/v1/billing/holds/{hold_id}/release'].post['x-required-permission'],
        get: doc.paths['/v1/billing/holds/{hold_id}'].get['x-required-permission'],
        refund: doc.paths['/v1/billing/charges/{charge_id}/refund'].post['x-required-permission'],
      }).toEqual({
        create: 'billing:write',
        capture: 'billing:write',
        release: 'billing:write',
        get: 'billing:read',
        refund: 'billing:write',
      });
      expect(doc.paths['/v1/billing/holds'].post.responses['409'].headers).toHaveProperty('X-Existing-Hold-ID');
      expect(doc.paths['/v1/billing/holds/{hold_id}/capture'].post.responses['409'].headers).toHaveProperty(
        'X-Existing-Charge-ID',
      );
      expect(doc.paths['/v1/billing/charges/{charge_id}/refund'].post.responses['409'].headers).toHaveProperty(
        'X-Existing-Credit-ID',
      );
    });

    it('the OpenAPI document gives both account routes the account body as their response', async () => {
      // Its properties come from the build's Swagger plugin: checked on the built server
      // (production-server.e2e-spec.ts); this app runs from the sources.
      const doc = (await request(t.http).get('/docs-json')).body as {
        paths: Record<string, Record<string, { responses: Record<string, { content?: object }> }>>;
      };
      const body = { 'application/json': { schema: { $ref: '#/components/schemas/AccountResponse' } } };
      expect(doc.paths['/v1/billing/accounts/{oauth_provider}/{external_id}'].get.responses['200'].content).toEqual(
        body,
      );
      expect(doc.paths['/v1/billing/accounts'].post.responses['201'].content).toEqual(body);
    });

    it('a live key neither sees nor touches test-mode holds and charges', async () => {
      const u = await paidUser(100);
      const h = (await hold(u, { amount_minor: 10 })).body;
      const paid = (await charge(u, { amount_minor: 10 })).body;
      expect((await get(`/v1/billing/holds/${h.hold_id}`, liveKey)).status).toBe(404);
      expect((await capture(h.hold_id, {}, liveKey)).status).toBe(404);
      expect((await release(h.hold_id, liveKey)).status).toBe(404);
      expect((await refund(paid.charge_id, {}, liveKey)).status).toBe(404);
      // The same identity under the live key is another account, which does not exist.
      expect((await hold(u, {}, liveKey)).status).toBe(404);
      expect((await get(`/v1/billing/holds/${h.hold_id}`)).body.status).toBe('active');
    });
  });
});
