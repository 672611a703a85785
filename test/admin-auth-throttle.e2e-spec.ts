import { Redis } from 'ioredis';
import request from 'supertest';
import { eventually, metricValue, redisReachable, TEST_REDIS_URL, uniquePrefix } from './utils/redis.js';
import { createTestApp, type TestApp } from './utils/test-app.js';

/**
 * The per-IP throttle of the console's sign-in routes (ADMIN_AUTH_RATE_LIMIT_PER_MINUTE): counted
 * in Redis with REDIS_URL, so two replicas share one ceiling; per process without it. Redis tests
 * run against the machine's Redis under a prefix of their own, and are skipped, loudly, without one.
 */
const LIMIT = 4;
const withRedis = await redisReachable('admin sign-in throttle across replicas (test/admin-auth-throttle.e2e-spec.ts)');
const describeRedis = withRedis ? describe : describe.skip;

const attempt = (t: TestApp) =>
  request(t.http).post('/admin/api/auth/login').send({ email: 'nobody@example.com', password: 'not it' });

/** Statuses of `n` sign-in attempts, one after the other, alternating between the instances given. */
async function statuses(apps: TestApp[], n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await attempt(apps[i % apps.length])).status);
  return out;
}

function restoreEnv(): void {
  process.env.ADMIN_AUTH_RATE_LIMIT_PER_MINUTE = '30';
  process.env.REDIS_URL = '';
  process.env.REDIS_KEY_PREFIX = 'ciris-billing:';
  process.env.REDIS_COMMAND_TIMEOUT_MS = '500';
}

describe('admin sign-in throttle without Redis (per process)', () => {
  it('each instance counts its own attempts', async () => {
    const env = { REDIS_URL: '', ADMIN_AUTH_RATE_LIMIT_PER_MINUTE: String(LIMIT) };
    const a = await createTestApp(env);
    const b = await createTestApp(env);
    try {
      expect(await statuses([a], LIMIT + 1)).toEqual([...Array(LIMIT).fill(401), 429]);
      // The other process has not seen any of them.
      expect(await statuses([b], LIMIT + 1)).toEqual([...Array(LIMIT).fill(401), 429]);
    } finally {
      await Promise.all([a.close(), b.close()]);
      restoreEnv();
    }
  });
});

describeRedis('admin sign-in throttle shared through Redis', () => {
  const prefix = uniquePrefix('admin-auth');
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    const env = {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      // Generous: on a loaded machine a slow reply would fall back to per-process counting.
      REDIS_COMMAND_TIMEOUT_MS: '5000',
      ADMIN_AUTH_RATE_LIMIT_PER_MINUTE: String(LIMIT),
    };
    a = await createTestApp(env);
    b = await createTestApp(env);
    redis = new Redis(TEST_REDIS_URL);
    for (const t of [a, b])
      expect(await eventually(async () => (await metricValue(t, 'billing_redis_up')) === 1)).toBe(true);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await Promise.all([a.close(), b.close()]);
    restoreEnv();
  });

  it('two instances share one ceiling per client address: the limit in total, then 429 on both', async () => {
    // Alternating between the instances: each saw only half of the attempts, yet both refuse the next.
    expect(await statuses([a, b], LIMIT)).toEqual(Array(LIMIT).fill(401));
    const refusedA = await attempt(a);
    const refusedB = await attempt(b);
    for (const refused of [refusedA, refusedB]) {
      expect([refused.status, refused.body.code]).toEqual([429, 'too_many_requests']);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    }
    // Counted in Redis under this run's prefix, never by the per-process insurance.
    expect(await redis.keys(`${prefix}rl:admin_auth*`)).toHaveLength(1);
    for (const t of [a, b])
      expect(await metricValue(t, 'billing_rate_limit_fallbacks_total', { limiter: 'admin_auth' })).toBe(0);
    // Only the sign-in routes count: reading stays possible.
    expect((await request(a.http).get('/admin/api/auth/me')).status).toBe(401);
  });
});
