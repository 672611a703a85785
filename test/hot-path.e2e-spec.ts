import request from 'supertest';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The credit check and the charge as one prepared statement each: behaviour of SPEC §4–5. */
describe('hot paths', () => {
  let t: TestApp;
  let key: string;
  let keyId: string;
  beforeAll(async () => {
    t = await createTestApp({ FREE_USES_PER_ACCOUNT: '1', DAILY_FREE_USES: '1' });
    const created = await t.createKey({ environment: 'live', name: 'Hot Agent' });
    key = created.plaintextKey;
    keyId = created.keyId;
  });
  afterAll(() => t.close());
  afterEach(() => t.clock.reset());

  const check = (body: object) => request(t.http).post('/v1/billing/credits/check').set('X-API-Key', key).send(body);
  const charge = (body: object) => request(t.http).post('/v1/billing/charges').set('X-API-Key', key).send(body);
  const accountRow = async (user: { external_id: string }) =>
    (await t.db.query(`SELECT * FROM accounts WHERE external_id = $1`, [user.external_id]))[0];
  const auditRows = async (user: { external_id: string }) =>
    t.db.query(
      `SELECT cc.has_credit, cc.reason, cc.context, cc.api_key_id, cc.environment
         FROM credit_checks cc JOIN accounts a ON a.id = cc.account_id
        WHERE a.external_id = $1 ORDER BY cc.created_at`,
      [user.external_id],
    );

  it("tries the agents' routes and GET / before any console route (each layer is a path test per request)", () => {
    type Layer = { route?: { path: string } };
    const express = t.app.getHttpAdapter().getInstance() as { router: { stack: Layer[] } };
    const paths = express.router.stack.map((layer) => layer.route?.path);
    const firstConsoleRoute = paths.findIndex((p) => p?.startsWith('/admin/api/'));
    expect(firstConsoleRoute).toBeGreaterThan(0);
    for (const hot of ['/v1/billing/credits/check', '/v1/billing/charges', '/v1/billing/key', '/']) {
      expect(paths.indexOf(hot)).toBeGreaterThan(-1);
      expect(paths.indexOf(hot)).toBeLessThan(firstConsoleRoute);
    }
  });

  it('GET /v1/billing/key describes the calling key without touching the database', async () => {
    const res = await request(t.http).get('/v1/billing/key').set('X-API-Key', key);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      key_id: keyId,
      name: 'Hot Agent',
      environment: 'live',
      permissions: ['billing:read', 'billing:write'],
      rate_limit_per_minute: null,
      status: 'active',
      expires_at: expect.any(String),
      grace_period_until: null,
      stops_working_at: res.body.expires_at,
      expires_soon: false,
    });
    const anonymous = await request(t.http).get('/v1/billing/key');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ detail: 'Missing required header X-API-Key', code: 'missing_api_key' });
    const writer = await t.createKey({ environment: 'live', permissions: ['billing:write'] });
    const denied = await request(t.http).get('/v1/billing/key').set('X-API-Key', writer.plaintextKey);
    expect(denied.status).toBe(403);
  });

  it('creates the account on first check, records every check, and walks free uses down to purchase', async () => {
    const user = newUser();
    const first = await check({ ...user, context: { agent_id: 'a1', request_id: 'r1', extra: 'dropped' } });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      has_credit: true,
      credits_remaining: 0,
      plan_name: 'free',
      reason: null,
      free_uses_remaining: 1,
      total_uses: 0,
      purchase_required: false,
      purchase_price_minor: 0,
      purchase_uses: 0,
      daily_free_uses_remaining: 1,
      daily_free_uses_limit: 1,
      held_minor: 0,
      free_uses_held: 0,
      daily_free_uses_held: 0,
    });
    const charged = { ...user, amount_minor: 3, currency: 'USD', description: 'msg' };
    expect((await charge(charged)).status).toBe(201); // daily free use
    expect((await charge(charged)).status).toBe(201); // one-time free use
    const empty = await check(user);
    expect(empty.body).toEqual({
      has_credit: false,
      credits_remaining: 0,
      plan_name: 'free',
      reason: 'No free uses or credits remaining',
      free_uses_remaining: 0,
      total_uses: 2,
      purchase_required: true,
      purchase_price_minor: 500,
      purchase_uses: 20,
      daily_free_uses_remaining: 0,
      daily_free_uses_limit: 1,
      held_minor: 0,
      free_uses_held: 0,
      daily_free_uses_held: 0,
    });
    // A new UTC day brings the daily free use back, in the check as in the charge.
    t.clock.advance(DAY_MS);
    const nextDay = await check(user);
    expect(nextDay.body).toMatchObject({
      has_credit: true,
      reason: null,
      daily_free_uses_remaining: 1,
      purchase_required: false,
    });

    const audit = await auditRows(user);
    expect(audit).toEqual([
      {
        has_credit: true,
        reason: null,
        context: { agent_id: 'a1', request_id: 'r1' },
        api_key_id: keyId,
        environment: 'live',
      },
      {
        has_credit: false,
        reason: 'No free uses or credits remaining',
        context: {},
        api_key_id: keyId,
        environment: 'live',
      },
      { has_credit: true, reason: null, context: {}, api_key_id: keyId, environment: 'live' },
    ]);
  });

  it('fills attributes when first seen and updates them only when a new non-null value arrives', async () => {
    const user = newUser();
    await check({ ...user, customer_email: 'a@example.com', display_name: 'A' });
    let row = await accountRow(user);
    expect(row).toMatchObject({ customer_email: 'a@example.com', display_name: 'A', wa_id: null });
    const before = row.updated_at as Date;

    await check({ ...user, customer_email: 'a@example.com', display_name: null });
    row = await accountRow(user);
    expect(row).toMatchObject({ customer_email: 'a@example.com', display_name: 'A' });
    expect(row.updated_at).toEqual(before);

    await check({ ...user, display_name: 'B', wa_id: 'wa-1' });
    row = await accountRow(user);
    expect(row).toMatchObject({ customer_email: 'a@example.com', display_name: 'B', wa_id: 'wa-1' });
    expect((row.updated_at as Date).getTime()).toBeGreaterThan(before.getTime());
  });

  it('shows nothing spendable for suspended and closed accounts, and records why', async () => {
    const user = newUser();
    await request(t.http)
      .post('/v1/billing/accounts')
      .set('X-API-Key', key)
      .send({ ...user, initial_balance_minor: 900 });
    const active = await check(user);
    expect(active.body).toMatchObject({ has_credit: true, credits_remaining: 900 });
    for (const [status, reason] of [
      ['suspended', 'Account suspended'],
      ['closed', 'Account closed'],
    ]) {
      await t.db.query(`UPDATE accounts SET status = $1 WHERE external_id = $2`, [status, user.external_id]);
      const res = await check(user);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        has_credit: false,
        credits_remaining: 0,
        plan_name: 'free',
        reason,
        free_uses_remaining: 0,
        total_uses: 0,
        purchase_required: true,
        purchase_price_minor: 500,
        purchase_uses: 20,
        daily_free_uses_remaining: 0,
        daily_free_uses_limit: 1,
        held_minor: 0,
        free_uses_held: 0,
        daily_free_uses_held: 0,
      });
    }
    const audit = await auditRows(user);
    expect(audit.map((a: { reason: string | null }) => a.reason)).toEqual([
      null,
      'Account suspended',
      'Account closed',
    ]);
  });

  it('creates one account when first checks race, and answers every one of them', async () => {
    const user = newUser();
    const results = await Promise.all(Array.from({ length: 12 }, () => check(user)));
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(200));
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM accounts WHERE external_id = $1`, [
      user.external_id,
    ]);
    expect(n).toBe(1);
    expect(await auditRows(user)).toHaveLength(12);
  });

  it('charges one account concurrently without over-spending, and duplicates stay 409', async () => {
    const user = newUser();
    await request(t.http)
      .post('/v1/billing/accounts')
      .set('X-API-Key', key)
      .send({ ...user, initial_balance_minor: 10 });
    // 2 free uses, then 10 of balance at 1 each: 12 charges succeed, the rest are 402.
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        charge({ ...user, amount_minor: 1, description: 'msg', idempotency_key: `c${i}` }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(12);
    expect(statuses.filter((s) => s === 402)).toHaveLength(8);
    const row = await accountRow(user);
    expect(Number(row.balance_minor)).toBe(0);
    expect(Number(row.total_uses)).toBe(12);

    const done = results.findIndex((r) => r.status === 201);
    const dupes = await Promise.all(
      Array.from({ length: 6 }, () =>
        charge({ ...user, amount_minor: 1, description: 'msg', idempotency_key: `c${done}` }),
      ),
    );
    expect(dupes.map((r) => r.status)).toEqual(Array(6).fill(409));
    expect(dupes.map((r) => r.headers['x-existing-charge-id'])).toEqual(Array(6).fill(results[done].body.charge_id));
  });

  it('refuses an idempotency key reused with different parameters', async () => {
    const user = newUser();
    await check(user);
    expect((await charge({ ...user, amount_minor: 1, description: 'one', idempotency_key: 'k' })).status).toBe(201);
    const conflict = await charge({ ...user, amount_minor: 2, description: 'one', idempotency_key: 'k' });
    expect(conflict.status).toBe(422);
    expect(conflict.body).toEqual({
      detail: 'Idempotency key already used with different parameters',
      code: 'idempotency_conflict',
    });
  });

  it('authenticates before it reads the body: 401 for a bad key, then 422 / 413 for a bad body', async () => {
    const raw = (apiKey: string | null, body: string) => {
      const r = request(t.http).post('/v1/billing/charges').set('Content-Type', 'application/json');
      return (apiKey ? r.set('X-API-Key', apiKey) : r).send(body);
    };
    const noKey = await raw(null, '{"broken');
    expect(noKey.status).toBe(401);
    expect(noKey.headers['www-authenticate']).toBe('ApiKey');
    const badKey = await raw('cbk_live_nope', '{"broken');
    expect(badKey.body).toEqual({ detail: 'Authentication failed: Invalid API key', code: 'invalid_api_key' });
    const reader = await t.createKey({ environment: 'live', permissions: ['billing:read'] });
    expect((await raw(reader.plaintextKey, '{"broken')).status).toBe(403);
    const broken = await raw(key, '{"broken');
    expect(broken.status).toBe(422);
    expect(broken.body.code).toBe('validation_error');
    expect(broken.body.detail[0]).toMatchObject({ loc: ['body'], type: 'json_invalid' });
    expect(broken.body.detail[0].msg).toMatch(/^JSON decode error: /);
    const huge = await raw(key, JSON.stringify({ description: 'x'.repeat(200_000) }));
    expect(huge.status).toBe(413);
    const notObject = await raw(key, '[1, 2]');
    expect(notObject.status).toBe(422);
    expect(notObject.body.detail).toEqual([
      { loc: ['body'], msg: 'Request body must be a JSON object', type: 'model_attributes_type' },
    ]);
  });

  it('validates bodies with the same messages, and sends no ETag or X-Powered-By', async () => {
    const res = await charge({ ...newUser(), amount_minor: 0, description: '' });
    expect(res.status).toBe(422);
    expect(res.body.detail).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ loc: ['body', 'amount_minor'], type: 'min' }),
        expect.objectContaining({ loc: ['body', 'description'], type: 'isNotEmpty' }),
      ]),
    );
    const nested = await check({ ...newUser(), context: { agent_id: 5 } });
    expect(nested.status).toBe(422);
    expect(nested.body.detail).toEqual([
      {
        loc: ['body', 'context', 'agent_id'],
        msg: 'agent_id must be shorter than or equal to 255 characters',
        type: 'maxLength',
      },
      { loc: ['body', 'context', 'agent_id'], msg: 'agent_id must be a string', type: 'isString' },
    ]);
    const root = await request(t.http).get('/');
    expect(root.status).toBe(200);
    expect(root.headers.etag).toBeUndefined();
    expect(root.headers['x-powered-by']).toBeUndefined();
  });
});
