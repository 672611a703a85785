import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer, Reflector } from '@nestjs/core';
import request from 'supertest';
import { ADMIN_ACCESS } from '../src/admin-auth/admin-access.js';
import { KeyUsageRecorder } from '../src/key-usage/key-usage.recorder.js';
import { ConsoleClient } from './utils/console-client.js';
import { newOperator, OPERATOR_PASSWORD } from './utils/operators.js';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';

/** Every console route and who may call it, read from the metadata the guard reads. */
function consoleRouteAccess(t: TestApp): Record<string, string> {
  const reflector = t.app.get(Reflector);
  const routes: Record<string, string> = {};
  for (const module of t.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller?.prototype) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        if (path === undefined) continue;
        const full = `/${[base, path].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/');
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const access = reflector.getAllAndOverride(ADMIN_ACCESS, [handler, controller]);
        if (!full.startsWith('/admin/api')) {
          if (access) throw new Error(`${full} carries console access metadata outside /admin/api`);
          continue;
        }
        routes[`${method} ${full}`] = !access
          ? 'NONE'
          : access.kind === 'session'
            ? `${access.role}${access.stepUp ? ' +R' : ''}`
            : access.kind;
      }
    }
  }
  return routes;
}

describe('admin console API', () => {
  let t: TestApp;
  let admin: ConsoleClient;
  let superAdmin: ConsoleClient;
  let viewer: ConsoleClient;
  let adminId: string;
  let viewerId: string;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- audit rows are asserted field by field
  type Row = Record<string, any>;
  const audits = async (where: string, params: unknown[]) =>
    (await t.db.query(`SELECT * FROM admin_audit_log WHERE ${where} ORDER BY created_at`, params)) as Row[];

  async function signedIn(role: 'viewer' | 'admin' | 'super_admin'): Promise<[ConsoleClient, string]> {
    const op = await newOperator(t, role);
    const c = new ConsoleClient(t.http, t.clock);
    await c.enrol(op.email, OPERATOR_PASSWORD);
    return [c, op.id];
  }

  async function newAccount(balance = 100) {
    const agent = await t.createKey({ permissions: ['billing:read', 'billing:write'] });
    const user = newUser('console');
    const res = await request(t.http)
      .post('/v1/billing/accounts')
      .set('X-API-Key', agent.plaintextKey)
      .send({ ...user, initial_balance_minor: balance });
    expect(res.status).toBe(201);
    return { ...user, id: res.body.account_id as string, agent };
  }

  beforeAll(async () => {
    t = await createTestApp({
      ADMIN_AUTH_RATE_LIMIT_PER_MINUTE: '10000',
      ADMIN_ADJUSTMENT_STEP_UP_THRESHOLD_MINOR: '1000',
      // Counters are flushed by the test (no timer in between the requests and the check).
      LAST_USED_FLUSH_INTERVAL_MS: '3600000',
    });
    [admin, adminId] = await signedIn('admin');
    [superAdmin] = await signedIn('super_admin');
    [viewer, viewerId] = await signedIn('viewer');
  });
  afterAll(async () => {
    await t.close();
    // Overrides stay in process.env for the next suites of this worker: back to the defaults.
    Object.assign(process.env, {
      LAST_USED_FLUSH_INTERVAL_MS: '5000',
      ADMIN_ADJUSTMENT_STEP_UP_THRESHOLD_MINOR: '10000',
    });
  });

  it('every console route requires the role of the design (snapshot)', () => {
    expect(consoleRouteAccess(t)).toEqual({
      'POST /admin/api/auth/login': 'public',
      'POST /admin/api/auth/setup': 'public',
      'POST /admin/api/auth/mfa/enroll': 'pending',
      'POST /admin/api/auth/mfa/enroll/confirm': 'pending',
      'POST /admin/api/auth/mfa/verify': 'pending',
      'POST /admin/api/auth/reauth': 'viewer',
      'GET /admin/api/auth/me': 'viewer',
      'POST /admin/api/auth/logout': 'viewer',
      'POST /admin/api/auth/password': 'viewer +R',
      'POST /admin/api/auth/recovery-codes': 'viewer +R',
      'GET /admin/api/auth/sessions': 'viewer',
      'DELETE /admin/api/auth/sessions': 'viewer',
      'DELETE /admin/api/auth/sessions/:id': 'viewer',
      'GET /admin/api/overview': 'viewer',
      'GET /admin/api/keys': 'viewer',
      'GET /admin/api/keys/:id': 'viewer',
      'GET /admin/api/keys/:id/usage': 'viewer',
      'POST /admin/api/keys': 'admin',
      'PATCH /admin/api/keys/:id': 'admin',
      'POST /admin/api/keys/:id/rotate': 'admin +R',
      'POST /admin/api/keys/:id/revoke': 'admin +R',
      'GET /admin/api/accounts': 'viewer',
      'GET /admin/api/accounts/:id': 'viewer',
      'GET /admin/api/accounts/:id/ledger': 'viewer',
      'GET /admin/api/accounts/:id/credit-checks': 'viewer',
      'POST /admin/api/accounts/:id/suspend': 'admin',
      'POST /admin/api/accounts/:id/reactivate': 'admin',
      'POST /admin/api/accounts/:id/adjustments': 'admin',
      'POST /admin/api/accounts/:id/close': 'super_admin +R',
      'GET /admin/api/analytics/usage': 'viewer',
      'GET /admin/api/analytics/revenue': 'viewer',
      'GET /admin/api/analytics/usage.csv': 'admin',
      'GET /admin/api/analytics/revenue.csv': 'admin',
      'GET /admin/api/analytics/auth-failures': 'viewer',
      'GET /admin/api/analytics/keys': 'viewer',
      'GET /admin/api/audit': 'viewer',
      'GET /admin/api/admin-users': 'super_admin',
      'POST /admin/api/admin-users': 'super_admin +R',
      'PATCH /admin/api/admin-users/:id': 'super_admin +R',
      'POST /admin/api/admin-users/:id/reset-mfa': 'super_admin +R',
      'POST /admin/api/admin-users/:id/unlock': 'super_admin +R',
      'GET /admin/api/admin-users/:id/sessions': 'super_admin',
      'DELETE /admin/api/admin-users/:id/sessions': 'super_admin +R',
      'DELETE /admin/api/admin-users/:id/sessions/:session_id': 'super_admin +R',
    });
  });

  it('refuses a role below the route with 403 admin_forbidden naming the role, and audits it', async () => {
    const res = await viewer.post('/keys', { name: 'x', environment: 'test', permissions: ['billing:read'] });
    expect([res.status, res.body]).toEqual([
      403,
      { detail: 'This action needs the admin role', code: 'admin_forbidden', required_role: 'admin' },
    ]);
    const list = await admin.get('/admin-users');
    expect([list.status, list.body.required_role]).toEqual([403, 'super_admin']);
    expect((await viewer.get('/keys')).status).toBe(200);
    const denied = await audits(`action = 'access.forbidden' AND outcome = 'denied' AND actor_id = $1`, [viewerId]);
    expect(denied).toHaveLength(1);
    expect(denied[0].after).toMatchObject({
      required_role: 'admin',
      role: 'viewer',
      method: 'POST',
      path: '/admin/api/keys',
    });
  });

  it('keys: create (plaintext once), list with filters and cursor, edit, rotate with grace, revoke — one audit row each', async () => {
    const created = await admin.post('/keys', {
      name: 'Console Agent',
      description: 'made in the console',
      environment: 'test',
      permissions: ['billing:read', 'billing:write'],
      rate_limit_per_minute: 600,
    });
    expect(created.status).toBe(201);
    const key = created.body.key;
    expect(created.body.plaintext_key).toMatch(/^cbk_test_/);
    expect(key).toMatchObject({
      name: 'Console Agent',
      environment: 'test',
      status: 'active',
      rate_limit_per_minute: 600,
    });
    expect(key.created_by.id).toBe(adminId);
    // 90 days by default.
    expect(Date.parse(key.expires_at) - t.clock.now().getTime()).toBeGreaterThan(89 * 86_400_000);
    expect(JSON.stringify(await admin.get(`/keys/${key.id}`))).not.toContain(created.body.plaintext_key);
    const works = await request(t.http).get('/v1/billing/key').set('X-API-Key', created.body.plaintext_key);
    expect(works.status).toBe(200);

    const audit = (action: string) => audits(`resource_id = $1 AND action = $2`, [key.id, action]);
    const [createRow] = await audit('key.create');
    expect(createRow).toMatchObject({
      actor_type: 'admin_user',
      actor_id: adminId,
      outcome: 'success',
      environment: 'test',
    });
    expect(createRow.after).toMatchObject({ name: 'Console Agent', permissions: ['billing:read', 'billing:write'] });
    expect(JSON.stringify(createRow)).not.toContain(created.body.plaintext_key);

    // Unique: other suites share this database and name keys too.
    const renamed = `Renamed ${crypto.randomUUID()}`;
    const patched = await admin.patch(`/keys/${key.id}`, { name: renamed, permissions: ['billing:read'] });
    expect([patched.status, patched.body.key.name, patched.body.key.permissions]).toEqual([
      200,
      renamed,
      ['billing:read'],
    ]);
    const updates = await audit('key.update');
    expect(updates).toHaveLength(1);
    expect(updates[0].before).toMatchObject({ name: 'Console Agent', permissions: ['billing:read', 'billing:write'] });
    expect(updates[0].after).toMatchObject({ name: renamed, permissions: ['billing:read'] });

    const byName = await viewer.get(
      `/keys?q=${encodeURIComponent(renamed.slice(0, 20).toUpperCase())}&environment=test`,
    );
    expect(byName.body.items.map((k: { id: string }) => k.id)).toEqual([key.id]);
    const byPrefix = await viewer.get(`/keys?q=${key.key_prefix}`);
    expect(byPrefix.body.items.map((k: { id: string }) => k.id)).toContain(key.id);

    await admin.reauth();
    const rotated = await admin.post(`/keys/${key.id}/rotate`, { grace_period_seconds: 3600 });
    expect(rotated.status).toBe(201);
    expect(rotated.body.old_key).toMatchObject({ id: key.id, status: 'rotating', rotated_to: rotated.body.new_key.id });
    expect(rotated.body.new_key).toMatchObject({
      name: renamed,
      permissions: ['billing:read'],
      rate_limit_per_minute: 600,
      rotated_from: key.id,
    });
    for (const plaintext of [created.body.plaintext_key, rotated.body.plaintext_key]) {
      expect((await request(t.http).get('/v1/billing/key').set('X-API-Key', plaintext)).status).toBe(200);
    }
    const rotations = await audit('key.rotate');
    expect(rotations).toHaveLength(1);
    expect(rotations[0].before).toMatchObject({ status: 'active' });
    expect(rotations[0].after).toMatchObject({ status: 'rotating', rotated_to: rotated.body.new_key.id });
    const notAgain = await admin.post(`/keys/${key.id}/rotate`, { grace_period_seconds: 0 });
    expect([notAgain.status, notAgain.body.code]).toEqual([409, 'key_not_rotatable']);

    const detail = await viewer.get(`/keys/${rotated.body.new_key.id}`);
    expect(detail.body.lineage.map((k: { id: string }) => k.id)).toEqual([key.id, rotated.body.new_key.id]);

    const noReason = await admin.post(`/keys/${rotated.body.new_key.id}/revoke`, { reason: '  ' });
    expect(noReason.status).toBe(422);
    const revoked = await admin.post(`/keys/${rotated.body.new_key.id}/revoke`, { reason: 'leaked in a log' });
    expect([revoked.status, revoked.body.key.status]).toEqual([200, 'revoked']);
    expect((await request(t.http).get('/v1/billing/key').set('X-API-Key', rotated.body.plaintext_key)).status).toBe(
      401,
    );
    const revocations = await audits(`resource_id = $1 AND action = 'key.revoke'`, [rotated.body.new_key.id]);
    expect(revocations).toHaveLength(1);
    expect(revocations[0]).toMatchObject({ reason: 'leaked in a log', before: { status: 'active' } });
    expect(revocations[0].after).toMatchObject({ status: 'revoked' });

    // Cursor pagination walks every key once (other suites add keys meanwhile: newer ones, ahead of the walk).
    const existing = (await t.db.query(`SELECT id FROM api_keys`)) as Array<{ id: string }>;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await viewer.get(`/keys?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((k: { id: string }) => k.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(existing.map((k) => k.id)));
  });

  it('keys that never expire are for super_admins', async () => {
    const body = { name: 'forever', environment: 'test', permissions: ['billing:read'], expires_in_days: null };
    const refused = await admin.post('/keys', body);
    expect([refused.status, refused.body.code]).toEqual([403, 'never_expiring_key_forbidden']);
    const made = await superAdmin.post('/keys', body);
    expect([made.status, made.body.key.expires_at]).toEqual([201, null]);
  });

  it('accounts: search, detail, ledger, credit checks; suspend / reactivate / adjust / close — one audit row each', async () => {
    const acct = await newAccount(100);
    const found = await viewer.get(`/accounts?environment=test&q=${encodeURIComponent(acct.external_id.slice(0, 20))}`);
    expect(found.body.items.map((a: { id: string }) => a.id)).toEqual([acct.id]);
    const detail = await viewer.get(`/accounts/${acct.id}`);
    expect(detail.body.account).toMatchObject({
      id: acct.id,
      balance_minor: 100,
      status: 'active',
      free_uses_remaining: 10,
    });
    expect(detail.body.account.usage_30d).toHaveLength(30);

    const suspended = await admin.post(`/accounts/${acct.id}/suspend`, { reason: 'abuse report' });
    expect([suspended.status, suspended.body.account.status, suspended.body.previous_status]).toEqual([
      200,
      'suspended',
      'active',
    ]);
    const check = await request(t.http)
      .post('/v1/billing/credits/check')
      .set('X-API-Key', acct.agent.plaintextKey)
      .send({ oauth_provider: acct.oauth_provider, external_id: acct.external_id });
    expect(check.body.has_credit).toBe(false);
    expect((await admin.post(`/accounts/${acct.id}/reactivate`, { reason: 'resolved' })).status).toBe(200);

    const adjusted = await admin.post(`/accounts/${acct.id}/adjustments`, {
      amount_minor: -30,
      kind: 'correction',
      reason: 'double grant',
      idempotency_key: `adj-${acct.id}`,
    });
    expect(adjusted.status).toBe(201);
    expect(adjusted.body).toMatchObject({
      amount_minor: -30,
      balance_before: 100,
      balance_after: 70,
      kind: 'correction',
    });
    const belowZero = await admin.post(`/accounts/${acct.id}/adjustments`, {
      amount_minor: -500,
      kind: 'correction',
      reason: 'too much',
      idempotency_key: `adj2-${acct.id}`,
    });
    expect([belowZero.status, belowZero.body.code]).toEqual([402, 'insufficient_credits']);
    t.clock.advance(11 * 60_000);
    const large = await admin.post(`/accounts/${acct.id}/adjustments`, {
      amount_minor: 5000,
      kind: 'goodwill',
      reason: 'outage',
      idempotency_key: `adj3-${acct.id}`,
    });
    expect([large.status, large.body.code]).toEqual([403, 'reauth_required']);

    const ledger = await viewer.get(`/accounts/${acct.id}/ledger?limit=1`);
    expect(ledger.body.items[0]).toMatchObject({
      type: 'credit',
      transaction_type: 'adjustment',
      amount_minor: -30,
      balance_after: 70,
      idempotency_key: `adj-${acct.id}`,
    });
    const next = await viewer.get(`/accounts/${acct.id}/ledger?limit=1&cursor=${ledger.body.next_cursor}`);
    expect(next.body.items[0]).toMatchObject({ transaction_type: 'grant', amount_minor: 100 });
    const checks = await viewer.get(`/accounts/${acct.id}/credit-checks`);
    expect(checks.body.items[0]).toMatchObject({ has_credit: false });

    const noStepUp = await superAdmin.post(`/accounts/${acct.id}/close`, {
      reason: 'gdpr',
      confirm_external_id: acct.external_id,
    });
    expect([noStepUp.status, noStepUp.body.code]).toEqual([403, 'reauth_required']);
    await superAdmin.reauth();
    const mismatch = await superAdmin.post(`/accounts/${acct.id}/close`, {
      reason: 'gdpr',
      confirm_external_id: 'nope',
    });
    expect([mismatch.status, mismatch.body.code]).toEqual([422, 'confirmation_mismatch']);
    const closed = await superAdmin.post(`/accounts/${acct.id}/close`, {
      reason: 'gdpr',
      confirm_external_id: acct.external_id,
    });
    expect([closed.status, closed.body.account.status]).toEqual([200, 'closed']);

    const rows = await audits(`account_id = $1 AND outcome = 'success'`, [acct.id]);
    expect(rows.map((r) => r.action)).toEqual(['suspend', 'reactivate', 'adjust_balance', 'close']);
    for (const row of rows) {
      expect(row).toMatchObject({
        actor_type: 'admin_user',
        resource_type: 'account',
        resource_id: acct.id,
        environment: 'test',
      });
      expect(row.before).toEqual(expect.any(Object));
      expect(row.after).toEqual(expect.any(Object));
      expect(row.request_id).toEqual(expect.any(String));
    }
    expect(rows[2].after).toMatchObject({ balance_minor: 70, kind: 'correction' });

    // The console reads the same trail the billing:admin routes write to.
    const auditPage = await viewer.get(`/audit?resource_type=account&resource_id=${acct.id}`);
    expect(auditPage.body.items.map((e: { action: string }) => e.action)).toEqual([
      'close',
      'adjust_balance',
      'reactivate',
      'suspend',
    ]);
  });

  it('account detail: what active holds reserve, the available balance and the active holds, expiry by the clock', async () => {
    const acct = await newAccount(500);
    const agent = (path: string, body: object) =>
      request(t.http).post(path).set('X-API-Key', acct.agent.plaintextKey).send(body);
    const hold = async (amount: number, seconds: number, description: string) => {
      const res = await agent('/v1/billing/holds', {
        oauth_provider: acct.oauth_provider,
        external_id: acct.external_id,
        amount_minor: amount,
        currency: 'USD',
        description,
        idempotency_key: `h-${crypto.randomUUID()}`,
        expires_in_seconds: seconds,
      });
      expect(res.status).toBe(201);
      return res.body as { hold_id: string; funded_by: string };
    };
    // A new account has 2 daily and 10 one-time free uses: they fund the first holds.
    const daily = await hold(40, 600, 'first');
    const free = await hold(40, 600, 'second');
    for (let i = 0; i < 10; i++) await hold(1, 600, `free ${i}`);
    const big = await hold(150, 600, 'model call');
    const soon = await hold(100, 60, 'short one');
    expect([daily.funded_by, free.funded_by, big.funded_by, soon.funded_by]).toEqual([
      'daily_free_use',
      'daily_free_use',
      'balance',
      'balance',
    ]);
    const detail = async () => (await viewer.get(`/accounts/${acct.id}`)).body.account;
    const before = await detail();
    expect(before).toMatchObject({
      balance_minor: 500,
      held_minor: 250,
      available_minor: 250,
      free_uses_remaining: 10,
      free_uses_held: 10,
      daily_free_uses_remaining: 2,
      daily_free_uses_held: 2,
      active_holds_total: 14,
    });
    expect(before.active_holds).toHaveLength(14);
    expect(before.active_holds[0].id).toBe(soon.hold_id); // newest first
    expect(before.active_holds.find((h: { id: string }) => h.id === soon.hold_id)).toEqual({
      id: soon.hold_id,
      amount_minor: 100,
      currency: 'USD',
      funded_by: 'balance',
      description: 'short one',
      metadata: {},
      created_at: expect.any(String),
      expires_at: new Date(Date.parse(before.active_holds[0].created_at) + 60_000).toISOString(),
    });
    // Past its expiry a hold reserves nothing and is no longer listed, before anything records it.
    t.clock.advance(61_000);
    try {
      const after = await detail();
      expect(after).toMatchObject({
        balance_minor: 500,
        held_minor: 150,
        available_minor: 350,
        active_holds_total: 13,
      });
      expect(after.active_holds.map((h: { id: string }) => h.id)).not.toContain(soon.hold_id);
      // The agent's view agrees.
      const check = await agent('/v1/billing/credits/check', {
        oauth_provider: acct.oauth_provider,
        external_id: acct.external_id,
      });
      expect(check.body).toMatchObject({ credits_remaining: 350, held_minor: 150 });
    } finally {
      t.clock.reset();
    }
  });

  it('the audit table refuses UPDATE, DELETE and TRUNCATE', async () => {
    await expect(t.db.query(`UPDATE admin_audit_log SET reason = 'edited'`)).rejects.toThrow(/append-only/);
    await expect(t.db.query(`DELETE FROM admin_audit_log`)).rejects.toThrow(/append-only/);
    await expect(t.db.query(`TRUNCATE admin_audit_log`)).rejects.toThrow(/append-only/);
  });

  it('admin users: invite with a one-time setup link, enrol, change role, last super_admin, reset MFA, unlock', async () => {
    await superAdmin.reauth();
    const email = `invited-${crypto.randomUUID()}@example.com`;
    const invited = await superAdmin.post('/admin-users', { email, full_name: 'New Op', role: 'viewer' });
    expect(invited.status).toBe(201);
    expect(invited.body.setup_url).toMatch(/\/admin\/setup#token=[\w-]{43}$/);
    const token = invited.body.setup_url.split('#token=')[1];
    const newcomer = new ConsoleClient(t.http, t.clock);
    expect((await newcomer.post('/auth/login', { email, password: 'anything at all here' })).status).toBe(401);
    const setup = await newcomer.post('/auth/setup', { token, password: 'newcomer passphrase' });
    expect([setup.status, setup.body]).toEqual([200, { state: 'mfa_enrollment_required' }]);
    expect(
      (await new ConsoleClient(t.http, t.clock).post('/auth/setup', { token, password: 'newcomer passphrase' })).status,
    ).toBe(401);
    const enrol = await newcomer.post('/auth/mfa/enroll');
    newcomer.secret = enrol.body.secret_base32;
    const confirm = await newcomer.post('/auth/mfa/enroll/confirm', { code: newcomer.code() });
    expect(confirm.status).toBe(200);
    newcomer.csrf = confirm.body.csrf_token;
    const id = confirm.body.user.id as string;

    const promoted = await superAdmin.patch(`/admin-users/${id}`, { role: 'admin' });
    expect([promoted.status, promoted.body.user.role, promoted.body.user.active_sessions]).toEqual([200, 'admin', 0]);
    expect((await newcomer.get('/auth/me')).status).toBe(401);

    // The last active super_admin: demote every other one, then try the last.
    const supers = await t.db.query(`SELECT id FROM admin_users WHERE role = 'super_admin' AND is_active`);
    const me = (await superAdmin.get('/auth/me')).body.user.id as string;
    await t.db.query(`UPDATE admin_users SET role = 'admin' WHERE role = 'super_admin' AND id <> $1`, [me]);
    try {
      const last = await superAdmin.patch(`/admin-users/${me}`, { role: 'admin' });
      expect([last.status, last.body.code]).toEqual([409, 'last_super_admin']);
      const deactivate = await superAdmin.patch(`/admin-users/${me}`, { is_active: false });
      expect([deactivate.status, deactivate.body.code]).toEqual([409, 'last_super_admin']);
    } finally {
      await t.db.query(`UPDATE admin_users SET role = 'super_admin' WHERE id = ANY($1::uuid[])`, [
        supers.map((s: { id: string }) => s.id),
      ]);
    }

    const reset = await superAdmin.post(`/admin-users/${id}/reset-mfa`);
    expect([reset.status, reset.body.user.mfa_enabled]).toEqual([200, false]);
    const relogin = await newcomer.post('/auth/login', { email, password: 'newcomer passphrase' });
    expect(relogin.body.state).toBe('mfa_enrollment_required');

    for (let i = 0; i < 5; i++) await newcomer.post('/auth/login', { email, password: 'wrong wrong wrong' });
    expect((await newcomer.post('/auth/login', { email, password: 'newcomer passphrase' })).status).toBe(429);
    const list = await superAdmin.get('/admin-users?limit=100');
    expect(list.body.items.find((u: { id: string }) => u.id === id).locked_until).toEqual(expect.any(String));
    const unlocked = await superAdmin.post(`/admin-users/${id}/unlock`);
    expect([unlocked.status, unlocked.body.user.locked_until]).toEqual([200, null]);
    expect((await newcomer.post('/auth/login', { email, password: 'newcomer passphrase' })).status).toBe(200);
    const trail = await audits(`resource_id = $1 AND actor_type = 'admin_user' AND outcome = 'success'`, [id]);
    expect(trail.map((r) => r.action)).toEqual(
      expect.arrayContaining(['admin.invite', 'admin.setup', 'admin.update', 'admin.reset_mfa', 'admin.unlock']),
    );
  });

  it('counts requests per key by outcome and failed authentications, in batches', async () => {
    const key = await t.createKey({ permissions: ['billing:read'] });
    const call = (apiKey: string) => request(t.http).get('/v1/billing/key').set('X-API-Key', apiKey);
    await call(key.plaintextKey);
    await call(key.plaintextKey);
    await request(t.http).post('/v1/billing/charges').set('X-API-Key', key.plaintextKey).send({});
    await call(`${key.plaintextKey.slice(0, -1)}x`);
    await request(t.http).get('/v1/billing/key');
    // Nothing is written per request…
    expect(
      (await t.db.query(`SELECT count(*)::int AS n FROM api_key_usage_hourly WHERE api_key_id = $1`, [key.keyId]))[0].n,
    ).toBe(0);
    await t.app.get(KeyUsageRecorder).flush();
    const usage = await viewer.get(`/keys/${key.keyId}/usage?days=1&granularity=hour`);
    expect(usage.status).toBe(200);
    expect(usage.body.totals).toMatchObject({ ok: 2, forbidden: 1 });
    const failures = await viewer.get('/analytics/auth-failures');
    expect(failures.body.totals.by_reason).toMatchObject({
      invalid_api_key: expect.any(Number),
      missing_api_key: expect.any(Number),
    });
    expect(failures.body.top_key_prefixes.length).toBeGreaterThan(0);
    const [mine] = await t.db.query(
      `SELECT reason, sum(count)::int AS n FROM api_key_auth_failures_hourly WHERE key_prefix = $1 GROUP BY reason`,
      [key.keyPrefix],
    );
    expect(mine).toEqual({ reason: 'invalid_api_key', n: 1 });
    const overview = await viewer.get('/overview?environment=test');
    expect(overview.status).toBe(200);
    expect(overview.body.failed_auth_24h).toBeGreaterThanOrEqual(2);
    expect(overview.body.usage_30d).toHaveLength(30);
    for (const path of [
      '/analytics/usage?environment=test&granularity=week',
      '/analytics/revenue?granularity=month',
      '/analytics/keys?environment=test',
    ]) {
      expect((await viewer.get(path)).status).toBe(200);
    }
  });

  it('CSV export: admins download the usage and revenue reports (same numbers as the JSON), audited; viewers get 403, audited', async () => {
    const account = await newAccount(1_000);
    const charge = await request(t.http).post('/v1/billing/charges').set('X-API-Key', account.agent.plaintextKey).send({
      oauth_provider: account.oauth_provider,
      external_id: account.external_id,
      amount_minor: 100,
      currency: 'USD',
      description: 'CSV export',
    });
    expect(charge.status).toBe(201);
    const today = t.clock.now().toISOString().slice(0, 10);
    const start = new Date(t.clock.now().getTime() - 20 * 86_400_000).toISOString().slice(0, 10);
    const query = `?environment=test&start=${start}&end=${today}&granularity=week`;
    const rowsOf = (csv: string) =>
      csv
        .trimEnd()
        .split('\r\n')
        .map((line) => line.split(','));

    // Other suites write to the same database at the same time: take a CSV that sits between two equal
    // JSON answers, so both describe the same data.
    const consistent = async (report: string) => {
      for (let attempt = 0; ; attempt++) {
        const before = await admin.get(`/analytics/${report}${query}`);
        const csv = await admin.get(`/analytics/${report}.csv${query}`);
        const after = await admin.get(`/analytics/${report}${query}`);
        if (JSON.stringify(before.body) === JSON.stringify(after.body) || attempt === 9) return [before, csv] as const;
      }
    };
    const [usageJson, usageCsv] = await consistent('usage');
    expect(usageCsv.status).toBe(200);
    expect(usageCsv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(usageCsv.headers['content-disposition']).toBe(
      `attachment; filename="ciris-billing-usage-test-${start}-${today}-week.csv"`,
    );
    expect(usageCsv.headers['cache-control']).toContain('no-store');
    const [usageHeader, ...usageRows] = rowsOf(usageCsv.text);
    expect(usageHeader).toEqual([
      'bucket_start',
      'charges',
      'paid_uses',
      'free_uses',
      'daily_free_uses',
      'one_time_free_uses',
      'credits_spent',
      'unique_charged_accounts',
      'new_accounts',
      'credit_checks',
      'denied_credit_checks',
    ]);
    const buckets = usageJson.body.buckets as Array<Record<string, number | string>>;
    expect(usageRows).toEqual(
      buckets.map((b) => [String(b.start).slice(0, 10), ...usageHeader.slice(1).map((c) => String(b[c]))]),
    );
    expect(usageRows.reduce((sum, r) => sum + Number(r[1]), 0)).toBe(usageJson.body.totals.charges);
    expect(usageJson.body.totals.charges).toBeGreaterThanOrEqual(1);

    const [revenueJson, revenueCsv] = await consistent('revenue');
    expect(revenueCsv.status).toBe(200);
    expect(revenueCsv.headers['content-disposition']).toBe(
      `attachment; filename="ciris-billing-revenue-test-${start}-${today}-week.csv"`,
    );
    const [revenueHeader, ...revenueRows] = rowsOf(revenueCsv.text);
    expect(revenueHeader).toEqual([
      'bucket_start',
      'currency',
      'purchases',
      'purchase_amount_minor',
      'revenue_minor',
      'credits_added_purchase_minor',
      'credits_added_grant_minor',
      'credits_added_refund_minor',
      'credits_added_adjustment_minor',
      'credits_added_total_minor',
    ]);
    type RevenueBucket = {
      start: string;
      purchases: number;
      purchase_amount_minor: number;
      revenue_minor: number;
      credits_added_minor: Record<string, number>;
    };
    expect(revenueRows).toEqual(
      (revenueJson.body.buckets as RevenueBucket[]).map((b) =>
        [
          b.start.slice(0, 10),
          revenueJson.body.currency,
          b.purchases,
          b.purchase_amount_minor,
          b.revenue_minor,
          ...['purchase', 'grant', 'refund', 'adjustment', 'total'].map((k) => b.credits_added_minor[k]),
        ].map(String),
      ),
    );

    const exports = await audits(`actor_id = $1 AND action = 'analytics.export'`, [adminId]);
    expect(exports).toHaveLength(2);
    expect(exports[0]).toMatchObject({
      actor_type: 'admin_user',
      outcome: 'success',
      environment: 'test',
      after: { report: 'usage', format: 'csv', start, end: today, granularity: 'week', rows: usageRows.length },
    });
    expect(exports[1]).toMatchObject({
      after: { report: 'revenue', start, end: today, currency: revenueJson.body.currency, rows: revenueRows.length },
    });

    // Viewers read the reports but cannot export them; the refusal is audited and nothing is exported.
    for (const path of ['/analytics/usage.csv', '/analytics/revenue.csv']) {
      const refused = await viewer.get(`${path}${query}`);
      expect([refused.status, refused.body.code]).toEqual([403, 'admin_forbidden']);
    }
    const denied = await audits(`actor_id = $1 AND action = 'access.forbidden' AND after->>'path' LIKE $2`, [
      viewerId,
      '/admin/api/analytics/%.csv',
    ]);
    expect(denied).toHaveLength(2);
    expect(denied[0]).toMatchObject({ outcome: 'denied', after: { required_role: 'admin', role: 'viewer' } });
    expect(await audits(`actor_id = $1 AND action = 'analytics.export'`, [viewerId])).toHaveLength(0);

    // Bad ranges are the JSON report's 422, never a 500.
    const bad = await admin.get('/analytics/usage.csv?start=2020-01-01&end=2026-01-01');
    expect([bad.status, bad.body.code]).toEqual([422, expect.any(String)]);
    expect(await audits(`actor_id = $1 AND action = 'analytics.export'`, [adminId])).toHaveLength(2);
  });

  it('never answers 500 to malformed console requests', async () => {
    const probes: Array<[ConsoleClient, 'get' | 'post' | 'patch' | 'delete', string, unknown?]> = [
      [viewer, 'get', '/keys/not-a-uuid'],
      [viewer, 'get', '/keys?limit=1000'],
      [viewer, 'get', '/keys?cursor=%%%'],
      [viewer, 'get', '/keys?cursor=bm90LWEtY3Vyc29y'],
      [viewer, 'get', `/keys/${crypto.randomUUID()}`],
      [viewer, 'get', `/keys/${crypto.randomUUID()}/usage?days=0`],
      [viewer, 'get', '/accounts?environment=prod'],
      [viewer, 'get', `/accounts/${crypto.randomUUID()}`],
      [viewer, 'get', `/accounts/${crypto.randomUUID()}/ledger?type=weird`],
      [viewer, 'get', '/audit?since=yesterday'],
      [viewer, 'get', '/audit?action=DROP%20TABLE'],
      [viewer, 'get', '/analytics/usage?start=2026-13-01'],
      [viewer, 'get', '/analytics/usage?start=2020-01-01&end=2026-01-01'],
      [admin, 'post', '/keys', { name: 7, environment: 'prod', permissions: 'all' }],
      [admin, 'post', '/keys', { name: 'x', environment: 'test', permissions: ['billing:god'] }],
      [
        admin,
        'post',
        '/keys',
        { name: 'x', environment: 'test', permissions: ['billing:read'], expires_at: '1999-01-01T00:00:00Z' },
      ],
      [admin, 'patch', `/keys/${crypto.randomUUID()}`, { name: 'x' }],
      [admin, 'post', `/keys/${crypto.randomUUID()}/rotate`, { grace_period_seconds: -1 }],
      [admin, 'post', `/accounts/${crypto.randomUUID()}/suspend`, { reason: 'x' }],
      [admin, 'post', `/accounts/${crypto.randomUUID()}/adjustments`, { amount_minor: 1.5, kind: 'x' }],
      [admin, 'post', '/auth/reauth', { code: 123456 }],
      [admin, 'post', '/auth/mfa/verify', {}],
      [admin, 'delete', `/auth/sessions/${crypto.randomUUID()}`],
      [superAdmin, 'patch', `/admin-users/${crypto.randomUUID()}`, { role: 'god' }],
      [superAdmin, 'post', '/admin-users', { email: 'not an email', full_name: '', role: 'viewer' }],
      [viewer, 'post', '/auth/login', { email: ['a'], password: { $gt: '' } }],
      [viewer, 'post', '/auth/setup', { token: 'x'.repeat(500), password: 'y' }],
    ];
    for (const [c, method, path, body] of probes) {
      const res = await c.send(method, path, body);
      expect({ path, status: res.status < 500 }).toEqual({ path, status: true });
      expect(res.body.code).toEqual(expect.any(String));
    }
    const raw = await request(t.http)
      .post('/admin/api/auth/login')
      .set('Content-Type', 'application/json')
      .send('{"email": ');
    expect([raw.status, raw.body.code]).toEqual([422, 'validation_error']);
  });
});
