import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { TestApp } from './test-app.js';
import { MetricsService } from '../../src/common/metrics/metrics.service.js';

/** The machine's (or CI's) Redis; TEST_REDIS_URL overrides. Never flushed: tests use prefixes of their own. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether a Redis answers PING at {@link TEST_REDIS_URL}; says loudly what is skipped when none does. */
export async function redisReachable(what: string): Promise<boolean> {
  const client = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch (error) {
    console.warn(
      `SKIPPED: ${what}: no Redis reachable at ${TEST_REDIS_URL} (${(error as Error).message}); set TEST_REDIS_URL or start one`,
    );
    return false;
  } finally {
    client.disconnect();
  }
}

/** A key prefix no other test (or run) shares. */
export function uniquePrefix(label: string): string {
  return `ciris-test:${label}:${randomUUID().slice(0, 8)}:`;
}

/** Current value of one series of a counter or gauge in the app's registry (0 when absent). */
export async function metricValue(t: TestApp, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = t.app.get(MetricsService).registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const match = values.find((v) => Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val));
  return match?.value ?? 0;
}

/** Polls `check` until it is true or `ms` pass (state reached asynchronously, e.g. a reconnection). */
export async function eventually(check: () => Promise<boolean>, ms = 10_000, every = 50): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, every));
  }
}
