import request from 'supertest';
import { metricValue } from './utils/redis.js';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';

/** Expiry policy (default lifetime, maximum) and the warnings before a key stops working. */
const DAY = 86_400_000;
const HOUR = 3_600_000;
const CHECK = '/v1/billing/credits/check';

describe('API key expiry policy and warnings', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      API_KEY_DEFAULT_EXPIRY_DAYS: '90',
      API_KEY_EXPIRY_WARNING_DAYS: '14',
      API_KEY_MAX_EXPIRY_DAYS: '',
    });
  });
  afterEach(() => t.clock.reset());
  afterAll(() => t.close());

  const check = (key: string) => request(t.http).post(CHECK).set('X-API-Key', key).send(newUser());

  it('new keys expire after API_KEY_DEFAULT_EXPIRY_DAYS unless another lifetime or none is asked for', async () => {
    t.clock.advance(5 * DAY); // the service's clock, not the machine's
    const now = t.clock.now().getTime();
    const byDefault = await t.createKey();
    expect(byDefault.expiresAt!.getTime()).toBeGreaterThanOrEqual(now + 90 * DAY);
    expect(byDefault.expiresAt!.getTime()).toBeLessThan(now + 90 * DAY + 60_000);
    expect(byDefault.lifetime).toEqual({ source: 'default', days: 90 });
    const short = await t.createKey({ expiresInDays: 7 });
    expect(short.expiresAt!.getTime()).toBeGreaterThanOrEqual(now + 7 * DAY);
    expect(short.expiresAt!.getTime()).toBeLessThan(now + 7 * DAY + 60_000);
    expect(short.lifetime).toEqual({ source: 'requested', days: 7 });
    const forever = await t.createKey({ expiresInDays: null });
    expect(forever.expiresAt).toBeNull();
    expect(forever.lifetime).toEqual({ source: 'requested', days: null });
  });

  it('warns from API_KEY_EXPIRY_WARNING_DAYS before expiry: header on every response, GET /v1/billing/key, gauge', async () => {
    const key = await t.createKey({ expiresInDays: 30 });
    const quiet = await check(key.plaintextKey);
    expect(quiet.status).toBe(200);
    expect(quiet.headers['x-api-key-expires-at']).toBeUndefined();
    const info = await request(t.http).get('/v1/billing/key').set('X-API-Key', key.plaintextKey);
    expect(info.body).toMatchObject({
      key_id: key.keyId,
      status: 'active',
      expires_at: key.expiresAt!.toISOString(),
      stops_working_at: key.expiresAt!.toISOString(),
      expires_soon: false,
    });

    t.clock.advance(17 * DAY); // 13 days left
    const warned = await check(key.plaintextKey);
    expect(warned.status).toBe(200);
    expect(warned.headers['x-api-key-expires-at']).toBe(key.expiresAt!.toISOString());
    const soon = await request(t.http).get('/v1/billing/key').set('X-API-Key', key.plaintextKey);
    expect(soon.headers['x-api-key-expires-at']).toBe(key.expiresAt!.toISOString());
    expect(soon.body).toMatchObject({ stops_working_at: key.expiresAt!.toISOString(), expires_soon: true });
    // Errors carry it too: an agent sees it whatever it calls.
    const missing = await request(t.http)
      .get('/v1/billing/accounts/oauth:google/nobody')
      .set('X-API-Key', key.plaintextKey);
    expect(missing.status).toBe(404);
    expect(missing.headers['x-api-key-expires-at']).toBe(key.expiresAt!.toISOString());
    // The gauge uses the service's clock as well (other test files' keys may count too).
    expect(await metricValue(t, 'billing_api_keys_expiring', { environment: 'test' })).toBeGreaterThanOrEqual(1);

    t.clock.advance(14 * DAY);
    expect((await check(key.plaintextKey)).status).toBe(401);
  });

  it('a rotating key warns with the end of its grace period; its successor does not', async () => {
    const old = await t.createKey();
    const fresh = await t.keys.rotateApiKey(old.keyId, { gracePeriodHours: 48 });
    const graceEnd = (await t.keys.getApiKey(old.keyId)).gracePeriodUntil!;
    const res = await check(old.plaintextKey);
    expect(res.status).toBe(200);
    expect(res.headers['x-api-key-expires-at']).toBe(graceEnd.toISOString());
    const info = await request(t.http).get('/v1/billing/key').set('X-API-Key', old.plaintextKey);
    expect(info.body).toMatchObject({
      status: 'rotating',
      grace_period_until: graceEnd.toISOString(),
      stops_working_at: graceEnd.toISOString(),
      expires_soon: true,
    });
    expect((await check(fresh.plaintextKey)).headers['x-api-key-expires-at']).toBeUndefined();
    // The successor keeps the old key's lifetime (90 days by default), counted from the rotation.
    expect(fresh.expiresAt!.getTime() - t.clock.now().getTime()).toBeGreaterThan(89 * DAY);
    t.clock.advance(49 * HOUR);
    expect((await check(old.plaintextKey)).status).toBe(401);
  });

  it('update changes name, description, limit and expiry; in effect at the next request', async () => {
    const key = await t.createKey({ name: 'Before' });
    expect((await check(key.plaintextKey)).status).toBe(200);
    const before = await t.keys.getApiKey(key.keyId);
    const after = await t.keys.updateApiKey(key.keyId, {
      name: 'After',
      description: 'moved',
      rateLimitPerMinute: 1,
      expiresInDays: 3,
    });
    expect(before).toMatchObject({ name: 'Before', rateLimitPerMinute: null });
    expect(after).toMatchObject({ name: 'After', description: 'moved', rateLimitPerMinute: 1 });
    expect(Math.abs(after.expiresAt!.getTime() - t.clock.now().getTime() - 3 * DAY)).toBeLessThan(60_000);
    expect((await check(key.plaintextKey)).status).toBe(200);
    const limited = await check(key.plaintextKey);
    expect(limited.status).toBe(429);
    expect(limited.headers['x-api-key-expires-at']).toBe(after.expiresAt!.toISOString());
    const cleared = await t.keys.updateApiKey(key.keyId, { rateLimitPerMinute: null, expiresInDays: null });
    expect(cleared).toMatchObject({ rateLimitPerMinute: null, expiresAt: null });
    await t.keys.revokeApiKey(key.keyId);
    await expect(t.keys.updateApiKey(key.keyId, { name: 'x' })).rejects.toMatchObject({
      code: 'api_key_not_updatable',
    });
  });
});

