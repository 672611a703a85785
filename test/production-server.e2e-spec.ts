import { Agent } from 'node:http';
import { BuiltServer as Server, send } from './utils/built-server.js';
import { freePort } from './utils/net.js';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';

/**
 * The built server (`node dist/main`) as it runs in production, on the suite's database: JSON
 * request logs without key material, and a graceful SIGTERM under a stream of charges.
 */

describe('built server (node dist/main)', () => {
  const DRAIN_MS = 1_000;
  let t: TestApp;
  let server: Server;
  /** Every key this run creates; none may appear in the server's output. */
  const keys: string[] = [];
  beforeAll(async () => {
    t = await createTestApp();
    server = new Server(await freePort(), { SHUTDOWN_DRAIN_MS: String(DRAIN_MS), SHUTDOWN_TIMEOUT_MS: '10000' });
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
    await t.close();
  });

  it('logs one JSON line per request with its request id and key id', async () => {
    const live = await t.createKey({ environment: 'live' });
    const test = await t.createKey({ environment: 'test' });
    const readOnly = await t.createKey({ permissions: ['billing:read'] });
    const revoked = await t.createKey();
    await t.keys.revokeApiKey(revoked.keyId);
    keys.push(...[live, test, readOnly, revoked].map((k) => k.plaintextKey));
    const user = newUser('logs');
    const ids: string[] = [];
    let n = 0;
    const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
      const id = `log-test-${n++}`;
      ids.push(id);
      const res = await send(server.port, method, path, { headers: { ...headers, 'X-Request-ID': id }, body });
      expect(res.headers['x-request-id']).toBe(id);
      return res;
    };
    for (const key of keys) {
      // In the header (valid, revoked, wrong permission), in a query string, in a body, and mangled.
      await call('POST', '/v1/billing/credits/check', { 'X-API-Key': key }, user);
      await call(
        'POST',
        '/v1/billing/charges',
        { 'X-API-Key': key },
        { ...user, amount_minor: 1, description: `paid with ${key}`, idempotency_key: key },
      );
      await call('GET', `/v1/billing/transactions?oauth_provider=oauth:x&external_id=${key}&api_key=${key}`, {
        'X-API-Key': key,
      });
      await call('GET', `/v1/billing/accounts/oauth:x/${key}`, { 'X-API-Key': key, Authorization: `Bearer ${key}` });
      expect((await call('GET', '/v1/billing/transactions', { 'X-API-Key': key.slice(0, -1) })).status).toBe(401);
      expect(
        (
          await call('GET', '/v1/billing/transactions', {
            'X-API-Key': `${key.slice(0, 20)}${key[20] === 'X' ? 'Y' : 'X'}${key.slice(21)}`,
          })
        ).status,
      ).toBe(401);
      await call('GET', `/no/route/${key}`, { 'X-API-Key': key });
    }
    const deadline = Date.now() + 5_000;
    while (!server.logs.includes(`"request_id":"${ids.at(-1)}"`) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const records = server.logs
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const id of ids) {
      const mine = records.filter((r) => r.request_id === id && r.res);
      expect([id, mine.length]).toEqual([id, 1]);
      expect(mine[0]).toMatchObject({
        level: 30,
        service: 'ciris-billing',
        req: { method: expect.any(String), path: expect.any(String) },
      });
      expect(JSON.stringify(mine[0])).not.toMatch(/x-api-key|authorization/i);
    }
    const first = records.find((r) => r.request_id === 'log-test-0');
    expect(first).toMatchObject({ route: '/v1/billing/credits/check', key_id: live.keyId, res: { status: 200 } });
  });

  it('serves the OpenAPI document with the bodies the build describes: the account body with held and available amounts', async () => {
    const reply = await send(server.port, 'GET', '/docs-json');
    expect(reply.status).toBe(200);
    type Schema = { properties: Record<string, { type?: string; description?: string }>; required?: string[] };
    const doc = JSON.parse(reply.body) as { components: { schemas: Record<string, Schema> } };
    const body = doc.components.schemas.AccountResponse;
    for (const field of ['balance_minor', 'held_minor', 'available_minor', 'free_uses_held', 'daily_free_uses_held']) {
      expect(body.properties[field]).toMatchObject({ type: 'number' });
      expect(body.required).toContain(field);
    }
    expect(body.properties.available_minor.description).toMatch(/balance_minor - held_minor/);
    expect(body.properties.held_minor.description).toMatch(/active, unexpired holds/);
  });

  it('drains on SIGTERM under a stream of charges: every acknowledged charge is in the ledger, no resets, exit 0', async () => {
    const key = (await t.createKey()).plaintextKey;
    keys.push(key);
    const user = newUser('sigterm');
    const created = await send(server.port, 'POST', '/v1/billing/accounts', {
      headers: { 'X-API-Key': key },
      body: { ...user, initial_balance_minor: 1_000_000 },
    });
    expect(created.status).toBe(201);
    const accountId = (JSON.parse(created.body) as { account_id: string }).account_id;

    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const acknowledged: string[] = [];
    const failures: string[] = [];
    let signalledAt = 0;
    let inFlight = 0;
    let ackedAfterSignal = 0;
    // Clients keep sending through the first half of the drain window (the time a load balancer
    // takes to drop the endpoint), then stop, as they would once routed elsewhere.
    const sending = () => signalledAt === 0 || Date.now() - signalledAt < DRAIN_MS / 2;
    let seq = 0;
    const worker = async () => {
      while (sending()) {
        const n = seq++;
        inFlight++;
        try {
          const res = await send(server.port, 'POST', '/v1/billing/charges', {
            agent,
            headers: { 'X-API-Key': key },
            body: { ...user, amount_minor: 1, currency: 'USD', description: 'stream', idempotency_key: `s-${n}` },
          });
          if (res.status === 201) {
            acknowledged.push((JSON.parse(res.body) as { charge_id: string }).charge_id);
            if (signalledAt) ackedAfterSignal++;
          } else failures.push(`HTTP ${res.status}: ${res.body}`);
        } catch (error) {
          failures.push(String((error as Error).message));
        } finally {
          inFlight--;
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    while (acknowledged.length < 40) await new Promise((r) => setTimeout(r, 10));
    signalledAt = Date.now();
    const inFlightAtSignal = inFlight;
    server.signal('SIGTERM');

    // While draining, readiness reports the shutdown (Kubernetes takes the pod out of the Service):
    // as soon as the process has handled the signal, which a loaded machine may delay a little.
    let ready = await send(server.port, 'GET', '/health/ready');
    for (const deadline = Date.now() + DRAIN_MS / 2; ready.status !== 503 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 20));
      ready = await send(server.port, 'GET', '/health/ready');
    }
    expect(ready.status).toBe(503);
    // Terminus answers 503 `shutting_down` from its own shutdown hook, which can run a moment before
    // the drain sets the lifecycle check down: a poll that lands in between sees no failed check yet.
    const readyBody = JSON.parse(ready.body) as { status: string; error: Record<string, unknown> };
    expect(readyBody.status).toBe('shutting_down');
    if (Object.keys(readyBody.error).length > 0) {
      expect(readyBody.error).toMatchObject({ lifecycle: { status: 'down', message: 'shutting down' } });
    }
    expect(ready.headers.connection).toBe('close');

    await Promise.all(workers);
    const exit = await server.exit;
    agent.destroy();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(failures).toEqual([]);
    expect(inFlightAtSignal).toBeGreaterThan(0);
    expect(ackedAfterSignal).toBeGreaterThan(0);

    // After exit, connections are refused (not reset).
    await expect(send(server.port, 'GET', '/health/live')).rejects.toThrow(/ECONNREFUSED/);

    const rows = (await t.db.query('SELECT id FROM charges WHERE account_id = $1', [accountId])) as { id: string }[];
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(acknowledged));
    const [balance] = (await t.db.query(
      `SELECT a.balance_minor::int AS balance,
              (SELECT COALESCE(SUM(amount_minor), 0) FROM credits WHERE account_id = a.id)::int
                - (SELECT COALESCE(SUM(balance_debit_minor), 0) FROM charges WHERE account_id = a.id)::int AS ledger
         FROM accounts a WHERE a.id = $1`,
      [accountId],
    )) as { balance: number; ledger: number }[];
    expect(balance.balance).toBe(balance.ledger);
    expect(server.logs).toContain('SIGTERM: draining');
    expect(server.logs).toContain('all in-flight requests finished');
  });

  it('never wrote key material: the whole output, through shutdown, holds none of the keys created', () => {
    expect(keys).toHaveLength(5);
    const logs = server.logs;
    expect(logs).toContain('cbk_live_');
    for (const key of keys) {
      expect(logs).not.toContain(key);
      expect(logs).not.toContain(key.slice(0, -1));
      expect(logs).not.toContain(key.slice(13));
      expect(logs).not.toContain(key.slice(13, 40));
    }
    // Every line is JSON.
    for (const line of logs.split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
  });
});
