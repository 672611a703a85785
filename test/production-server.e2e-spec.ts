import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { freePort } from './utils/net.js';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';

/**
 * The built server (`node dist/main`) as it runs in production, on the suite's database: JSON
 * request logs without key material, and a graceful SIGTERM under a stream of charges.
 */

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(
  port: number,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown; agent?: Agent | false } = {},
): Promise<Reply> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: options.agent ?? false,
        headers: { ...(payload ? { 'Content-Type': 'application/json' } : {}), ...options.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

class Server {
  readonly output: string[] = [];
  exit?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private child?: ChildProcess;

  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['dist/main'], {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        DATABASE_URL: process.env.TEST_DB_URL!,
        RUN_MIGRATIONS_ON_START: 'false',
        PORT: String(this.port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.setEncoding('utf8').on('data', (c: string) => this.output.push(c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => this.output.push(c));
    this.exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ready = await send(this.port, 'GET', '/health/ready').catch(() => undefined);
      if (ready?.status === 200) return;
      if (child.exitCode !== null) throw new Error(`server exited: ${this.logs}`);
      if (Date.now() > deadline) throw new Error(`server not ready: ${this.logs}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  get logs(): string {
    return this.output.join('');
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exit;
    }
  }
}

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
      await call('POST', '/v1/billing/charges', { 'X-API-Key': key }, { ...user, amount_minor: 1, description: `paid with ${key}`, idempotency_key: key });
      await call('GET', `/v1/billing/transactions?oauth_provider=oauth:x&external_id=${key}&api_key=${key}`, { 'X-API-Key': key });
      await call('GET', `/v1/billing/accounts/oauth:x/${key}`, { 'X-API-Key': key, Authorization: `Bearer ${key}` });
      expect((await call('GET', '/v1/billing/transactions', { 'X-API-Key': key.slice(0, -1) })).status).toBe(401);
      expect((await call('GET', '/v1/billing/transactions', { 'X-API-Key': `${key.slice(0, 20)}X${key.slice(21)}` })).status).toBe(401);
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
      expect(mine[0]).toMatchObject({ level: 30, service: 'ciris-billing', req: { method: expect.any(String), path: expect.any(String) } });
      expect(JSON.stringify(mine[0])).not.toMatch(/x-api-key|authorization/i);
    }
    const first = records.find((r) => r.request_id === 'log-test-0');
    expect(first).toMatchObject({ route: '/v1/billing/credits/check', key_id: live.keyId, res: { status: 200 } });
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
    let inFlightAtSignal = 0;
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
    inFlightAtSignal = inFlight;
    server.signal('SIGTERM');

    // While draining, readiness reports the shutdown (Kubernetes takes the pod out of the Service).
    await new Promise((r) => setTimeout(r, 100));
    const ready = await send(server.port, 'GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'shutting_down', error: { lifecycle: { status: 'down', message: 'shutting down' } } });
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