describe('API_KEY_MAX_EXPIRY_DAYS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ API_KEY_DEFAULT_EXPIRY_DAYS: '90', API_KEY_MAX_EXPIRY_DAYS: '180' });
  });
  afterAll(() => t.close());

  it('refuses longer lifetimes and keys that never expire, at creation and update', async () => {
    await expect(t.createKey({ expiresInDays: 181 })).rejects.toMatchObject({ code: 'api_key_lifetime_too_long' });
    await expect(t.createKey({ expiresInDays: null })).rejects.toMatchObject({
      code: 'api_key_lifetime_too_long',
      message: 'API keys may live at most 180 days (API_KEY_MAX_EXPIRY_DAYS): a key that never expires is refused',
    });
    const ok = await t.createKey({ expiresInDays: 180 });
    await expect(t.keys.updateApiKey(ok.keyId, { expiresInDays: null })).rejects.toMatchObject({
      code: 'api_key_lifetime_too_long',
    });
    await expect(t.keys.updateApiKey(ok.keyId, { expiresInDays: 200 })).rejects.toMatchObject({
      code: 'api_key_lifetime_too_long',
    });
    expect((await t.keys.getApiKey(ok.keyId)).expiresAt!.getTime()).toBe(ok.expiresAt!.getTime());
  });
});
