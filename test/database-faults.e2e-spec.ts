import { BuiltServer as Server, send, type Reply } from './utils/built-server.js';
import { FaultProxy } from './utils/fault-proxy.js';
import { ledgerMismatches } from './utils/ledger.js';
import { freePort } from './utils/net.js';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';

/**
 * The built server (`node dist/main`) with its database behind a TCP proxy of the test's own
 * (issue #14 items 3, 4, 5 and 8): the suite's PostgreSQL is never stopped or reconfigured.
 */

const CONNECT_TIMEOUT_MS = 500;
const STATEMENT_TIMEOUT_MS = 700;

const json = (reply: Reply): Record<string, unknown> => JSON.parse(reply.body) as Record<string, unknown>;
const logLines = (server: Server): Record<string, unknown>[] =>
  server.logs
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('database faults (built server behind a fault proxy)', () => {
  let t: TestApp;
  let proxy: FaultProxy;
  let server: Server;
  let key: string;
  const user = newUser('faults');

  const call = (method: string, path: string, body?: unknown, apiKey = key) =>
    send(server.port, method, path, { headers: { 'X-API-Key': apiKey }, body });
  const charge = (idempotencyKey: string) =>
    call('POST', '/v1/billing/charges', {
      ...user,
      amount_minor: 3,
      description: 'fault test',
      idempotency_key: idempotencyKey,
    });
  const metric = async (name: string): Promise<number> => {
    const text = (await send(server.port, 'GET', '/metrics')).body;
    const line = text.split('\n').find((l) => l.startsWith(name));
    return line ? Number(line.split(' ').at(-1)) : NaN;
  };

  beforeAll(async () => {
    t = await createTestApp();
    const proxied = await FaultProxy.forUrl(process.env.TEST_DB_URL!);
    proxy = proxied.proxy;
    server = new Server(await freePort(), {
      DATABASE_URL: proxied.url,
      DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      DB_POOL_SIZE: '4',
      METRICS_PORT: '0',
      API_KEY_CACHE_TTL_MS: '600000',
    });
    await server.start();
    key = (await t.createKey()).plaintextKey;
    const created = await call('POST', '/v1/billing/accounts', { ...user, initial_balance_minor: 1_000 });
    expect(created.status).toBe(201);
  });
  afterEach(async () => {
    await proxy.start();
  });
  afterAll(async () => {
    await server.stop();
    await proxy.refuse();
    await t.close();
  });

  it('an outage answers 503 database_unavailable with Retry-After, logs one line per transition and counts it', async () => {
    const before = logLines(server).length;
    await proxy.refuse();
    const unknownKey = (await t.createKey()).plaintextKey; // not cached: authentication needs the database
    const replies = await Promise.all([
      call('POST', '/v1/billing/credits/check', user),
      call('GET', `/v1/billing/accounts/${user.oauth_provider}/${encodeURIComponent(user.external_id)}`),
      call(
        'GET',
        `/v1/billing/transactions?oauth_provider=${user.oauth_provider}&external_id=${encodeURIComponent(user.external_id)}`,
      ),
      call('POST', '/v1/billing/accounts', newUser('outage')),
      call('GET', '/v1/billing/key', undefined, unknownKey),
      call('POST', '/v1/billing/credits/check', user),
    ]);
    for (const reply of replies) {
      expect([reply.status, json(reply).code]).toEqual([503, 'database_unavailable']);
      expect(json(reply).detail).toMatch(/database/i);
      expect(Number(reply.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect((await send(server.port, 'GET', '/health/ready')).status).toBe(503);
    expect((await send(server.port, 'GET', '/health/live')).status).toBe(200);
    expect(await metric('billing_database_up')).toBe(0);
    expect(await metric('billing_database_failures_total{kind="unavailable"}')).toBeGreaterThanOrEqual(replies.length);

    await proxy.start();
    await until('a request to succeed again', async () => {
      const reply = await call('POST', '/v1/billing/credits/check', user);
      return reply.status === 200 ? reply : undefined;
    });
    await until('the recovery line', () => (server.logs.includes('Database available again') ? true : undefined));
    expect(await metric('billing_database_up')).toBe(1);

    const during = logLines(server).slice(before);
    const down = during.filter((l) => String(l.msg).startsWith('Database unavailable'));
    const up = during.filter((l) => String(l.msg).startsWith('Database available again'));
    expect([down.length, up.length]).toEqual([1, 1]);
    expect(down[0]).toMatchObject({ level: 50, context: 'Database' });
    // No stack trace per request, and one error line per outage: the request lines are warnings.
    expect(during.filter((l) => 'stack' in l || 'err' in l)).toEqual([]);
    expect(during.filter((l) => (l.level as number) >= 50)).toEqual(down);
    expect(
      during.filter((l) => (l.res as { status?: number } | undefined)?.status === 503).length,
    ).toBeGreaterThanOrEqual(replies.length);
  });

  it('a statement held past DB_STATEMENT_TIMEOUT_MS is cancelled: 503 database_unavailable, nothing charged', async () => {
    // Another session holds the account row, so the charge waits on its lock until PostgreSQL's
    // statement_timeout cancels (and rolls back) it.
    const runner = t.db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    const idem = `held-${crypto.randomUUID()}`;
    try {
      await runner.query('SELECT id FROM accounts WHERE oauth_provider = $1 AND external_id = $2 FOR UPDATE', [
        user.oauth_provider,
        user.external_id,
      ]);
      const started = Date.now();
      const reply = await charge(idem);
      const ms = Date.now() - started;
      expect([reply.status, json(reply).code]).toEqual([503, 'database_unavailable']);
      expect(ms).toBeGreaterThanOrEqual(STATEMENT_TIMEOUT_MS);
      console.log(`statement timeout: charge answered ${reply.status} ${String(json(reply).code)} after ${ms} ms`);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
    const rows = (await t.db.query('SELECT id FROM charges WHERE idempotency_key = $1', [idem])) as unknown[];
    expect(rows).toEqual([]);
    const retry = await until('the retry', async () => {
      const r = await charge(idem);
      return r.status === 503 ? undefined : r;
    });
    expect(retry.status).toBe(201);
  });

  it('a frozen database answers 503 after the configured bounds instead of waiting for it', async () => {
    await call('POST', '/v1/billing/credits/check', user); // every pool connection warm and idle
    proxy.freeze();
    const started = Date.now();
    const account = `/v1/billing/accounts/${user.oauth_provider}/${encodeURIComponent(user.external_id)}`;
    const timed = async (reply: Promise<Reply>) => ({ ...(await reply), ms: Date.now() - started });
    const [reads, writes, noDatabase] = await Promise.all([
      Promise.all(Array.from({ length: 3 }, () => timed(call('GET', account)))),
      Promise.all(Array.from({ length: 3 }, () => timed(call('POST', '/v1/billing/credits/check', user)))),
      Promise.all(Array.from({ length: 2 }, () => timed(call('GET', '/v1/billing/key')))),
    ]);
    // Still frozen here: every request was answered without the database. A read changed
    // nothing; a credit check (it records the check) may have reached the database.
    for (const reply of reads) expect([reply.status, json(reply).code]).toEqual([503, 'database_unavailable']);
    for (const reply of writes) {
      expect(reply.status).toBe(503);
      expect(['database_unavailable', 'outcome_unknown']).toContain(json(reply).code);
    }
    for (const reply of noDatabase) expect(reply.status).toBe(200);
    console.log(
      `frozen database: reads answered ${reads.map((r) => `${r.status} in ${r.ms} ms`).join(', ')}; credit checks ${writes.map((r) => `${r.status} ${String(json(r).code)} in ${r.ms} ms`).join(', ')}`,
    );
    proxy.thaw();
  });

  describe('the unknown-outcome contract (retry with the same idempotency key)', () => {
    /** Charge ids in the ledger for one idempotency key. */
    const chargesFor = async (idempotencyKey: string): Promise<string[]> =>
      (
        (await t.db.query('SELECT id FROM charges WHERE idempotency_key = $1', [idempotencyKey])) as { id: string }[]
      ).map((r) => r.id);

    const expectUnknown = (reply: Reply) => {
      expect([reply.status, json(reply).code]).toEqual([503, 'outcome_unknown']);
      expect(json(reply).detail).toMatch(/may or may not have been applied.*same idempotency_key/);
      expect(Number(reply.headers['retry-after'])).toBeGreaterThan(0);
    };

    it('cut before the statement reached the database: unknown, and the retry charges once', async () => {
      const idem = `cut-before-${crypto.randomUUID()}`;
      const cut = proxy.cut('billing_charge', 'before');
      const reply = await charge(idem);
      await cut;
      expectUnknown(reply);
      expect(await chargesFor(idem)).toEqual([]);
      const retry = await charge(idem);
      expect(retry.status).toBe(201);
      expect(await chargesFor(idem)).toEqual([json(retry).charge_id]);
    });

    it('cut after the database committed: unknown, and the retry answers 409 with the charge', async () => {
      const idem = `cut-after-${crypto.randomUUID()}`;
      const cut = proxy.cut('billing_charge', 'after');
      const reply = await charge(idem);
      await cut;
      expectUnknown(reply);
      const committed = await chargesFor(idem);
      expect(committed).toHaveLength(1);
      const retry = await charge(idem);
      expect([retry.status, json(retry).code]).toEqual([409, 'charge_exists']);
      expect(retry.headers['x-existing-charge-id']).toBe(committed[0]);
    });

    it('a credit cut after commit: unknown, and the retry answers 409 with the credit', async () => {
      const idem = `credit-after-${crypto.randomUUID()}`;
      const credit = () =>
        call('POST', '/v1/billing/credits', {
          ...user,
          amount_minor: 5,
          transaction_type: 'grant',
          idempotency_key: idem,
        });
      const cut = proxy.cut('INSERT INTO credits', 'after');
      const reply = await credit();
      await cut;
      expectUnknown(reply);
      const retry = await credit();
      expect([retry.status, json(retry).code]).toEqual([409, 'credit_exists']);
      const rows = (await t.db.query('SELECT id FROM credits WHERE idempotency_key = $1', [idem])) as { id: string }[];
      expect(rows.map((r) => r.id)).toEqual([retry.headers['x-existing-credit-id']]);
    });

    it('frozen mid-statement, then thawed: unknown, and the retry reconciles whichever way it went', async () => {
      await call('POST', '/v1/billing/credits/check', user);
      const idem = `frozen-${crypto.randomUUID()}`;
      proxy.freeze();
      const reply = await charge(idem);
      expect(reply.status).toBe(503);
      expect(['outcome_unknown', 'database_unavailable']).toContain(json(reply).code);
      proxy.thaw();
      const retry = await until('the retry to get an answer from the database', async () => {
        const r = await charge(idem);
        return r.status === 503 ? undefined : r;
      });
      const rows = await chargesFor(idem);
      expect(rows).toHaveLength(1);
      if (retry.status === 409) expect(retry.headers['x-existing-charge-id']).toBe(rows[0]);
      else expect([retry.status, json(retry).charge_id]).toEqual([201, rows[0]]);
    });

    it('refused before anything was sent: database_unavailable, and the retry charges once', async () => {
      const idem = `refused-${crypto.randomUUID()}`;
      await proxy.refuse();
      const reply = await charge(idem);
      expect([reply.status, json(reply).code]).toEqual([503, 'database_unavailable']);
      await proxy.start();
      const retry = await until('the database to be back', async () => {
        const r = await charge(idem);
        return r.status === 503 ? undefined : r;
      });
      expect(retry.status).toBe(201);
      expect(await chargesFor(idem)).toEqual([json(retry).charge_id]);
    });

    afterAll(async () => {
      expect(await ledgerMismatches(t.db)).toEqual([]);
    });
  });

  it('redacts percent-encoded keys in logged paths and messages (item 8)', async () => {
    const secret = key.slice(13);
    const encodedUnderscore = key.replaceAll('_', '%5F');
    const percentEncoded = (text: string) =>
      [...text].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
    const everyCharEncoded = percentEncoded(key);
    const doubleEncoded = key.replaceAll('_', '%255F');
    for (const variant of [encodedUnderscore, everyCharEncoded, doubleEncoded, encodedUnderscore.toLowerCase()]) {
      await call('GET', `/no/route/${variant}`);
      await call('GET', `/v1/billing/accounts/oauth:x/${variant}`);
    }
    await until('the last request line', () =>
      logLines(server).filter((l) => String(l.msg).startsWith('GET /v1/billing/accounts/oauth:x/')).length >= 4
        ? true
        : undefined,
    );
    const logs = server.logs;
    expect(logs).toContain('[REDACTED]');
    expect(logs).not.toContain(secret.slice(0, 20));
    expect(logs).not.toContain(encodeURIComponent(secret.slice(0, 20)));
    expect(logs.toLowerCase()).not.toContain(secret.slice(4, 16).toLowerCase());
    expect(logs.toLowerCase()).not.toContain(percentEncoded(secret.slice(4, 16)).toLowerCase());
  });
});
