import request from 'supertest';
import { ConsoleClient, totpAt } from './utils/console-client.js';
import { newOperator, OPERATOR_PASSWORD } from './utils/operators.js';
import { createTestApp, type TestApp } from './utils/test-app.js';

const MINUTE = 60_000;
const retryAfter = (res: request.Response): number => Number(res.headers['retry-after']);

describe('admin console: sign-in, MFA, sessions', () => {
  let t: TestApp;
  const client = () => new ConsoleClient(t.http, t.clock);
  const auditRows = (userId: string, action: string) =>
    t.db.query(`SELECT * FROM admin_audit_log WHERE resource_id = $1 AND action = $2`, [userId, action]) as Promise<
      Array<Record<string, unknown>>
    >;

  beforeAll(async () => {
    t = await createTestApp({ ADMIN_AUTH_RATE_LIMIT_PER_MINUTE: '1000' });
  });
  afterAll(() => t.close());

  it('enrol, confirm, log out, log in; a replayed code is refused; a recovery code works once', async () => {
    const op = await newOperator(t, 'viewer');
    const c = client();
    const login = await c.post('/auth/login', { email: op.email, password: OPERATOR_PASSWORD });
    expect([login.status, login.body]).toEqual([200, { state: 'mfa_enrollment_required' }]);
    const pendingCookie = login.headers['set-cookie'] as unknown as string[];
    expect(pendingCookie[0]).toMatch(
      /^__Host-ciris_admin_pending=[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
    );
    // A pending login is not a session.
    expect((await c.get('/auth/me')).status).toBe(401);

    const enrol = await c.post('/auth/mfa/enroll');
    expect(enrol.status).toBe(200);
    expect(enrol.body.otpauth_uri).toMatch(
      /^otpauth:\/\/totp\/CIRIS%20Billing:.+\?issuer=CIRIS%20Billing&secret=[A-Z2-7]+&algorithm=SHA1&digits=6&period=30$/,
    );
    expect(enrol.body.qr_svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    c.secret = enrol.body.secret_base32;
    const wrong = await c.post('/auth/mfa/enroll/confirm', { code: '000000' === c.code() ? '111111' : '000000' });
    expect([wrong.status, wrong.body.code]).toEqual([401, 'invalid_mfa_code']);
    // The codes sent are kept: recomputing one later could land in the next 30-second step.
    const firstCode = c.code();
    const confirm = await c.post('/auth/mfa/enroll/confirm', { code: firstCode });
    expect(confirm.status).toBe(200);
    expect(confirm.body.recovery_codes).toHaveLength(10);
    expect(new Set(confirm.body.recovery_codes).size).toBe(10);
    expect(confirm.body.user).toMatchObject({ id: op.id, email: op.email, role: 'viewer', mfa_enabled: true });
    const sessionCookie = (confirm.headers['set-cookie'] as unknown as string[]).find((l) =>
      l.startsWith('__Host-ciris_admin='),
    );
    expect(sessionCookie).toMatch(/^__Host-ciris_admin=[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    c.csrf = confirm.body.csrf_token;

    const me = await c.get('/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      user: { email: op.email, role: 'viewer' },
      csrf_token: c.csrf,
      session: { current: true },
    });
    // Stored: hashes only, the TOTP secret sealed.
    const [stored] = await t.db.query(`SELECT mfa_secret FROM admin_users WHERE id = $1`, [op.id]);
    expect(stored.mfa_secret).toMatch(/^v1\./);
    expect(stored.mfa_secret).not.toContain(c.secret);
    const codes = await t.db.query(`SELECT code_hash FROM admin_recovery_codes WHERE admin_user_id = $1`, [op.id]);
    expect(codes).toHaveLength(10);
    expect(codes.map((r: { code_hash: string }) => r.code_hash)).not.toContain(confirm.body.recovery_codes[0]);

    expect((await c.post('/auth/logout')).status).toBe(204);
    expect((await c.get('/auth/me')).status).toBe(401);

    // Same TOTP step as the enrolment confirmation: a replay.
    await c.post('/auth/login', { email: op.email, password: OPERATOR_PASSWORD });
    const replay = await c.post('/auth/mfa/verify', { code: firstCode });
    expect([replay.status, replay.body.code]).toEqual([401, 'invalid_mfa_code']);
    t.clock.advance(30_000);
    const freshCode = c.code();
    const fresh = await c.post('/auth/mfa/verify', { code: freshCode });
    expect(fresh.status).toBe(200);
    c.csrf = fresh.body.csrf_token;
    await c.post('/auth/logout');
    // The code just accepted cannot be used again either, even within its window.
    await c.post('/auth/login', { email: op.email, password: OPERATOR_PASSWORD });
    expect((await c.post('/auth/mfa/verify', { code: freshCode })).status).toBe(401);

    const recovery = confirm.body.recovery_codes[3] as string;
    const viaRecovery = await c.post('/auth/mfa/verify', { recovery_code: recovery.toLowerCase() });
    expect(viaRecovery.status).toBe(200);
    c.csrf = viaRecovery.body.csrf_token;
    await c.post('/auth/logout');
    await c.post('/auth/login', { email: op.email, password: OPERATOR_PASSWORD });
    const again = await c.post('/auth/mfa/verify', { recovery_code: recovery });
    expect([again.status, again.body.code]).toEqual([401, 'invalid_mfa_code']);

    const logins = await t.db.query(
      `SELECT after FROM admin_audit_log WHERE action = 'admin.login' AND actor_id = $1`,
      [op.id],
    );
    expect(logins.map((r: { after: { method: string } }) => r.after.method).sort()).toEqual([
      'recovery_code',
      'totp',
      'totp',
    ]);
  });

  it('answers every sign-in failure the same way', async () => {
    const op = await newOperator(t);
    const inactive = await newOperator(t);
    await t.db.query(`UPDATE admin_users SET is_active = false WHERE id = $1`, [inactive.id]);
    const answers = await Promise.all([
      client().post('/auth/login', { email: `nobody-${crypto.randomUUID()}@example.com`, password: OPERATOR_PASSWORD }),
      client().post('/auth/login', { email: op.email, password: 'wrong password here' }),
      client().post('/auth/login', { email: inactive.email, password: OPERATOR_PASSWORD }),
    ]);
    for (const res of answers) {
      expect([res.status, res.body]).toEqual([
        401,
        { detail: 'Invalid email or password', code: 'invalid_credentials' },
      ]);
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect(await auditRows(op.id, 'admin.login_failed')).toHaveLength(1);
  });

  it('locks after 5 failures for 15 minutes, doubling on the next lock; the lock holds for the right password', async () => {
    const op = await newOperator(t);
    const attempt = (password: string) => client().post('/auth/login', { email: op.email, password });
    for (let i = 0; i < 5; i++) expect((await attempt('not the password')).status).toBe(401);
    const locked = await attempt(OPERATOR_PASSWORD);
    expect([locked.status, locked.body.code]).toEqual([429, 'account_locked']);
    // Seconds left of a 15-minute lock (a little wall-clock time passes between the lock and the answer).
    expect(retryAfter(locked)).toBeGreaterThan(850);
    expect(retryAfter(locked)).toBeLessThanOrEqual(900);
    expect(await auditRows(op.id, 'admin.locked')).toHaveLength(1);

    t.clock.advance(15 * MINUTE + 1000);
    expect((await attempt(OPERATOR_PASSWORD)).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await attempt('not the password')).status).toBe(401);
    const relocked = await attempt(OPERATOR_PASSWORD);
    // The second lock doubles: 30 minutes.
    expect(relocked.status).toBe(429);
    expect(retryAfter(relocked)).toBeGreaterThan(1750);
    expect(retryAfter(relocked)).toBeLessThanOrEqual(1800);
    t.clock.advance(30 * MINUTE + 1000);
    expect((await attempt(OPERATOR_PASSWORD)).status).toBe(200);
  });

  it('wrong second-factor codes count toward the lock even when the password is entered again; a lock also stops step-up', async () => {
    const op = await newOperator(t);
    const signedIn = client();
    await signedIn.enrol(op.email, OPERATOR_PASSWORD);
    const wrong = () => (signedIn.code() === '123456' ? '654321' : '123456');
    // Three rounds of "right password, two wrong codes": six consecutive failures, never a full sign-in.
    for (let round = 0; round < 3; round++) {
      const attacker = client();
      const login = await attacker.post('/auth/login', { email: op.email, password: OPERATOR_PASSWORD });
      if (login.status === 429) break;
      expect(login.status).toBe(200);
      for (let i = 0; i < 2; i++) {
        const verify = await attacker.post('/auth/mfa/verify', { code: wrong() });
        expect([401, 429]).toContain(verify.status);
      }
    }
    const locked = await client().post('/auth/login', { email: op.email, password: OPERATOR_PASSWORD });
    expect([locked.status, locked.body.code]).toEqual([429, 'account_locked']);
    // The session opened before the lock cannot step up while it lasts, even with the right code.
    t.clock.advance(30_000);
    const reauth = await signedIn.post('/auth/reauth', { code: signedIn.code() });
    expect([reauth.status, reauth.body.code]).toEqual([429, 'account_locked']);
    // Once the lock has passed (the session kept alive meanwhile), step-up works again.
    t.clock.advance(10 * MINUTE);
    expect((await signedIn.get('/auth/me')).status).toBe(200);
    t.clock.advance(5 * MINUTE + 1000);
    expect((await signedIn.reauth()).status).toBe(204);
  });

  it('ends a session after 15 idle minutes, and any session after 8 hours', async () => {
    const op = await newOperator(t);
    const c = client();
    await c.enrol(op.email, OPERATOR_PASSWORD);
    t.clock.advance(14 * MINUTE);
    expect((await c.get('/auth/me')).status).toBe(200);
    t.clock.advance(15 * MINUTE + 1000);
    const idle = await c.get('/auth/me');
    expect([idle.status, idle.body.code]).toEqual([401, 'admin_unauthenticated']);

    t.clock.advance(60_000);
    expect((await c.login(op.email, OPERATOR_PASSWORD)).status).toBe(200);
    for (let elapsed = 0; elapsed < 8 * 60 - 10; elapsed += 10) {
      t.clock.advance(10 * MINUTE);
      expect((await c.get('/auth/me')).status).toBe(200);
    }
    t.clock.advance(11 * MINUTE);
    expect((await c.get('/auth/me')).status).toBe(401);
  });

  it('revocation is seen at once by a second app instance (logout, role change, deactivation)', async () => {
    const second = await createTestApp({ ADMIN_AUTH_RATE_LIMIT_PER_MINUTE: '1000' });
    // Both replicas share one notion of "now" (this suite's clock has moved on by hours).
    const sync = () => second.clock.advance(t.clock.now().getTime() - second.clock.now().getTime());
    sync();
    try {
      const op = await newOperator(t);
      const c = client();
      await c.enrol(op.email, OPERATOR_PASSWORD);
      const there = c.on(second.http);
      expect((await there.get('/auth/me')).status).toBe(200);
      await c.post('/auth/logout');
      expect((await there.get('/auth/me')).status).toBe(401);

      // A super_admin changes the operator's role on instance 1: the session dies on instance 2.
      t.clock.advance(30_000);
      sync();
      await c.login(op.email, OPERATOR_PASSWORD);
      const boss = client();
      const superOp = await newOperator(t, 'super_admin');
      await boss.enrol(superOp.email, OPERATOR_PASSWORD);
      const victim = c.on(second.http);
      expect((await victim.get('/auth/me')).status).toBe(200);
      expect((await boss.patch(`/admin-users/${op.id}`, { role: 'viewer' })).status).toBe(200);
      expect((await victim.get('/auth/me')).status).toBe(401);

      t.clock.advance(30_000);
      sync();
      await c.login(op.email, OPERATOR_PASSWORD);
      expect((await c.on(second.http).get('/auth/me')).status).toBe(200);
      expect((await boss.patch(`/admin-users/${op.id}`, { is_active: false })).status).toBe(200);
      expect((await c.on(second.http).get('/auth/me')).status).toBe(401);
    } finally {
      await second.close();
    }
  });

  it('step-up: needed for sensitive actions once the window has passed', async () => {
    const op = await newOperator(t, 'admin');
    const c = client();
    await c.enrol(op.email, OPERATOR_PASSWORD);
    // Signing in with a code counts as a step-up for 10 minutes.
    const live = await c.post('/keys', { name: 'live-1', environment: 'live', permissions: ['billing:read'] });
    expect(live.status).toBe(201);
    t.clock.advance(10 * MINUTE + 1000);
    const refused = await c.post('/keys', { name: 'live-2', environment: 'live', permissions: ['billing:read'] });
    expect([refused.status, refused.body.code]).toEqual([403, 'reauth_required']);
    // Test keys need no step-up.
    expect((await c.post('/keys', { name: 'test-1', environment: 'test', permissions: ['billing:read'] })).status).toBe(
      201,
    );
    const badCode = await c.post('/auth/reauth', { code: c.code() === '123456' ? '654321' : '123456' });
    expect([badCode.status, badCode.body.code]).toEqual([401, 'invalid_mfa_code']);
    expect((await c.reauth()).status).toBe(204);
    expect((await c.get('/auth/me')).body.session.step_up_until).toEqual(expect.any(String));
    expect((await c.post('/keys', { name: 'live-2', environment: 'live', permissions: ['billing:read'] })).status).toBe(
      201,
    );
    const denied = await t.db.query(
      `SELECT * FROM admin_audit_log WHERE actor_id = $1 AND action = 'access.reauth_required'`,
      [op.id],
    );
    expect(denied).toHaveLength(1);
    expect(denied[0].outcome).toBe('denied');
  });

  it('step-up is audited (success and denied, never the code); wrong step-up codes count toward the lock like a wrong login code', async () => {
    const op = await newOperator(t, 'admin');
    const c = client();
    await c.enrol(op.email, OPERATOR_PASSWORD);
    const session = (await c.get('/auth/me')).body.session.id as string;
    const signInFailures = async () =>
      (await c.get('/analytics/auth-failures')).body.admin_login_failures.total as number;
    const failuresBefore = await signInFailures();
    const wrongCode = () => (c.code() === '123456' ? '654321' : '123456');
    const sentWrong = wrongCode();
    const bad = await c.post('/auth/reauth', { code: sentWrong });
    expect([bad.status, bad.body.code]).toEqual([401, 'invalid_mfa_code']);
    t.clock.advance(30_000);
    const goodCode = c.code();
    expect((await c.post('/auth/reauth', { code: goodCode })).status).toBe(204);
    const rows = (await t.db.query(
      `SELECT actor_type, actor_id, actor_label, resource_type, resource_id, outcome, before, after, request_id
         FROM admin_audit_log WHERE actor_id = $1 AND action = 'admin.reauth' ORDER BY created_at`,
      [op.id],
    )) as Array<Record<string, unknown>>;
    expect(rows).toEqual([
      expect.objectContaining({
        actor_type: 'admin_user',
        actor_label: op.email,
        resource_type: 'admin_session',
        resource_id: session,
        outcome: 'denied',
        after: { cause: 'wrong_code' },
      }),
      expect.objectContaining({
        actor_type: 'admin_user',
        outcome: 'success',
        resource_id: session,
        after: { step_up_until: expect.any(String) },
      }),
    ]);
    const until = Date.parse((rows[1].after as { step_up_until: string }).step_up_until);
    expect(Math.abs(until - (t.clock.now().getTime() + 10 * MINUTE))).toBeLessThan(5_000);
    for (const row of rows) expect(row.request_id).toEqual(expect.any(String));
    expect(JSON.stringify(rows)).not.toContain(sentWrong);
    expect(JSON.stringify(rows)).not.toContain(goodCode);

    // Failures count until a complete sign-in (a step-up is not one): with the failure above, four
    // more wrong step-up codes make five and lock the operator, as five wrong login codes do; the
    // lock is audited and stops sign-in too.
    for (let i = 0; i < 3; i++) {
      t.clock.advance(30_000);
      expect((await c.post('/auth/reauth', { code: wrongCode() })).status).toBe(401);
    }
    expect(await auditRows(op.id, 'admin.locked')).toHaveLength(0);
    t.clock.advance(30_000);
    expect((await c.post('/auth/reauth', { code: wrongCode() })).status).toBe(401);
    expect(await auditRows(op.id, 'admin.locked')).toHaveLength(1);
    const locked = await client().post('/auth/login', { email: op.email, password: OPERATOR_PASSWORD });
    expect([locked.status, locked.body.code]).toEqual([429, 'account_locked']);
    t.clock.advance(30_000);
    const whileLocked = await c.post('/auth/reauth', { code: c.code() });
    expect([whileLocked.status, whileLocked.body.code]).toEqual([429, 'account_locked']);
    const denied = (await t.db.query(
      `SELECT after FROM admin_audit_log WHERE actor_id = $1 AND action = 'admin.reauth' AND outcome = 'denied'`,
      [op.id],
    )) as Array<{ after: { cause: string } }>;
    expect(denied.map((r) => r.after.cause).sort()).toEqual([...Array(5).fill('wrong_code'), 'locked'].sort());
    // The security page's operator sign-in failures include the refused step-ups (never the successful one).
    expect(await signInFailures()).toBeGreaterThanOrEqual(failuresBefore + 6);
  });

  it('CSRF: a non-GET without the token, with a foreign Origin or a cross-site fetch is refused', async () => {
    const op = await newOperator(t, 'admin');
    const c = client();
    await c.enrol(op.email, OPERATOR_PASSWORD);
    const token = c.csrf;
    c.csrf = undefined;
    const missing = await c.post('/keys', { name: 'x', environment: 'test', permissions: ['billing:read'] });
    expect([missing.status, missing.body.code]).toEqual([403, 'csrf_failed']);
    c.csrf = 'not-the-token';
    expect((await c.post('/keys', { name: 'x', environment: 'test', permissions: ['billing:read'] })).status).toBe(403);
    c.csrf = token;
    const foreign = await c.post(
      '/keys',
      { name: 'x', environment: 'test', permissions: ['billing:read'] },
      { Origin: 'https://evil.example' },
    );
    expect([foreign.status, foreign.body.code]).toEqual([403, 'csrf_failed']);
    const crossSite = await c.post(
      '/keys',
      { name: 'x', environment: 'test', permissions: ['billing:read'] },
      { 'Sec-Fetch-Site': 'cross-site' },
    );
    expect([crossSite.status, crossSite.body.code]).toEqual([403, 'csrf_failed']);
    // A foreign origin cannot even start a sign-in (login CSRF).
    const loginCsrf = await client().post(
      '/auth/login',
      { email: op.email, password: OPERATOR_PASSWORD },
      { Origin: 'https://evil.example' },
    );
    expect(loginCsrf.status).toBe(403);
    const sameOrigin = await c.post(
      '/keys',
      { name: 'x', environment: 'test', permissions: ['billing:read'] },
      {
        Host: 'console.example',
        Origin: 'https://console.example',
        'Sec-Fetch-Site': 'same-origin',
      },
    );
    expect(sameOrigin.status).toBe(201);
    expect(
      (
        await t.db.query(
          `SELECT count(*)::int AS n FROM admin_audit_log WHERE actor_id = $1 AND action = 'access.csrf_failed'`,
          [op.id],
        )
      )[0].n,
    ).toBe(4); // missing token, wrong token, foreign Origin, cross-site fetch: each names the operator
  });

  it('keeps the two credentials apart: /v1 ignores the cookie, /admin/api refuses X-API-Key', async () => {
    const op = await newOperator(t, 'super_admin');
    const c = client();
    await c.enrol(op.email, OPERATOR_PASSWORD);
    const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const v1 = await request(t.http).get('/v1/billing/key').set('Cookie', cookie);
    expect([v1.status, v1.body.code]).toEqual([401, 'missing_api_key']);
    const key = await t.createKey({ permissions: ['billing:admin', 'billing:read', 'analytics:read'] });
    const withKey = await request(t.http).get('/admin/api/auth/me').set('X-API-Key', key.plaintextKey);
    expect([withKey.status, withKey.body.code]).toEqual([401, 'admin_unauthenticated']);
    const both = await c.get('/keys', { 'X-API-Key': key.plaintextKey });
    expect([both.status, both.body.code]).toEqual([401, 'admin_unauthenticated']);
  });

  it('own sessions: list, sign out others, password change (step-up) ends the other sessions', async () => {
    const op = await newOperator(t, 'viewer');
    const a = client();
    await a.enrol(op.email, OPERATOR_PASSWORD);
    const b = client();
    b.secret = a.secret;
    expect((await b.login(op.email, OPERATOR_PASSWORD)).status).toBe(200);
    const list = await a.get('/auth/sessions');
    expect(list.body.items).toHaveLength(2);
    expect(list.body.items.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    expect((await a.delete('/auth/sessions')).status).toBe(204);
    expect((await b.get('/auth/me')).status).toBe(401);
    expect((await a.get('/auth/me')).status).toBe(200);

    t.clock.advance(30_000);
    expect((await b.login(op.email, OPERATOR_PASSWORD)).status).toBe(200);
    t.clock.advance(11 * MINUTE);
    await a.get('/auth/me');
    const needsStepUp = await a.post('/auth/password', {
      current_password: OPERATOR_PASSWORD,
      new_password: 'another long passphrase',
    });
    expect([needsStepUp.status, needsStepUp.body.code]).toEqual([403, 'reauth_required']);
    expect((await a.reauth()).status).toBe(204);
    const weak = await a.post('/auth/password', { current_password: OPERATOR_PASSWORD, new_password: 'short' });
    expect([weak.status, weak.body.code]).toEqual([422, 'weak_password']);
    const changed = await a.post('/auth/password', {
      current_password: OPERATOR_PASSWORD,
      new_password: 'another long passphrase',
    });
    expect(changed.status).toBe(204);
    expect((await b.get('/auth/me')).status).toBe(401);
    expect((await a.get('/auth/me')).status).toBe(200);
    const regenerated = await a.post('/auth/recovery-codes');
    expect([regenerated.status, regenerated.body.recovery_codes.length]).toEqual([200, 10]);
    expect(totpAt(a.secret!, t.clock)).toMatch(/^\d{6}$/);
  });

  it('sets the security headers on /admin/api', async () => {
    const res = await request(t.http).get('/admin/api/auth/me');
    expect(res.status).toBe(401);
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;font-src 'self';connect-src 'self';object-src 'none';base-uri 'none';form-action 'self';frame-ancestors 'none'",
    );
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['cache-control']).toBe('no-store');
    // The agents' API is left as it was.
    const v1 = await request(t.http).get('/v1/billing/key');
    expect(v1.headers['content-security-policy']).toBeUndefined();
  });
});
