import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import request from 'supertest';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';

/**
 * The operator CLI, spawned as built (`node dist/cli …`): nest-commander is CommonJS requiring
 * ESM Nest, which Jest's ESM mode cannot load on Node 20, and the real binary is what operators
 * run anyway. It shares the suite's database with an in-process HTTP app, so what the CLI does
 * is checked where it matters: on requests.
 */
const CLI = resolve(process.cwd(), 'dist/cli/index.js');
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const KEY = 'cbk_(?:live|test)_[0-9A-Za-z]{49}';
const RULE = '='.repeat(70);

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, DATABASE_URL: process.env.TEST_DB_URL, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Success: exit 0, nothing on stderr. */
async function ok(args: string[], input?: string): Promise<string> {
  const r = await cli(args, { input });
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  return r.stdout;
}

/** Failure: non-zero exit, exactly one line on stderr, nothing on stdout. */
async function fails(args: string[], input?: string): Promise<string> {
  const r = await cli(args, { input });
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^error: [^\n]+\n$/);
  return r.stderr.trimEnd();
}

const json = async <T = Record<string, unknown>>(args: string[]): Promise<T> =>
  JSON.parse(await ok([...args, '--json'])) as T;

describe('operator CLI (node dist/cli)', () => {
  let t: TestApp;
  let adminEmail: string;

  const check = (key: string) =>
    request(t.http).post('/v1/billing/credits/check').set('X-API-Key', key).send(newUser());

  /** Revocation in another process reaches this app by LISTEN/NOTIFY: allow it up to 2 s to arrive (loaded CI). */
  async function eventually401(key: string, detail: string): Promise<void> {
    const deadline = Date.now() + 2_000;
    let res = await check(key);
    while (res.status !== 401 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      res = await check(key);
    }
    expect(res.status).toBe(401);
    expect(res.body.detail).toBe(detail);
  }

  const createKey = (...extra: string[]) =>
    json<{ key_id: string; plaintext_key: string }>([
      'key',
      'create',
      '--name',
      'CLI Agent',
      '--created-by',
      adminEmail,
      ...extra,
    ]);

  /** A key made in-process, for tests whose subject is another command. */
  const serviceKey = async () => {
    const k = await t.keys.createApiKey({ name: 'CLI Agent', createdBy: adminEmail, environment: 'test' });
    return { key_id: k.keyId, plaintext_key: k.plaintextKey };
  };

  beforeAll(async () => {
    t = await createTestApp({ LAST_USED_FLUSH_INTERVAL_MS: '200' });
    const [admin] = await t.db.query('SELECT email FROM admin_users WHERE id = $1', [t.adminId]);
    adminEmail = admin.email;
  });
  afterAll(() => t.close());
  afterEach(() => t.clock.reset());

  it('prints help without touching the database, and refuses bad usage with one line', async () => {
    const nowhere = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/nowhere' };
    const [root, rotateHelp, unreachable, missing, badGrace, badId] = await Promise.all([
      cli(['--help'], { env: nowhere }),
      cli(['key', 'rotate', '--help'], { env: nowhere }),
      cli(['key', 'list'], { env: nowhere }),
      fails(['key', 'create', '--name', 'x']),
      fails(['key', 'rotate', '7c9e6679-7425-40de-944b-e07fc1f90ae7', '--grace-period-hours', 'soon']),
      fails(['key', 'revoke', 'not-a-uuid']),
    ]);
    expect({ code: root.code, stderr: root.stderr }).toEqual({ code: 0, stderr: '' });
    expect(root.stdout).toMatch(/^Usage: node dist\/cli \[options\] \[command\]/);
    for (const name of ['migrate', 'create-admin', 'key']) expect(root.stdout).toContain(`  ${name}`);
    expect({ code: rotateHelp.code, stderr: rotateHelp.stderr }).toEqual({ code: 0, stderr: '' });
    expect(rotateHelp.stdout).toMatch(/^Usage: node dist\/cli key rotate \[options\] <key-id>/);
    expect(rotateHelp.stdout).toContain('--grace-period-hours <hours>');
    expect(rotateHelp.stdout).toContain('--json');
    expect(unreachable).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: Database unreachable (ECONNREFUSED): check DATABASE_URL or start the service\n',
    });
    expect(missing).toBe("error: required option '--created-by <admin>' not specified");
    expect(badGrace).toBe(
      'error: Invalid value for --grace-period-hours: "soon" (expected a number of hours from 0 to 8760)',
    );
    expect(badId).toBe('error: Invalid key id "not-a-uuid": expected a UUID as shown by `node dist/cli key list`');
  });

  it('migrate reports an up-to-date database', async () => {
    expect(await ok(['migrate'])).toBe('✅ Database is up to date (no pending migrations)\n');
  });

  it('create-admin stores an argon2id hash, prints like the guide, and refuses duplicates', async () => {
    const email = `admin-${crypto.randomUUID()}@example.com`;
    const out = await ok(
      ['create-admin', '--email', email, '--name', 'System Administrator', '--role', 'super_admin', '--password-stdin'],
      'YourSecurePassword123!\n',
    );
    const match = new RegExp(
      `^✅ Admin user created: ${email}\\n   User ID: (${UUID})\\n   Role: super_admin\\n$`,
    ).exec(out);
    expect(match).not.toBeNull();
    const [row] = await t.db.query('SELECT email, full_name, role, password_hash FROM admin_users WHERE id = $1', [
      match![1],
    ]);
    expect(row).toMatchObject({ email, full_name: 'System Administrator', role: 'super_admin' });
    expect(row.password_hash).toMatch(/^\$argon2id\$/);

    const other = `viewer-${crypto.randomUUID()}@example.com`;
    const upper = email.toUpperCase();
    const [asJson, duplicate, short, noTerminal] = await Promise.all([
      ok(['create-admin', '--email', other, '--name', 'V', '--password-stdin', '--json'], 'a long enough password'),
      fails(['create-admin', '--email', upper, '--name', 'Again', '--password-stdin'], 'another long password'),
      fails(['create-admin', '--email', 'x@example.com', '--name', 'X', '--password-stdin'], 'short'),
      fails(['create-admin', '--email', 'x@example.com', '--name', 'X']),
    ]);
    expect(JSON.parse(asJson)).toEqual({
      id: expect.stringMatching(new RegExp(`^${UUID}$`)),
      email: other,
      full_name: 'V',
      role: 'admin',
      is_active: true,
      created_at: expect.any(String),
    });
    expect(duplicate).toBe(`error: An admin user with email ${upper} already exists`);
    expect(short).toBe('error: Password too short: at least 12 characters');
    expect(noTerminal).toBe('error: No terminal to prompt for the password on: pipe it in and pass --password-stdin');
  });

  it("key create prints the guide's Step 3 block; the key authenticates; key revoke stops it on the next request", async () => {
    const out = await ok([
      'key',
      'create',
      '--name',
      'Production Agent',
      '--created-by',
      adminEmail,
      '--env',
      'test',
      '--description',
      'Main CIRIS Agent',
      '--permission',
      'billing:read',
      '--permission',
      'billing:write',
    ]);
    const block = new RegExp(
      [
        `^${RULE}`,
        '⚠️  API KEY GENERATED - SAVE THIS NOW!',
        RULE,
        `Key ID:      (${UUID})`,
        'Name:        Production Agent',
        'Environment: test',
        'Permissions: billing:read, billing:write',
        'Expires:     (\\S+) \\(default lifetime: 90 days, API_KEY_DEFAULT_EXPIRY_DAYS\\)',
        '',
        'API Key \\(SAVE THIS - shown only once\\):',
        `  (${KEY})`,
        RULE,
        '',
        '⚠️  Store this key securely. You will not be able to see it again!\\n$',
      ].join('\\n'),
    ).exec(out);
    expect(block).not.toBeNull();
    const [, keyId, expires, plaintext] = block!;
    expect(plaintext.startsWith('cbk_test_')).toBe(true);
    expect(Math.abs(Date.parse(expires) - Date.now() - 90 * 86_400_000)).toBeLessThan(60_000);
    const [row] = await t.db.query('SELECT key_hash, key_prefix, description FROM api_keys WHERE id = $1', [keyId]);
    expect(row.key_hash).not.toContain(plaintext);
    expect(plaintext.startsWith(row.key_prefix)).toBe(true);
    expect(row.description).toBe('Main CIRIS Agent');

    const res = await check(plaintext); // now cached by the app
    expect(res.status).toBe(200);
    expect(res.body.has_credit).toBe(true);

    expect(await ok(['key', 'revoke', keyId])).toMatch(
      new RegExp(`^✅ API key revoked: ${keyId} \\(Production Agent, cbk_test_[0-9A-Za-z]{4}\\.\\.\\.\\)\\n$`),
    );
    await eventually401(plaintext, 'Authentication failed: API key revoked');
    const [revoked] = await t.db.query('SELECT status, revoked_at FROM api_keys WHERE id = $1', [keyId]);
    expect(revoked.status).toBe('revoked');
    expect(revoked.revoked_at).not.toBeNull();
    expect(await ok(['key', 'revoke', keyId])).toBe(`API key ${keyId} (Production Agent) was already revoked\n`);
  });

  it('refuses unknown permissions (listing the valid ones), unknown admins and unknown key ids', async () => {
    const id = crypto.randomUUID();
    const results = await Promise.all([
      fails([
        'key',
        'create',
        '--name',
        'x',
        '--created-by',
        adminEmail,
        '--permission',
        'billing:read',
        '--permission',
        'billing:raed',
      ]),
      fails(['key', 'create', '--name', 'x', '--created-by', 'nobody@example.com']),
      fails(['key', 'rotate', id]),
    ]);
    expect(results).toEqual([
      'error: Unknown permission(s): billing:raed. Valid permissions: billing:read, billing:write, billing:admin, analytics:read',
      'error: Admin user not found: nobody@example.com',
      `error: API key not found: ${id}`,
    ]);
  });

  it('key create --expires-in-days is honoured at request time', async () => {
    const key = await createKey(
      '--env',
      'test',
      '--expires-in-days',
      '1',
      '--permission',
      'billing:read,analytics:read',
    );
    expect(key).toMatchObject({
      environment: 'test',
      status: 'active',
      permissions: ['billing:read', 'analytics:read'],
      lifetime: { source: 'requested', days: 1 },
    });
    expect(
      Math.abs(Date.parse(String((key as Record<string, unknown>).expires_at)) - Date.now() - 86_400_000),
    ).toBeLessThan(60_000);
    expect((await check(key.plaintext_key)).status).toBe(200);
    t.clock.advance(2 * 86_400_000);
    const res = await check(key.plaintext_key);
    expect(res.status).toBe(401);
    expect(res.body.detail).toBe('Authentication failed: API key expired');
  });

  it('key rotate keeps the old key working through the grace period, then refuses it', async () => {
    const old = await serviceKey();
    const out = await ok(['key', 'rotate', old.key_id]);
    const match = new RegExp(
      `^${RULE}\\n⚠️  API KEY ROTATED - SAVE THE NEW KEY NOW!\\n${RULE}\\nKey ID:      (${UUID})\\nName:        CLI Agent\\n` +
        `Environment: test\\nPermissions: billing:read, billing:write\\n` +
        `Expires:     \\S+ \\(90 days, like the key it replaces\\)\\n\\nAPI Key \\(SAVE THIS - shown only once\\):\\n  (${KEY})\\n` +
        `${RULE}\\n\\n⚠️  Store this key securely. You will not be able to see it again!\\n\\n` +
        `Old key ${old.key_id} keeps working until (\\S+) \\(grace period 24 h\\), then is revoked\\.\\n$`,
    ).exec(out);
    expect(match).not.toBeNull();
    const [, newId, newKey, until] = match!;
    expect(Math.abs(Date.parse(until) - Date.now() - 24 * 3_600_000)).toBeLessThan(60_000);

    expect((await check(old.plaintext_key)).status).toBe(200);
    expect((await check(newKey)).status).toBe(200);
    t.clock.advance(23 * 3_600_000);
    expect((await check(old.plaintext_key)).status).toBe(200);
    t.clock.advance(2 * 3_600_000);
    const res = await check(old.plaintext_key);
    expect(res.status).toBe(401);
    expect(res.body.detail).toBe('Authentication failed: API key revoked');
    expect((await check(newKey)).status).toBe(200);

    const [again, listed] = await Promise.all([
      fails(['key', 'rotate', old.key_id]),
      json<Array<{ key_id: string; status: string; rotated_to: string | null }>>(['key', 'list', '--env', 'test']),
    ]);
    expect(again).toBe(`error: API key ${old.key_id} is rotating and cannot be rotated`);
    expect(listed.find((k) => k.key_id === old.key_id)).toMatchObject({ status: 'rotating', rotated_to: newId });
    expect(listed.find((k) => k.key_id === newId)).toMatchObject({ status: 'active' });
  });

  it('key rotate --grace-period-hours 0 revokes the old key at once; a revoked key cannot be rotated', async () => {
    const old = await serviceKey();
    expect((await check(old.plaintext_key)).status).toBe(200);
    const rotated = await json<{
      key_id: string;
      plaintext_key: string;
      rotated_from: { key_id: string; status: string };
    }>(['key', 'rotate', old.key_id, '--grace-period-hours', '0']);
    expect(rotated.plaintext_key).toMatch(new RegExp(`^${KEY}$`));
    expect(rotated.rotated_from).toMatchObject({ key_id: old.key_id, status: 'revoked' });
    await eventually401(old.plaintext_key, 'Authentication failed: API key revoked');
    expect((await check(rotated.plaintext_key)).status).toBe(200);
    expect(await fails(['key', 'rotate', old.key_id])).toBe(
      `error: API key ${old.key_id} is revoked and cannot be rotated`,
    );
  });

  it('key list shows last_used_at within seconds of use, filters, and never shows a key or hash', async () => {
    const key = await serviceKey();
    const usedAt = Date.now();
    expect((await check(key.plaintext_key)).status).toBe(200);
    // The app writes buffered uses every LAST_USED_FLUSH_INTERVAL_MS (200 ms here).
    const deadline = Date.now() + 3_000;
    while (Date.now() < deadline) {
      const [row] = await t.db.query('SELECT last_used_at FROM api_keys WHERE id = $1', [key.key_id]);
      if (row.last_used_at) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const [asJson, table, unused] = await Promise.all([
      ok(['key', 'list', '--env', 'test', '--status', 'active', '--json']),
      ok(['key', 'list', '--env', 'test']),
      json<Array<{ key_id: string }>>(['key', 'list', '--unused-for-days', '1']),
    ]);
    const listed = JSON.parse(asJson) as Array<Record<string, unknown>>;
    const mine = listed.find((k) => k.key_id === key.key_id)!;
    expect(mine).toMatchObject({
      name: 'CLI Agent',
      environment: 'test',
      status: 'active',
      key_prefix: key.plaintext_key.slice(0, 13),
    });
    const lastUsed = Date.parse(String(mine.last_used_at));
    expect(Math.abs(lastUsed - usedAt)).toBeLessThan(5_000);
    expect(listed.every((k) => k.environment === 'test' && k.status === 'active')).toBe(true);
    expect(Object.keys(mine).some((k) => k.includes('hash') || k === 'plaintext_key')).toBe(false);
    expect(asJson).not.toContain(key.plaintext_key);

    expect(table).toMatch(/^KEY ID +NAME +PREFIX +ENV +STATUS +PERMISSIONS +CREATED +EXPIRES +LAST USED\n/);
    expect(table).toMatch(
      new RegExp(`\\n${key.key_id}  CLI Agent .* ${new Date(lastUsed).toISOString().slice(0, 19)}Z\\n`),
    );
    expect(table).not.toContain(key.plaintext_key);
    expect(unused.map((k) => k.key_id)).not.toContain(key.key_id);
  });
  it('key create --rate-limit-per-minute and --expires-in-days never; key update applies on the running app at once', async () => {
    const help = await ok(['key', 'create', '--help']);
    expect(help).toContain('--rate-limit-per-minute <n>');
    expect(help).toMatch(
      /--expires-in-days <days\|never>\s+Expire the key after N days, or "never"\s+\(default:\s+API_KEY_DEFAULT_EXPIRY_DAYS/,
    );
    const forever = await ok([
      'key',
      'create',
      '--name',
      'Forever',
      '--created-by',
      adminEmail,
      '--env',
      'test',
      '--expires-in-days',
      'never',
    ]);
    expect(forever).toContain('\nExpires:     never (requested)\n');

    const key = await createKey('--env', 'test', '--rate-limit-per-minute', '2');
    expect(key).toMatchObject({ rate_limit_per_minute: 2, lifetime: { source: 'default', days: 90 } });
    expect([(await check(key.plaintext_key)).status, (await check(key.plaintext_key)).status]).toEqual([200, 200]);
    expect((await check(key.plaintext_key)).status).toBe(429);

    const out = await ok([
      'key',
      'update',
      key.key_id,
      '--rate-limit-per-minute',
      '10',
      '--name',
      'Renamed Agent',
      '--expires-in-days',
      '30',
    ]);
    expect(out).toMatch(
      new RegExp(
        `^✅ API key updated: ${key.key_id} \\(Renamed Agent\\)\\n` +
          '   Name: +CLI Agent → Renamed Agent\\n' +
          '   Description: +- \\(unchanged\\)\\n' +
          '   Rate limit: +2/min → 10/min\\n' +
          '   Expires: +\\S+ → \\S+\\n$',
      ),
    );
    // The app (another process) hears the change by NOTIFY and applies the new limit at once.
    const deadline = Date.now() + 2_000;
    let res = await check(key.plaintext_key);
    while (res.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      res = await check(key.plaintext_key);
    }
    expect(res.status).toBe(200);
    const listed = await json<{
      name: string;
      rate_limit_per_minute: number;
      expires_at: string;
      previous: { name: string };
    }>(['key', 'update', key.key_id, '--rate-limit-per-minute', 'none']);
    expect(listed).toMatchObject({
      name: 'Renamed Agent',
      rate_limit_per_minute: null,
      previous: { name: 'Renamed Agent' },
    });
    expect(Math.abs(Date.parse(listed.expires_at) - Date.now() - 30 * 86_400_000)).toBeLessThan(60_000);

    const unknown = crypto.randomUUID();
    expect(
      await Promise.all([
        fails(['key', 'update', key.key_id]),
        fails(['key', 'update', unknown, '--name', 'x']),
        fails(['key', 'update', key.key_id, '--rate-limit-per-minute', '0']),
        fails(['key', 'create', '--name', 'x', '--created-by', adminEmail, '--expires-in-days', 'soon']),
      ]),
    ).toEqual([
      'error: Nothing to change: pass --name, --description, --rate-limit-per-minute or --expires-in-days',
      `error: API key not found: ${unknown}`,
      'error: Invalid value for --rate-limit-per-minute: "0" (expected a whole number from 1 to 1000000)',
      'error: Invalid value for --expires-in-days: "soon" (expected a whole number of days from 1 to 36500, or never)',
    ]);
  });
});
