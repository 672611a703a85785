import request from 'supertest';
import type { GeneratedApiKey } from '../src/api-keys/api-keys.service.js';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';

type User = { oauth_provider: string; external_id: string };

const accountPath = (u: User, action = ''): string =>
  `/v1/billing/accounts/${encodeURIComponent(u.oauth_provider)}/${encodeURIComponent(u.external_id)}${action}`;

describe('billing:admin (account status, adjustments, audit trail)', () => {
  let t: TestApp;
  let admin: GeneratedApiKey;
  let agent: GeneratedApiKey;

  const post = (key: GeneratedApiKey, path: string, body: object, headers: Record<string, string> = {}) =>
    request(t.http).post(path).set('X-API-Key', key.plaintextKey).set(headers).send(body);
  const get = (key: GeneratedApiKey, path: string, query: object = {}) =>
    request(t.http).get(path).set('X-API-Key', key.plaintextKey).query(query);

  async function newAccount(initialBalance = 100): Promise<User> {
    const user = newUser('admin');
    const res = await post(agent, '/v1/billing/accounts', { ...user, initial_balance_minor: initialBalance });
    expect(res.status).toBe(201);
    return user;
  }
  const check = (user: User) => post(agent, '/v1/billing/credits/check', user);
  const charge = (user: User, amount = 1) =>
    post(agent, '/v1/billing/charges', { ...user, amount_minor: amount, description: 'message' });
  const credit = (user: User, amount = 10) =>
    post(agent, '/v1/billing/credits', { ...user, amount_minor: amount, transaction_type: 'grant' });
  const balanceOf = async (user: User): Promise<number> =>
    (await get(agent, accountPath(user))).body.balance_minor as number;
  const auditOf = async (user: User) => (await get(admin, accountPath(user, '/audit'))).body;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.createKey({ name: 'Ops Admin', permissions: ['billing:admin'] });
    agent = await t.createKey({ name: 'Agent', permissions: ['billing:read', 'billing:write'] });
  });
  afterAll(() => t.close());

  describe('permission', () => {
    it('refuses every admin route to a key without billing:admin', async () => {
      const user = await newAccount();
      const denied = { detail: 'Missing required permission: billing:admin', code: 'permission_denied' };
      for (const action of ['/suspend', '/reactivate', '/close']) {
        const res = await post(agent, accountPath(user, action), { reason: 'abuse' });
        expect([res.status, res.body]).toEqual([403, denied]);
      }
      const adj = await post(agent, accountPath(user, '/adjustments'), {
        amount_minor: 5,
        reason: 'x',
        idempotency_key: 'k',
      });
      expect([adj.status, adj.body]).toEqual([403, denied]);
      const audit = await get(agent, accountPath(user, '/audit'));
      expect([audit.status, audit.body]).toEqual([403, denied]);
      const all = await get(agent, '/v1/billing/admin/audit');
      expect([all.status, all.body]).toEqual([403, denied]);
      // An admin-only key cannot use the agent routes either: permissions are not a hierarchy.
      const chk = await post(admin, '/v1/billing/credits/check', user);
      expect([chk.status, chk.body.detail]).toEqual([403, 'Missing required permission: billing:read']);
      expect(await balanceOf(user)).toBe(100);
    });
  });

  describe('status transitions', () => {
    it('suspend → reactivate, with the effects on checks, charges and credits', async () => {
      const user = await newAccount();
      const suspended = await post(admin, accountPath(user, '/suspend'), { reason: 'Abusive usage' });
      expect(suspended.status).toBe(200);
      expect(suspended.body).toMatchObject({
        oauth_provider: user.oauth_provider,
        external_id: user.external_id,
        status: 'suspended',
        previous_status: 'active',
        status_reason: 'Abusive usage',
        balance_minor: 100,
      });
      expect(suspended.body.audit_id).toEqual(expect.any(String));

      const c = await check(user);
      expect(c.status).toBe(200);
      expect(c.body).toMatchObject({
        has_credit: false,
        reason: 'Account suspended',
        credits_remaining: 0,
        free_uses_remaining: 0,
        daily_free_uses_remaining: 0,
      });
      const ch = await charge(user);
      expect([ch.status, ch.body]).toEqual([403, { detail: 'Account suspended', code: 'account_suspended' }]);
      const cr = await credit(user, 10);
      expect([cr.status, cr.body.balance_after]).toEqual([201, 110]);
      expect((await get(agent, accountPath(user))).body.status).toBe('suspended');

      const again = await post(admin, accountPath(user, '/suspend'), { reason: 'twice' });
      expect([again.status, again.body]).toEqual([
        409,
        { detail: 'Account is already suspended', code: 'account_status_unchanged', status: 'suspended' },
      ]);

      const reactivated = await post(admin, accountPath(user, '/reactivate'), { reason: 'Appeal accepted' });
      expect(reactivated.status).toBe(200);
      expect(reactivated.body).toMatchObject({ status: 'active', previous_status: 'suspended', balance_minor: 110 });
      expect((await check(user)).body).toMatchObject({ has_credit: true, reason: null, credits_remaining: 110 });
      expect((await charge(user)).status).toBe(201);

      const notSuspended = await post(admin, accountPath(user, '/reactivate'), { reason: 'again' });
      expect([notSuspended.status, notSuspended.body.code, notSuspended.body.detail]).toEqual([
        409,
        'account_status_unchanged',
        'Account is already active',
      ]);
    });

    it('close from active is final: checks, charges and credits refused, no way back', async () => {
      const user = await newAccount();
      const closed = await post(admin, accountPath(user, '/close'), { reason: 'User asked to delete' });
      expect(closed.status).toBe(200);
      expect(closed.body).toMatchObject({ status: 'closed', previous_status: 'active' });

      expect((await check(user)).body).toMatchObject({
        has_credit: false,
        reason: 'Account closed',
        credits_remaining: 0,
        free_uses_remaining: 0,
        daily_free_uses_remaining: 0,
      });
      const ch = await charge(user);
      expect([ch.status, ch.body]).toEqual([403, { detail: 'Account is closed', code: 'account_closed' }]);
      const cr = await credit(user);
      expect([cr.status, cr.body]).toEqual([403, { detail: 'Account is closed', code: 'account_closed' }]);
      const adj = await post(admin, accountPath(user, '/adjustments'), {
        amount_minor: 5,
        reason: 'x',
        idempotency_key: 'k',
      });
      expect([adj.status, adj.body.code]).toEqual([403, 'account_closed']);

      const final = {
        detail: 'Account is closed; a closed account cannot change status',
        code: 'account_closed_final',
        status: 'closed',
      };
      const reactivate = await post(admin, accountPath(user, '/reactivate'), { reason: 'oops' });
      expect([reactivate.status, reactivate.body]).toEqual([409, final]);
      const suspend = await post(admin, accountPath(user, '/suspend'), { reason: 'oops' });
      expect([suspend.status, suspend.body]).toEqual([409, final]);
      const closeAgain = await post(admin, accountPath(user, '/close'), { reason: 'oops' });
      expect([closeAgain.status, closeAgain.body.code]).toEqual([409, 'account_status_unchanged']);
      expect((await get(agent, accountPath(user))).body).toMatchObject({ status: 'closed', balance_minor: 100 });
    });

    it('close from suspended', async () => {
      const user = await newAccount();
      expect((await post(admin, accountPath(user, '/suspend'), { reason: 'fraud review' })).status).toBe(200);
      const closed = await post(admin, accountPath(user, '/close'), { reason: 'fraud confirmed' });
      expect(closed.body).toMatchObject({
        status: 'closed',
        previous_status: 'suspended',
        status_reason: 'fraud confirmed',
      });
      expect((await check(user)).body.reason).toBe('Account closed');
    });

    it('validates the reason and the account', async () => {
      const user = await newAccount();
      for (const body of [{}, { reason: '' }, { reason: '   ' }, { reason: 42 }]) {
        const res = await post(admin, accountPath(user, '/suspend'), body);
        expect(res.status).toBe(422);
        expect(res.body.code).toBe('validation_error');
        expect(res.body.detail[0].loc).toEqual(['body', 'reason']);
      }
      const unknown = await post(admin, accountPath(newUser(), '/suspend'), { reason: 'abuse' });
      expect([unknown.status, unknown.body]).toEqual([404, { detail: 'Account not found', code: 'account_not_found' }]);
      const badProvider = await post(admin, accountPath({ oauth_provider: 'google', external_id: 'x' }, '/suspend'), {
        reason: 'abuse',
      });
      expect(badProvider.status).toBe(422);
      expect((await get(agent, accountPath(user))).body.status).toBe('active');
    });

    it('acts only on accounts of the key environment', async () => {
      const user = await newAccount();
      const liveAdmin = await t.createKey({ name: 'Live Admin', environment: 'live', permissions: ['billing:admin'] });
      const res = await post(liveAdmin, accountPath(user, '/suspend'), { reason: 'abuse' });
      expect([res.status, res.body.code]).toEqual([404, 'account_not_found']);
      const adj = await post(liveAdmin, accountPath(user, '/adjustments'), {
        amount_minor: 5,
        reason: 'x',
        idempotency_key: 'k',
      });
      expect(adj.status).toBe(404);
      expect((await get(agent, accountPath(user))).body).toMatchObject({ status: 'active', balance_minor: 100 });
    });
  });

  describe('adjustments', () => {
    const adjust = (user: User, body: object, headers: Record<string, string> = {}) =>
      post(admin, accountPath(user, '/adjustments'), body, headers);

    it('moves the balance both ways, never below zero, and shows in the ledger', async () => {
      const user = await newAccount(100);
      const up = await adjust(user, { amount_minor: 50, reason: 'Goodwill', idempotency_key: 'adj-1' });
      expect(up.status).toBe(201);
      expect(up.body).toMatchObject({
        amount_minor: 50,
        currency: 'USD',
        balance_before: 100,
        balance_after: 150,
        transaction_type: 'adjustment',
        reason: 'Goodwill',
        idempotency_key: 'adj-1',
      });

      const tooMuch = await adjust(user, { amount_minor: -151, reason: 'Chargeback', idempotency_key: 'adj-2' });
      expect([tooMuch.status, tooMuch.body]).toEqual([
        402,
        { detail: 'Insufficient credits. Balance: 150, Required: 151', code: 'insufficient_credits' },
      ]);
      expect(await balanceOf(user)).toBe(150);

      // The failed attempt stored nothing, so its key is still free.
      const down = await adjust(user, { amount_minor: -150, reason: 'Chargeback', idempotency_key: 'adj-2' });
      expect([down.status, down.body.balance_before, down.body.balance_after]).toEqual([201, 150, 0]);
      expect(await balanceOf(user)).toBe(0);
      const floor = await adjust(user, { amount_minor: -1, reason: 'x', idempotency_key: 'adj-3' });
      expect([floor.status, floor.body.detail]).toEqual([402, 'Insufficient credits. Balance: 0, Required: 1']);

      const tx = await get(agent, '/v1/billing/transactions', user);
      expect(tx.body.total_count).toBe(3);
      const adjustments = tx.body.transactions.filter(
        (r: { transaction_type: string }) => r.transaction_type === 'adjustment',
      );
      expect(
        adjustments.map((r: { amount_minor: number; balance_after: number; transaction_id: string }) => [
          r.amount_minor,
          r.balance_after,
          r.transaction_id,
        ]),
      ).toEqual([
        [-150, 0, down.body.adjustment_id],
        [50, 150, up.body.adjustment_id],
      ]);
      const ledgerSum = tx.body.transactions.reduce(
        (s: number, r: { balance_change_minor: number }) => s + r.balance_change_minor,
        0,
      );
      expect(ledgerSum).toBe(await balanceOf(user));
    });

    it('is idempotent: a repeat is 409 with the existing id, a changed repeat 422', async () => {
      const user = await newAccount(100);
      const body = { amount_minor: -40, reason: 'Refund reversal', idempotency_key: 'idem-1' };
      const first = await adjust(user, body);
      expect(first.status).toBe(201);
      const repeat = await adjust(user, body);
      expect(repeat.status).toBe(409);
      expect(repeat.body).toEqual({
        detail: 'Adjustment already exists',
        code: 'adjustment_exists',
        adjustment_id: first.body.adjustment_id,
      });
      expect(repeat.headers['x-existing-credit-id']).toBe(first.body.adjustment_id);
      const conflict = {
        detail: 'Idempotency key already used with different parameters',
        code: 'idempotency_conflict',
      };
      for (const changed of [{ amount_minor: -41 }, { reason: 'Other' }, { currency: 'EUR' }]) {
        const res = await adjust(user, { ...body, ...changed });
        expect([res.status, res.body]).toEqual([422, conflict]);
      }
      // A key already used by an ordinary credit of the account is a conflict too.
      await post(agent, '/v1/billing/credits', { ...user, amount_minor: 5, idempotency_key: 'credit-key' });
      const clash = await adjust(user, { amount_minor: 5, reason: 'x', idempotency_key: 'credit-key' });
      expect([clash.status, clash.body]).toEqual([422, conflict]);
      expect(await balanceOf(user)).toBe(65);
      expect((await auditOf(user)).total_count).toBe(1);
    });

    it('concurrent duplicates apply once; concurrent debits never overdraw', async () => {
      const user = await newAccount(100);
      const body = { amount_minor: 7, reason: 'Promo', idempotency_key: 'race' };
      const dupes = await Promise.all(Array.from({ length: 8 }, () => adjust(user, body)));
      expect(dupes.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      const created = dupes.find((r) => r.status === 201)!;
      for (const r of dupes.filter((d) => d.status === 409))
        expect(r.body.adjustment_id).toBe(created.body.adjustment_id);
      expect(await balanceOf(user)).toBe(107);

      const debits = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          adjust(user, { amount_minor: -30, reason: 'Debit', idempotency_key: `debit-${i}` }),
        ),
      );
      expect(debits.filter((r) => r.status === 201)).toHaveLength(3);
      expect(debits.filter((r) => r.status === 402)).toHaveLength(5);
      expect(await balanceOf(user)).toBe(17);
      expect((await auditOf(user)).total_count).toBe(4);
    });

    it('works on suspended accounts and validates its input', async () => {
      const user = await newAccount(20);
      await post(admin, accountPath(user, '/suspend'), { reason: 'review' });
      const down = await adjust(user, { amount_minor: -20, reason: 'Clawback', idempotency_key: 's-1' });
      expect([down.status, down.body.balance_after]).toEqual([201, 0]);

      const invalid: Array<[object, string]> = [
        [{ amount_minor: 0, reason: 'x', idempotency_key: 'v' }, 'amount_minor'],
        [{ amount_minor: 1.5, reason: 'x', idempotency_key: 'v' }, 'amount_minor'],
        [{ amount_minor: '5', reason: 'x', idempotency_key: 'v' }, 'amount_minor'],
        [{ amount_minor: 5, reason: ' ', idempotency_key: 'v' }, 'reason'],
        [{ amount_minor: 5, idempotency_key: 'v' }, 'reason'],
        [{ amount_minor: 5, reason: 'x' }, 'idempotency_key'],
        [{ amount_minor: 5, reason: 'x', idempotency_key: '' }, 'idempotency_key'],
        [{ amount_minor: 5, reason: 'x', idempotency_key: 'v', currency: 'dollars' }, 'currency'],
      ];
      for (const [body, field] of invalid) {
        const res = await adjust(user, body);
        expect([res.status, res.body.code, res.body.detail[0].loc]).toEqual([422, 'validation_error', ['body', field]]);
      }
      const mismatch = await adjust(user, { amount_minor: 5, reason: 'x', idempotency_key: 'v', currency: 'eur' });
      expect([mismatch.status, mismatch.body]).toEqual([
        400,
        { detail: 'Currency mismatch: account=USD, charge=EUR', code: 'currency_mismatch' },
      ]);
      const unknown = await adjust(newUser(), { amount_minor: 5, reason: 'x', idempotency_key: 'v' });
      expect([unknown.status, unknown.body.code]).toEqual([404, 'account_not_found']);
      expect(await balanceOf(user)).toBe(0);
    });
  });

  describe('audit trail', () => {
    it('records every change with key id and name, before/after, reason and request id', async () => {
      const user = await newAccount(100);
      const s = await post(
        admin,
        accountPath(user, '/suspend'),
        { reason: 'Spam' },
        { 'X-Request-ID': 'req-suspend-1' },
      );
      expect(s.body.request_id).toBe('req-suspend-1');
      const a = await post(admin, accountPath(user, '/adjustments'), {
        amount_minor: -30,
        reason: 'Spam refund',
        idempotency_key: 'a1',
      });
      expect(a.body.request_id).toMatch(/^[0-9a-f-]{36}$/);
      await post(admin, accountPath(user, '/suspend'), { reason: 'no-op' }); // 409: not audited
      await post(admin, accountPath(user, '/adjustments'), { amount_minor: -999, reason: 'x', idempotency_key: 'a2' }); // 402
      const r = await post(
        admin,
        accountPath(user, '/reactivate'),
        { reason: 'Cleared' },
        { 'X-Request-ID': 'req-react-1' },
      );
      const c = await post(admin, accountPath(user, '/close'), { reason: 'Left' });

      const audit = await get(admin, accountPath(user, '/audit'));
      expect(audit.status).toBe(200);
      expect(audit.body.total_count).toBe(4);
      expect(audit.body.has_more).toBe(false);
      const who = {
        actor_type: 'api_key',
        actor_label: 'Ops Admin',
        api_key_id: admin.keyId,
        api_key_name: 'Ops Admin',
        environment: 'test',
      };
      const identity = {
        oauth_provider: user.oauth_provider,
        external_id: user.external_id,
        account_id: s.body.account_id,
      };
      expect(audit.body.entries).toEqual([
        {
          ...who,
          ...identity,
          audit_id: c.body.audit_id,
          action: 'close',
          before: { status: 'active', status_reason: 'Cleared' },
          after: { status: 'closed', status_reason: 'Left' },
          reason: 'Left',
          request_id: c.body.request_id,
          created_at: expect.any(String),
        },
        {
          ...who,
          ...identity,
          audit_id: r.body.audit_id,
          action: 'reactivate',
          before: { status: 'suspended', status_reason: 'Spam' },
          after: { status: 'active', status_reason: 'Cleared' },
          reason: 'Cleared',
          request_id: 'req-react-1',
          created_at: expect.any(String),
        },
        {
          ...who,
          ...identity,
          audit_id: a.body.audit_id,
          action: 'adjust_balance',
          before: { balance_minor: 100 },
          after: { balance_minor: 70, adjustment_id: a.body.adjustment_id, amount_minor: -30, idempotency_key: 'a1' },
          reason: 'Spam refund',
          request_id: a.body.request_id,
          created_at: expect.any(String),
        },
        {
          ...who,
          ...identity,
          audit_id: s.body.audit_id,
          action: 'suspend',
          before: { status: 'active', status_reason: null },
          after: { status: 'suspended', status_reason: 'Spam' },
          reason: 'Spam',
          request_id: 'req-suspend-1',
          created_at: expect.any(String),
        },
      ]);

      const page = await get(admin, accountPath(user, '/audit'), { limit: 1, offset: 1, action: 'reactivate' });
      expect([page.body.total_count, page.body.entries.length, page.body.has_more]).toEqual([1, 0, false]);
      const firstPage = await get(admin, accountPath(user, '/audit'), { limit: 2 });
      expect([firstPage.body.entries.length, firstPage.body.has_more]).toEqual([2, true]);

      const all = await get(admin, '/v1/billing/admin/audit', { action: 'close', limit: 200 });
      expect(all.status).toBe(200);
      expect(all.body.entries.map((e: { audit_id: string }) => e.audit_id)).toContain(c.body.audit_id);
      expect(
        all.body.entries.every(
          (e: { action: string; environment: string }) => e.action === 'close' && e.environment === 'test',
        ),
      ).toBe(true);

      const liveAdmin = await t.createKey({ name: 'Live Admin', environment: 'live', permissions: ['billing:admin'] });
      const live = await get(liveAdmin, '/v1/billing/admin/audit', { limit: 200 });
      expect(live.body.entries.some((e: { audit_id: string }) => e.audit_id === c.body.audit_id)).toBe(false);
      const liveAccount = await get(liveAdmin, accountPath(user, '/audit'));
      expect(liveAccount.status).toBe(404);

      const bad = await get(admin, '/v1/billing/admin/audit', { action: 'delete' });
      expect([bad.status, bad.body.detail[0].loc]).toEqual([422, ['query', 'action']]);
    });

    it('is append-only in the database', async () => {
      const user = await newAccount();
      const s = await post(admin, accountPath(user, '/suspend'), { reason: 'x' });
      await expect(
        t.db.query(`UPDATE admin_audit_log SET reason = 'edited' WHERE id = $1`, [s.body.audit_id]),
      ).rejects.toThrow(/append-only/);
      await expect(t.db.query(`DELETE FROM admin_audit_log WHERE id = $1`, [s.body.audit_id])).rejects.toThrow(
        /append-only/,
      );
    });
  });
});
