import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import request from 'supertest';
import { validateEnv } from '../src/config/env.js';
import { ConsoleClient } from './utils/console-client.js';
import { createTestApp, type TestApp } from './utils/test-app.js';

const CLI = resolve(process.cwd(), 'dist/cli/index.js');

function cli(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, DATABASE_URL: process.env.TEST_DB_URL },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

// Each test spawns several `node dist/cli` processes (seconds each on a busy machine): 3 minutes apiece.
describe('admin console: the CLI side (create-admin, admin unlock, admin reset-mfa)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ ADMIN_AUTH_RATE_LIMIT_PER_MINUTE: '1000' });
  });
  afterAll(() => t.close());

  it('an operator made by create-admin enrols at first sign-in; unlock and reset-mfa help when locked out, audited as cli', async () => {
    const email = `cli-op-${crypto.randomUUID()}@example.com`;
    const password = 'a passphrase typed once';
    const created = await cli(
      ['create-admin', '--email', email, '--name', 'CLI Op', '--role', 'super_admin', '--password-stdin'],
      password,
    );
    expect([created.code, created.stderr]).toEqual([0, '']);

    const c = new ConsoleClient(t.http, t.clock);
    await c.enrol(email, password);
    expect((await c.get('/auth/me')).body.user).toMatchObject({ email, role: 'super_admin', mfa_enabled: true });

    for (let i = 0; i < 5; i++)
      await new ConsoleClient(t.http, t.clock).post('/auth/login', { email, password: 'wrong guess' });
    expect((await new ConsoleClient(t.http, t.clock).post('/auth/login', { email, password })).status).toBe(429);
    const unlocked = await cli(['admin', 'unlock', email, '--json']);
    expect([unlocked.code, unlocked.stderr]).toEqual([0, '']);
    expect(JSON.parse(unlocked.stdout)).toMatchObject({ email, locked_until: null });
    expect((await new ConsoleClient(t.http, t.clock).post('/auth/login', { email, password })).status).toBe(200);

    // Lost authenticator: MFA off, the live session ends, the next sign-in enrols again.
    const reset = await cli(['admin', 'reset-mfa', email]);
    expect([reset.code, reset.stdout]).toEqual([
      0,
      `✅ MFA reset for ${email}: they enrol a new authenticator at next sign-in.\n`,
    ]);
    expect((await c.get('/auth/me')).status).toBe(401);
    const again = await new ConsoleClient(t.http, t.clock).post('/auth/login', { email, password });
    expect(again.body).toEqual({ state: 'mfa_enrollment_required' });

    const rows = await t.db.query(
      `SELECT action, actor_type, actor_label, before, after FROM admin_audit_log
        WHERE resource_id = (SELECT id::text FROM admin_users WHERE email = $1) AND actor_type = 'cli' ORDER BY created_at`,
      [email],
    );
    expect(rows.map((r: { action: string }) => r.action)).toEqual(['admin.create', 'admin.unlock', 'admin.reset_mfa']);
    expect(rows[0]).toMatchObject({
      actor_label: 'cli',
      before: null,
      after: { email, full_name: 'CLI Op', role: 'super_admin', is_active: true, mfa_enabled: false },
    });
    expect(JSON.stringify(rows)).not.toContain(password);
    expect(JSON.stringify(rows)).not.toMatch(/argon2/);
    expect(rows[2]).toMatchObject({
      actor_label: 'cli',
      before: { mfa_enabled: true },
      // The console session and the pending sign-in after the unlock.
      after: { mfa_enabled: false, sessions_revoked: 2 },
    });

    const unknown = await cli(['admin', 'unlock', 'nobody@example.com']);
    expect([unknown.code, unknown.stderr]).toEqual([1, 'error: Admin user not found: nobody@example.com\n']);
  }, 180_000);

  it('key create / rotate / revoke from the CLI write the same audit rows (actor cli)', async () => {
    const admin = await cli(
      [
        'create-admin',
        '--email',
        `keys-${crypto.randomUUID()}@example.com`,
        '--name',
        'K',
        '--password-stdin',
        '--json',
      ],
      'a passphrase typed once',
    );
    const adminId = (JSON.parse(admin.stdout) as { id: string }).id;
    const created = JSON.parse(
      (await cli(['key', 'create', '--name', 'CLI key', '--created-by', adminId, '--env', 'test', '--json'])).stdout,
    ) as { key_id: string };
    await cli(['key', 'rotate', created.key_id, '--grace-period-hours', '1']);
    const revoked = await cli(['key', 'revoke', created.key_id, '--reason', 'done with it']);
    expect(revoked.code).toBe(0);
    const rows = await t.db.query(
      `SELECT action, actor_type, reason FROM admin_audit_log WHERE resource_id = $1 ORDER BY created_at`,
      [created.key_id],
    );
    expect(rows).toEqual([
      { action: 'key.create', actor_type: 'cli', reason: null },
      { action: 'key.rotate', actor_type: 'cli', reason: null },
      { action: 'key.revoke', actor_type: 'cli', reason: 'done with it' },
    ]);
  }, 180_000);

  it('key update from the CLI writes one audit row per change, with before/after (actor cli)', async () => {
    const admin = await cli(
      [
        'create-admin',
        '--email',
        `upd-${crypto.randomUUID()}@example.com`,
        '--name',
        'U',
        '--password-stdin',
        '--json',
      ],
      'a passphrase typed once',
    );
    const adminId = (JSON.parse(admin.stdout) as { id: string }).id;
    const created = JSON.parse(
      (
        await cli([
          'key',
          'create',
          '--name',
          'Before',
          '--created-by',
          adminId,
          '--env',
          'test',
          '--rate-limit-per-minute',
          '5',
          '--json',
        ])
      ).stdout,
    ) as { key_id: string; plaintext_key: string };
    const first = await cli([
      'key',
      'update',
      created.key_id,
      '--name',
      'After',
      '--description',
      'moved to EU',
      '--rate-limit-per-minute',
      '50',
      '--expires-in-days',
      '30',
    ]);
    expect([first.code, first.stderr]).toEqual([0, '']);
    const second = await cli(['key', 'update', created.key_id, '--rate-limit-per-minute', 'none']);
    expect([second.code, second.stderr]).toEqual([0, '']);
    const rows = await t.db.query(
      `SELECT action, actor_type, actor_label, environment, before, after FROM admin_audit_log
        WHERE resource_id = $1 AND action = 'key.update' ORDER BY created_at`,
      [created.key_id],
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      actor_type: 'cli',
      actor_label: 'cli',
      environment: 'test',
      before: { name: 'Before', description: null, rate_limit_per_minute: 5 },
      after: { name: 'After', description: 'moved to EU', rate_limit_per_minute: 50 },
    });
    expect(Date.parse(rows[0].after.expires_at) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect(rows[0].before.expires_at).not.toEqual(rows[0].after.expires_at);
    expect(rows[1]).toMatchObject({ before: { rate_limit_per_minute: 50 }, after: { rate_limit_per_minute: null } });
    expect(JSON.stringify(rows)).not.toContain(created.plaintext_key);
  }, 180_000);
});

