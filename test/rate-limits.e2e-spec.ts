import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import request from 'supertest';
import { generateApiKey } from '../src/common/crypto/api-key-token.js';
import { MetricsService } from '../src/common/metrics/metrics.service.js';
import { BuiltServer, send } from './utils/built-server.js';
import { freePort, TcpProxy } from './utils/net.js';
import { eventually, metricValue, redisReachable, TEST_REDIS_URL, uniquePrefix } from './utils/redis.js';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';

/**
 * Per-key rate limits and the failed-auth throttle: per process without Redis, shared by every
 * replica with it, and still serving (per process) while Redis is unreachable. Redis tests run
 * against the machine's Redis under prefixes of their own, and break it only through a TCP proxy
 * of their own; they are skipped, loudly, when no Redis answers.
 */
const CHECK = '/v1/billing/credits/check';
const NO_REDIS = { REDIS_URL: '', REDIS_KEY_PREFIX: 'ciris-billing:' };
const withRedis = await redisReachable('shared rate limits across replicas (test/rate-limits.e2e-spec.ts)');
const describeRedis = withRedis ? describe : describe.skip;

const check = (t: TestApp, key: string, from?: string) => {
  const req = request(t.http).post(CHECK).set('X-API-Key', key);
  return (from ? req.set('X-Forwarded-For', from) : req).send(newUser());
};

describe('rate limits without Redis (per process)', () => {
  let t: TestApp;
  const logged: string[] = [];

  beforeAll(async () => {
    const spy = jest.spyOn(Logger.prototype, 'log').mockImplementation(function (this: Logger, message: unknown) {
      logged.push(String(message));
    });
    t = await createTestApp({
      ...NO_REDIS,
      AUTH_FAILURE_LIMIT: '3',
      AUTH_FAILURE_BLOCK_SECONDS: '1',
      TRUST_PROXY: 'loopback',
    });
    spy.mockRestore();
  });
  afterAll(() => t.close());

  it('says once at start-up that limits are per process; exports no Redis gauge', async () => {
    expect(logged.filter((m) => m.startsWith('REDIS_URL is not set'))).toHaveLength(1);
    expect(t.app.get(MetricsService).registry.getSingleMetric('billing_redis_up')).toBeUndefined();
    // The series the readiness alert (deploy/monitoring) watches.
    expect((await request(t.http).get('/health/ready')).status).toBe(200);
    expect(
      await metricValue(t, 'billing_http_requests_total', { method: 'GET', route: '/health/ready', status: '200' }),
    ).toBe(1);
  });

  it('answers 429 with Retry-After and the limit in the body past the key’s requests per minute', async () => {
    const limited = await t.createKey({ rateLimitPerMinute: 3 });
    const other = await t.createKey();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await check(t, limited.plaintextKey)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const res = await check(t, limited.plaintextKey);
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.body).toEqual({
      detail: 'Rate limit exceeded: 3 requests per minute for this API key',
      code: 'rate_limited',
      limit_per_minute: 3,
      retry_after_seconds: retryAfter,
    });
    expect((await check(t, other.plaintextKey)).status).toBe(200);
    expect(
      await metricValue(t, 'billing_rate_limit_decisions_total', { limiter: 'api_key', decision: 'rejected' }),
    ).toBe(3);
  });

  it('throttles an address after AUTH_FAILURE_LIMIT failed authentications, then lets it try again', async () => {
    const bad = generateApiKey('test');
    const from = '198.51.100.10';
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await check(t, bad, from)).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const throttled = await check(t, bad, from);
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('1');
    expect(throttled.body).toMatchObject({
      code: 'too_many_auth_failures',
      limit: 3,
      window_seconds: 60,
      retry_after_seconds: 1,
    });
    // Another address is not affected, nor (by default) a valid key from the blocked one.
    expect((await check(t, bad, '198.51.100.11')).status).toBe(401);
    const valid = await t.createKey();
    expect((await check(t, valid.plaintextKey, from)).status).toBe(200);
    // A missing header does not count: it is not someone trying keys.
    expect((await request(t.http).post(CHECK).set('X-Forwarded-For', '198.51.100.12').send(newUser())).status).toBe(
      401,
    );

    expect(await eventually(async () => (await check(t, bad, from)).status === 401, 5_000, 200)).toBe(true);
    expect(await metricValue(t, 'billing_auth_throttle_decisions_total', { decision: 'blocked' })).toBe(1);
    expect(
      await metricValue(t, 'billing_auth_throttle_decisions_total', { decision: 'refused' }),
    ).toBeGreaterThanOrEqual(1);
    expect(await metricValue(t, 'billing_auth_failures_total', { reason: 'invalid_api_key' })).toBeGreaterThanOrEqual(
      6,
    );
  });
});

