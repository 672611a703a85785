import request from 'supertest';
import { generateApiKey } from '../src/common/crypto/api-key-token.js';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';

const CHECK = '/v1/billing/credits/check';
const HOUR = 3_600_000;

describe('API-key authentication and permissions (SPEC §2)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.clock.reset());
  afterAll(() => t.close());

  const expect401 = (res: request.Response, detail: string, code: string): void => {
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail, code });
    expect(res.headers['www-authenticate']).toBe('ApiKey');
  };

  it('rejects a request without the header, exactly as the guide shows', async () => {
    const res = await request(t.http).post(CHECK).send(newUser());
    expect401(res, 'Missing required header X-API-Key', 'missing_api_key');
  });

  it('rejects an empty header as missing', async () => {
    const res = await request(t.http).post(CHECK).set('X-API-Key', '').send(newUser());
    expect401(res, 'Missing required header X-API-Key', 'missing_api_key');
  });

  it.each([
    ['the guide example (malformed)', 'cbk_live_8f4d9c2a1b7e5f3g6h8j9k0m2n4p5q7r8s9t0u1v2w3x4y5z6'],
    ['garbage', 'not-a-key'],
    ['a well-formed key that was never issued', generateApiKey('live')],
  ])('rejects %s as invalid', async (_label, key) => {
    const res = await request(t.http).post(CHECK).set('X-API-Key', key).send(newUser());
    expect401(res, 'Authentication failed: Invalid API key', 'invalid_api_key');
  });

  it('rejects a key with a bad checksum or extra spaces', async () => {
    const { plaintextKey } = await t.createKey();
    const typo = plaintextKey.slice(0, 20) + (plaintextKey[20] === 'a' ? 'b' : 'a') + plaintextKey.slice(21);
    for (const bad of [typo, plaintextKey.slice(0, -1), `${plaintextKey}x`]) {
      const res = await request(t.http).post(CHECK).set('X-API-Key', bad).send(newUser());
      expect401(res, 'Authentication failed: Invalid API key', 'invalid_api_key');
    }
  });

  it('authenticates before validating the body: bad key + bad body is 401', async () => {
    const res = await request(t.http)
      .post('/v1/billing/charges')
      .set('X-API-Key', 'nope')
      .set('Content-Type', 'application/json')
      .send('{not json');
    expect401(res, 'Authentication failed: Invalid API key', 'invalid_api_key');
    const missing = await request(t.http).post('/v1/billing/charges').send({ amount_minor: 'x' });
    expect401(missing, 'Missing required header X-API-Key', 'missing_api_key');
  });

  it('rejects an expired key by the clock at request time', async () => {
    const { plaintextKey } = await t.createKey({ expiresInDays: 1 });
    const ok = await request(t.http).post(CHECK).set('X-API-Key', plaintextKey).send(newUser());
    expect(ok.status).toBe(200);
    t.clock.advance(25 * HOUR);
    const res = await request(t.http).post(CHECK).set('X-API-Key', plaintextKey).send(newUser());
    expect401(res, 'Authentication failed: API key expired', 'api_key_expired');
  });

  it('rejects a revoked key on the very next request', async () => {
    const key = await t.createKey();
    const ok = await request(t.http).post(CHECK).set('X-API-Key', key.plaintextKey).send(newUser());
    expect(ok.status).toBe(200);
    await t.keys.revokeApiKey(key.keyId);
    const res = await request(t.http).post(CHECK).set('X-API-Key', key.plaintextKey).send(newUser());
    expect401(res, 'Authentication failed: API key revoked', 'api_key_revoked');
  });

  it('sees a revocation written by another process (NOTIFY) on the next request', async () => {
    const key = await t.createKey();
    expect((await request(t.http).post(CHECK).set('X-API-Key', key.plaintextKey).send(newUser())).status).toBe(200);
    // Another replica / the CLI: a plain SQL update plus NOTIFY, bypassing this process's service.
    await t.db.transaction(async (m) => {
      await m.query(`UPDATE api_keys SET status = 'revoked', revoked_at = now() WHERE id = $1`, [key.keyId]);
      await m.query(`SELECT pg_notify('api_key_changed', $1)`, [key.keyId]);
    });
    let status = 0;
    for (let i = 0; i < 40 && status !== 401; i++) {
      status = (await request(t.http).post(CHECK).set('X-API-Key', key.plaintextKey).send(newUser())).status;
      if (status !== 401) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(401);
  });

  it('keeps a rotated key working through the grace period, then revokes it', async () => {
    const old = await t.createKey({ name: 'Rotating Agent', permissions: ['billing:read'] });
    const fresh = await t.keys.rotateApiKey(old.keyId, { gracePeriodHours: 24 });
    expect(fresh.name).toBe('Rotating Agent');
    expect(fresh.environment).toBe(old.environment);
    expect(fresh.permissions).toEqual(['billing:read']);
    expect(fresh.plaintextKey).not.toBe(old.plaintextKey);

    t.clock.advance(23 * HOUR);
    for (const k of [old.plaintextKey, fresh.plaintextKey]) {
      expect((await request(t.http).post(CHECK).set('X-API-Key', k).send(newUser())).status).toBe(200);
    }
    t.clock.advance(2 * HOUR);
    const res = await request(t.http).post(CHECK).set('X-API-Key', old.plaintextKey).send(newUser());
    expect401(res, 'Authentication failed: API key revoked', 'api_key_revoked');
    expect((await request(t.http).post(CHECK).set('X-API-Key', fresh.plaintextKey).send(newUser())).status).toBe(200);
  });

  it('revokes at once when rotated with a zero grace period, and refuses to rotate it again', async () => {
    const old = await t.createKey();
    await t.keys.rotateApiKey(old.keyId, { gracePeriodHours: 0 });
    const res = await request(t.http).post(CHECK).set('X-API-Key', old.plaintextKey).send(newUser());
    expect401(res, 'Authentication failed: API key revoked', 'api_key_revoked');
    await expect(t.keys.rotateApiKey(old.keyId)).rejects.toMatchObject({ code: 'key_not_rotatable' });
  });

  it('a revocation racing a rotation always wins: the old key ends revoked', async () => {
    for (let i = 0; i < 5; i++) {
      const key = await t.createKey();
      const [revoked] = await Promise.allSettled([t.keys.revokeApiKey(key.keyId), t.keys.rotateApiKey(key.keyId)]);
      expect(revoked.status).toBe('fulfilled');
      expect((await t.keys.getApiKey(key.keyId)).status).toBe('revoked');
      const res = await request(t.http).post(CHECK).set('X-API-Key', key.plaintextKey).send(newUser());
      expect(res.status).toBe(401);
    }
  });

  it('answers 403 with the missing permission', async () => {
    const readOnly = await t.createKey({ permissions: ['billing:read'] });
    const user = newUser();
    const res = await request(t.http)
      .post('/v1/billing/charges')
      .set('X-API-Key', readOnly.plaintextKey)
      .send({ ...user, amount_minor: 1, currency: 'USD', description: 'x' });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ detail: 'Missing required permission: billing:write', code: 'permission_denied' });

    const writeOnly = await t.createKey({ permissions: ['billing:write'] });
    const check = await request(t.http).post(CHECK).set('X-API-Key', writeOnly.plaintextKey).send(user);
    expect(check.status).toBe(403);
    expect(check.body.detail).toBe('Missing required permission: billing:read');
  });

  it('refuses to mint keys with unknown permissions', async () => {
    await expect(t.createKey({ permissions: ['billing:everything'] })).rejects.toMatchObject({
      code: 'invalid_permission',
    });
  });

  it('stores only a hash and a display prefix', async () => {
    const key = await t.createKey({ environment: 'live' });
    const rows: Array<{ key_prefix: string; key_hash: string; status: string }> = await t.db.query(
      `SELECT key_prefix, key_hash, status FROM api_keys WHERE id = $1`,
      [key.keyId],
    );
    expect(rows[0].key_prefix).toBe(key.plaintextKey.slice(0, 13));
    expect(rows[0].key_prefix.startsWith('cbk_live_')).toBe(true);
    expect(rows[0].key_hash).not.toContain(key.plaintextKey.slice(9));
    // The guide's troubleshooting query works.
    const byPrefix: Array<{ status: string }> = await t.db.query(`SELECT status FROM api_keys WHERE key_prefix = $1`, [
      rows[0].key_prefix,
    ]);
    expect(byPrefix.map((r) => r.status)).toContain('active');
  });

  it('records last use without a write per request', async () => {
    const key = await t.createKey();
    for (let i = 0; i < 5; i++) {
      await request(t.http).post(CHECK).set('X-API-Key', key.plaintextKey).send(newUser());
    }
    const before = await t.keys.getApiKey(key.keyId);
    expect(before.lastUsedAt).toBeNull();
    await t.app.get((await import('../src/api-keys/api-key-verifier.js')).ApiKeyVerifier).flushLastUses();
    const after = await t.keys.getApiKey(key.keyId);
    expect(after.lastUsedAt).not.toBeNull();
    expect(Math.abs(after.lastUsedAt!.getTime() - Date.now())).toBeLessThan(10_000);
  });

  it('keeps public routes public', async () => {
    expect((await request(t.http).get('/')).body).toEqual({
      service: 'CIRIS Billing',
      version: '1.0.0',
      status: 'running',
    });
    expect((await request(t.http).get('/health')).body).toEqual({ status: 'healthy', database: 'connected' });
  });
});

describe('per-key rate limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('answers 429 past the key’s requests per minute; other keys are unaffected', async () => {
    const limited = await t.createKey({ rateLimitPerMinute: 3 });
    const other = await t.createKey();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await request(t.http).post(CHECK).set('X-API-Key', limited.plaintextKey).send(newUser())).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const res = await request(t.http).post(CHECK).set('X-API-Key', limited.plaintextKey).send(newUser());
    expect(res.body).toEqual({
      detail: 'Rate limit exceeded: 3 requests per minute for this API key',
      code: 'rate_limited',
      limit_per_minute: 3,
      retry_after_seconds: Number(res.headers['retry-after']),
    });
    // When the minute's window frees a request: between 1 and 60 seconds from now.
    const retryAfter = Number(res.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect((await request(t.http).post(CHECK).set('X-API-Key', other.plaintextKey).send(newUser())).status).toBe(200);
  });
});