describe('admin console: switches and limits', () => {
  it('throttles the sign-in routes per client IP', async () => {
    const t = await createTestApp({ ADMIN_AUTH_RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const attempt = () =>
        request(t.http).post('/admin/api/auth/login').send({ email: 'x@example.com', password: 'y' });
      for (let i = 0; i < 3; i++) expect((await attempt()).status).toBe(401);
      const throttled = await attempt();
      expect([throttled.status, throttled.body.code]).toEqual([429, 'too_many_requests']);
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
      // Only the sign-in routes count: reading stays possible.
      expect((await request(t.http).get('/admin/api/auth/me')).status).toBe(401);
    } finally {
      await t.close();
      // Overrides stay in process.env for the next suites of this worker: back to the default.
      process.env.ADMIN_AUTH_RATE_LIMIT_PER_MINUTE = '30';
    }
  });

  it('ADMIN_CONSOLE_ENABLED=false turns the console API off', async () => {
    const t = await createTestApp({ ADMIN_CONSOLE_ENABLED: 'false' });
    try {
      const res = await request(t.http).post('/admin/api/auth/login').send({ email: 'x@example.com', password: 'y' });
      expect([res.status, res.body.code]).toEqual([404, 'console_disabled']);
    } finally {
      await t.close();
      process.env.ADMIN_CONSOLE_ENABLED = 'true';
    }
  });

  it('writes buffered key usage at shutdown', async () => {
    // No periodic flush in between: only the shutdown writes.
    const t = await createTestApp({ LAST_USED_FLUSH_INTERVAL_MS: '3600000' });
    process.env.LAST_USED_FLUSH_INTERVAL_MS = '5000';
    const key = await t.createKey({ permissions: ['billing:read'] });
    await request(t.http).get('/v1/billing/key').set('X-API-Key', key.plaintextKey);
    const db = t.db;
    const before = await db.query(`SELECT count(*)::int AS n FROM api_key_usage_hourly WHERE api_key_id = $1`, [
      key.keyId,
    ]);
    expect(before[0].n).toBe(0);
    const url = process.env.TEST_DB_URL!;
    await t.close();
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const after = await client.query(
        `SELECT outcome, count::int AS count FROM api_key_usage_hourly WHERE api_key_id = $1`,
        [key.keyId],
      );
      expect(after.rows).toEqual([{ outcome: 'ok', count: 1 }]);
    } finally {
      await client.end();
    }
  });

  it('refuses to start in production without an MFA encryption key', () => {
    const base = { NODE_ENV: 'production', DATABASE_URL: 'postgres://u:p@db:5432/billing' };
    expect(() => validateEnv(base)).toThrow(/ADMIN_MFA_ENCRYPTION_KEY=<redacted>: required in production/);
    expect(validateEnv({ ...base, ADMIN_CONSOLE_ENABLED: 'false' }).ADMIN_CONSOLE_ENABLED).toBe(false);
    expect(validateEnv({ ...base, ADMIN_MFA_ENCRYPTION_KEY: 'ab'.repeat(32) }).NODE_ENV).toBe('production');
    expect(() => validateEnv({ ...base, ADMIN_MFA_ENCRYPTION_KEY: 'too-short' })).toThrow(
      /ADMIN_MFA_ENCRYPTION_KEY=<redacted>/,
    );
    // Development runs without one (a fixed development key stands in).
    expect(validateEnv({ NODE_ENV: 'development' }).ADMIN_MFA_ENCRYPTION_KEY).toBeUndefined();
  });
});