describeRedis('rate limits shared through Redis', () => {
  const prefix = uniquePrefix('limits');
  // A generous command timeout: on a loaded test machine a slow reply would fall back to per-process counting.
  const redisEnv = {
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    REDIS_COMMAND_TIMEOUT_MS: '5000',
    TRUST_PROXY: 'loopback',
  };
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    const throttle = { AUTH_FAILURE_LIMIT: '4', AUTH_FAILURE_WINDOW_SECONDS: '60', AUTH_FAILURE_BLOCK_SECONDS: '2' };
    a = await createTestApp({ ...redisEnv, ...throttle });
    b = await createTestApp({ ...redisEnv, ...throttle });
    redis = new Redis(TEST_REDIS_URL);
    for (const t of [a, b])
      expect(await eventually(async () => (await metricValue(t, 'billing_redis_up')) === 1)).toBe(true);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await Promise.all([a.close(), b.close()]);
  });

  it('a key with a limit of N per minute gets exactly N successes across two instances, then 429 with Retry-After', async () => {
    const key = await a.createKey({ rateLimitPerMinute: 10 });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => check(i % 2 ? a : b, key.plaintextKey)));
    // Every decision made in Redis (a per-process fallback would let more through).
    const fallbacks = async () =>
      (await metricValue(a, 'billing_rate_limit_fallbacks_total', { limiter: 'api_key' })) +
      (await metricValue(b, 'billing_rate_limit_fallbacks_total', { limiter: 'api_key' }));
    expect({ ok: results.filter((r) => r.status === 200).length, fallbacks: await fallbacks() }).toEqual({
      ok: 10,
      fallbacks: 0,
    });
    const refused = results.filter((r) => r.status === 429);
    expect(refused).toHaveLength(20);
    for (const r of refused) {
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(r.body).toMatchObject({ code: 'rate_limited', limit_per_minute: 10 });
    }
    expect(await redis.get(`${prefix}rl:api_key:${key.keyId}`)).toBe('30');
    // Keys without a limit never touch Redis.
    const free = await a.createKey();
    expect((await check(a, free.plaintextKey)).status).toBe(200);
    expect(await redis.exists(`${prefix}rl:api_key:${free.keyId}`)).toBe(0);
  });

  it('a changed limit applies on every instance at the next request', async () => {
    const key = await a.createKey({ rateLimitPerMinute: 2 });
    expect([(await check(a, key.plaintextKey)).status, (await check(b, key.plaintextKey)).status]).toEqual([200, 200]);
    expect((await check(b, key.plaintextKey)).status).toBe(429);
    await a.keys.updateApiKey(key.keyId, { rateLimitPerMinute: 5 });
    // b hears the change by NOTIFY: its cached record (limit 2) is dropped.
    expect(await eventually(async () => (await check(b, key.plaintextKey)).status === 200, 2_000)).toBe(true);
  });

  it('counts failed authentications per address across instances and blocks the address on both', async () => {
    const bad = generateApiKey('test');
    const from = '203.0.113.7';
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await check(i % 2 ? a : b, bad, from)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    expect((await check(a, bad, from)).status).toBe(429);
    expect((await check(b, bad, from)).status).toBe(429);
    expect((await check(a, bad, '203.0.113.8')).status).toBe(401);
    const valid = await a.createKey();
    expect((await check(b, valid.plaintextKey, from)).status).toBe(200);
    // The block (2 s) ends by itself on both.
    expect(await eventually(async () => (await check(a, bad, from)).status === 401, 6_000, 200)).toBe(true);
    const blocked =
      (await metricValue(a, 'billing_auth_throttle_decisions_total', { decision: 'blocked' })) +
      (await metricValue(b, 'billing_auth_throttle_decisions_total', { decision: 'blocked' }));
    expect(blocked).toBe(1);
  });

  it('with AUTH_FAILURE_BLOCK_VALID_KEYS a blocked address is refused outright, on every instance', async () => {
    const strictEnv = {
      ...redisEnv,
      REDIS_KEY_PREFIX: `${prefix}strict:`,
      AUTH_FAILURE_LIMIT: '2',
      AUTH_FAILURE_BLOCK_SECONDS: '30',
      AUTH_FAILURE_BLOCK_VALID_KEYS: 'true',
    };
    const s1 = await createTestApp(strictEnv);
    const s2 = await createTestApp(strictEnv);
    try {
      for (const t of [s1, s2])
        expect(await eventually(async () => (await metricValue(t, 'billing_redis_up')) === 1)).toBe(true);
      const valid = await s1.createKey();
      const from = '203.0.113.50';
      expect((await check(s2, valid.plaintextKey, from)).status).toBe(200);
      const bad = generateApiKey('test');
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await check(s1, bad, from)).status);
      expect(statuses).toEqual([401, 401, 429]);
      expect((await check(s1, valid.plaintextKey, from)).status).toBe(429);
      // s2 learns of the block by pub/sub, without a Redis round trip per request.
      expect(await eventually(async () => (await check(s2, valid.plaintextKey, from)).status === 429, 2_000)).toBe(
        true,
      );
      expect((await check(s2, valid.plaintextKey, '203.0.113.51')).status).toBe(200);
      expect(
        await metricValue(s2, 'billing_auth_throttle_decisions_total', { decision: 'refused_valid_key' }),
      ).toBeGreaterThanOrEqual(1);
    } finally {
      await Promise.all([s1.close(), s2.close()]);
    }
  });

  it('keeps serving while Redis is unreachable, counting per process, and recovers by itself', async () => {
    const proxy = new TcpProxy('127.0.0.1', Number(new URL(TEST_REDIS_URL).port || 6379));
    await proxy.start();
    const url = new URL(TEST_REDIS_URL);
    url.port = String(proxy.port);
    const p = uniquePrefix('outage');
    const t = await createTestApp({ REDIS_URL: url.toString(), REDIS_KEY_PREFIX: p, REDIS_COMMAND_TIMEOUT_MS: '2000' });
    try {
      expect(await eventually(async () => (await metricValue(t, 'billing_redis_up')) === 1)).toBe(true);
      const key = await t.createKey({ rateLimitPerMinute: 3 });
      expect((await check(t, key.plaintextKey)).status).toBe(200);
      expect(await redis.get(`${p}rl:api_key:${key.keyId}`)).toBe('1');

      await proxy.stop();
      expect(await eventually(async () => (await metricValue(t, 'billing_redis_up')) === 0)).toBe(true);
      const during: number[] = [];
      for (let i = 0; i < 5; i++) during.push((await check(t, key.plaintextKey)).status);
      // The per-process fallback starts its own count: 3 more, then 429; never an error.
      expect(during).toEqual([200, 200, 200, 429, 429]);
      expect(await metricValue(t, 'billing_rate_limit_fallbacks_total', { limiter: 'api_key' })).toBe(5);
      expect((await request(t.http).get('/health/ready')).status).toBe(200);

      await proxy.start();
      expect(await eventually(async () => (await metricValue(t, 'billing_redis_up')) === 1, 15_000)).toBe(true);
      expect((await check(t, key.plaintextKey)).status).toBe(200);
      expect(await redis.get(`${p}rl:api_key:${key.keyId}`)).toBe('2');
      expect(await metricValue(t, 'billing_rate_limit_fallbacks_total', { limiter: 'api_key' })).toBe(5);
    } finally {
      await t.close();
      await proxy.stop();
      const keys = await redis.keys(`${p}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
  });
});

describeRedis('Redis unreachable at start-up', () => {
  it('starts anyway, serves per process, and switches to Redis once it is reachable', async () => {
    const proxy = new TcpProxy('127.0.0.1', Number(new URL(TEST_REDIS_URL).port || 6379));
    proxy.port = await freePort(); // nothing listens there yet
    const url = new URL(TEST_REDIS_URL);
    url.port = String(proxy.port);
    const p = uniquePrefix('late');
    const t = await createTestApp({ REDIS_URL: url.toString(), REDIS_KEY_PREFIX: p, REDIS_COMMAND_TIMEOUT_MS: '250' });
    const redis = new Redis(TEST_REDIS_URL);
    try {
      expect(await metricValue(t, 'billing_redis_up')).toBe(0);
      const key = await t.createKey({ rateLimitPerMinute: 5 });
      expect((await check(t, key.plaintextKey)).status).toBe(200);
      expect(await metricValue(t, 'billing_rate_limit_fallbacks_total', { limiter: 'api_key' })).toBe(1);
      await proxy.start();
      expect(await eventually(async () => (await metricValue(t, 'billing_redis_up')) === 1, 15_000)).toBe(true);
      expect((await check(t, key.plaintextKey)).status).toBe(200);
      expect(await redis.get(`${p}rl:api_key:${key.keyId}`)).toBe('1');
    } finally {
      await t.close();
      await proxy.stop();
      const keys = await redis.keys(`${p}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });
});

describeRedis('two built replicas on one PostgreSQL and Redis', () => {
  const prefix = uniquePrefix('replicas');
  const replicas: BuiltServer[] = [];
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(NO_REDIS);
    for (let i = 0; i < 2; i++) {
      replicas.push(
        new BuiltServer(await freePort(), {
          REDIS_URL: TEST_REDIS_URL,
          REDIS_KEY_PREFIX: prefix,
          REDIS_COMMAND_TIMEOUT_MS: '5000',
          LOG_LEVEL: 'info',
          DB_POOL_SIZE: '4',
        }),
      );
    }
    await Promise.all(replicas.map((r) => r.start()));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await t.close();
    const redis = new Redis(TEST_REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('a 60-per-minute key gets exactly 60 successes in total across both', async () => {
    // Each replica connects to Redis before it listens.
    for (const r of replicas) expect(r.logs).toContain('rate limits are shared by every replica');
    const key = await t.createKey({ rateLimitPerMinute: 60 });
    const headers = { 'X-API-Key': key.plaintextKey };
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => send(replicas[i % 2].port, 'POST', CHECK, { headers, body: newUser() })),
    );
    const count = (status: number, replica?: number) =>
      results.filter((r, i) => r.status === status && (replica === undefined || i % 2 === replica)).length;
    expect({ ok: count(200), limited: count(429), other: results.length - count(200) - count(429) }).toEqual({
      ok: 60,
      limited: 40,
      other: 0,
    });
    expect(count(200, 0)).toBeGreaterThan(0);
    expect(count(200, 1)).toBeGreaterThan(0);
    const refused = results.find((r) => r.status === 429)!;
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'rate_limited', limit_per_minute: 60 });
  });
});
