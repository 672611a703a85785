import { type ChildProcess, spawn } from 'node:child_process';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { send } from './utils/built-server.js';
import { FaultProxy } from './utils/fault-proxy.js';
import { ledgerMismatches } from './utils/ledger.js';
import { freePort } from './utils/net.js';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';

/**
 * Starting and stopping the built server (issue #14 items 6 and 7): listening before the database
 * answers, giving up with a JSON error, and SIGTERM under load.
 */

interface Launched {
  port: number;
  child: ChildProcess;
  output: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `node dist/main` without waiting for anything. */
async function launch(env: Record<string, string>): Promise<Launched> {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/main'], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      // Production refuses to start without it (it seals operators' TOTP secrets).
      ADMIN_MFA_ENCRYPTION_KEY: 'cd'.repeat(32),
      DATABASE_URL: process.env.TEST_DB_URL!,
      RUN_MIGRATIONS_ON_START: 'false',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      METRICS_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (c: string) => output.push(c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => output.push(c));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { port, child, output, exit };
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve()
      .then(probe)
      .catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const lines = (launched: Launched): string[] => launched.output.join('').split('\n').filter(Boolean);

function kill(launched: Launched | undefined): Promise<unknown> | undefined {
  if (!launched || launched.child.exitCode !== null || launched.child.signalCode !== null) return undefined;
  launched.child.kill('SIGKILL');
  return launched.exit;
}

describe('starting while the database is down (item 7)', () => {
  let proxy: FaultProxy;
  let url: string;
  let server: Launched | undefined;
  beforeAll(async () => {
    ({ proxy, url } = await FaultProxy.forUrl(process.env.TEST_DB_URL!));
  });
  afterEach(async () => {
    await kill(server);
    server = undefined;
  });
  afterAll(() => proxy.refuse());

  it('listens at once (liveness 200, readiness 503), logs each retry as one JSON line, and serves once the database answers', async () => {
    await proxy.refuse();
    server = await launch({ DATABASE_URL: url, DB_STARTUP_TIMEOUT_MS: '60000', DB_CONNECT_TIMEOUT_MS: '500' });
    const s = server;
    const live = await until('liveness', () => send(s.port, 'GET', '/health/live'));
    expect(live.status).toBe(200);
    const ready = await send(s.port, 'GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });
    const early = await send(s.port, 'POST', '/v1/billing/credits/check', {
      body: newUser('early'),
      headers: { 'X-API-Key': 'cbk_test_x' },
    });
    expect([early.status, JSON.parse(early.body).code]).toEqual([503, 'database_unavailable']);
    expect(early.headers['retry-after']).toBeDefined();

    await until('two retry lines', () =>
      lines(s).filter((l) => l.includes('Waiting for the database')).length >= 2 ? true : undefined,
    );
    await proxy.start();
    await until('readiness', async () =>
      (await send(s.port, 'GET', '/health/ready')).status === 200 ? true : undefined,
    );
    expect((await send(s.port, 'GET', '/')).status).toBe(200);

    const records = lines(s).map((l) => JSON.parse(l) as Record<string, unknown>);
    const retries = records.filter((r) => String(r.msg).startsWith('Waiting for the database'));
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries[0]).toMatchObject({ level: 40, context: 'Startup', attempt: 1 });
    expect(records.some((r) => String(r.msg).startsWith('Database reachable'))).toBe(true);
  });

  it('gives up after DB_STARTUP_TIMEOUT_MS with one clear JSON error and exit code 1, JSON lines only', async () => {
    await proxy.refuse();
    server = await launch({ DATABASE_URL: url, DB_STARTUP_TIMEOUT_MS: '2000', DB_CONNECT_TIMEOUT_MS: '500' });
    const exit = await server.exit;
    expect(exit).toEqual({ code: 1, signal: null });
    const output = lines(server);
    // eslint-disable-next-line no-control-regex
    expect(output.join('\n')).not.toMatch(/\u001b\[/);
    const records = output.map((l) => JSON.parse(l) as Record<string, unknown>);
    const last = records.at(-1)!;
    expect(last).toMatchObject({ level: 60, context: 'Startup' });
    expect(String(last.msg)).toMatch(/^Database unreachable for \d+ s \(\d+ attempts\); giving up/);
    expect(records.filter((r) => r.level === 60)).toHaveLength(1);
  });
});

describe('SIGTERM under load (item 6)', () => {
  let t: TestApp;
  let key: string;
  beforeAll(async () => {
    t = await createTestApp();
    key = (await t.createKey()).plaintextKey;
  });
  afterAll(() => t.close());

  interface Outcome {
    sent: number;
    answered: number;
    acknowledged: string[];
    failures: { idempotencyKey: string; error: string }[];
    afterSignal: { sent: number; answered: number };
  }

  /**
   * Charges from `workers` clients, each with a keep-alive connection of its own (as a load
   * balancer's pooled upstream connections), half of them busy, half pausing between requests.
   * When `honourReadiness`, a watcher polls readiness like the endpoints controller and, 200 ms
   * after it turns 503, removes the endpoint: from then on a client only uses the connection it
   * already has (kube-proxy keeps established connections) and never opens a new one.
   */
  async function chargeThroughSigterm(honourReadiness: boolean): Promise<Outcome> {
    const drainMs = 1_500;
    const server = await launch({ SHUTDOWN_DRAIN_MS: String(drainMs), SHUTDOWN_TIMEOUT_MS: '10000' });
    try {
      await until('readiness', async () =>
        (await send(server.port, 'GET', '/health/ready')).status === 200 ? true : undefined,
      );
      const user = newUser('sigterm');
      const created = await send(server.port, 'POST', '/v1/billing/accounts', {
        headers: { 'X-API-Key': key },
        body: { ...user, initial_balance_minor: 1_000_000 },
      });
      expect(created.status).toBe(201);

      const outcome: Outcome = {
        sent: 0,
        answered: 0,
        acknowledged: [],
        failures: [],
        afterSignal: { sent: 0, answered: 0 },
      };
      let signalled = false;
      let endpointRemoved = false;
      let exited = false;
      void server.exit.then(() => (exited = true));
      let seq = 0;
      const worker = async (busy: boolean) => {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        // Whether this client still holds an open connection: the last answer kept it alive.
        let connected = false;
        try {
          while (!exited) {
            if (endpointRemoved && !connected) return; // routed to another pod from now on
            const idempotencyKey = `sigterm-${honourReadiness}-${seq++}`;
            const afterSignal = signalled;
            outcome.sent++;
            if (afterSignal) outcome.afterSignal.sent++;
            try {
              const res = await send(server.port, 'POST', '/v1/billing/charges', {
                agent,
                headers: { 'X-API-Key': key },
                body: { ...user, amount_minor: 1, description: 'sigterm', idempotency_key: idempotencyKey },
              });
              connected = res.headers.connection !== 'close';
              outcome.answered++;
              if (afterSignal) outcome.afterSignal.answered++;
              if (res.status === 201)
                outcome.acknowledged.push((JSON.parse(res.body) as { charge_id: string }).charge_id);
              else outcome.failures.push({ idempotencyKey, error: `HTTP ${res.status} ${res.body}` });
            } catch (error) {
              connected = false;
              const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
              if (code === 'ECONNREFUSED' && exited) return;
              outcome.failures.push({ idempotencyKey, error: code });
              if (code === 'ECONNREFUSED') return; // the listener is closed: nothing more to send here
            }
            if (!busy) await new Promise((r) => setTimeout(r, 150));
          }
        } finally {
          agent.destroy();
        }
      };
      const workers = Array.from({ length: 16 }, (_, i) => worker(i % 2 === 0));
      await until('a stream of charges', () => (outcome.acknowledged.length >= 100 ? true : undefined));
      signalled = true;
      server.child.kill('SIGTERM');
      if (honourReadiness) {
        await until('readiness to turn 503', async () =>
          (await send(server.port, 'GET', '/health/ready')).status === 503 ? true : undefined,
        );
        await new Promise((r) => setTimeout(r, 200));
        endpointRemoved = true;
      }
      await Promise.all(workers);
      expect(await server.exit).toEqual({ code: 0, signal: null });

      const rows = (await t.db.query(
        `SELECT c.id, c.idempotency_key FROM charges c JOIN accounts a ON a.id = c.account_id
          WHERE a.oauth_provider = $1 AND a.external_id = $2`,
        [user.oauth_provider, user.external_id],
      )) as { id: string; idempotency_key: string }[];
      // Every acknowledged charge is in the ledger; nothing that failed in transit was charged.
      expect(new Set(rows.map((r) => r.id))).toEqual(new Set(outcome.acknowledged));
      expect(await ledgerMismatches(t.db)).toEqual([]);
      return outcome;
    } finally {
      await kill(server);
    }
  }

  it('normal Kubernetes sequence (readiness off, endpoint removed, then the listener closes): every request answered', async () => {
    const outcome = await chargeThroughSigterm(true);
    console.log(
      `SIGTERM, clients honour readiness: ${outcome.sent} sent, ${outcome.answered} answered (${outcome.afterSignal.sent} sent after SIGTERM, ${outcome.afterSignal.answered} answered), failures: ${JSON.stringify(outcome.failures)}`,
    );
    expect(outcome.failures).toEqual([]);
    expect(outcome.afterSignal.answered).toBeGreaterThan(0);
  });

  it('clients that ignore readiness: measured; whatever failed in transit was never charged', async () => {
    const outcome = await chargeThroughSigterm(false);
    const kinds = outcome.failures.reduce<Record<string, number>>(
      (acc, f) => ({ ...acc, [f.error]: (acc[f.error] ?? 0) + 1 }),
      {},
    );
    console.log(
      `SIGTERM, clients ignore readiness: ${outcome.sent} sent, ${outcome.answered} answered (${outcome.afterSignal.sent} sent after SIGTERM, ${outcome.afterSignal.answered} answered), failures by kind: ${JSON.stringify(kinds)}`,
    );
    // No HTTP error answers: failures, if any, are connections refused or reset, which were never processed.
    expect(outcome.failures.filter((f) => f.error.startsWith('HTTP'))).toEqual([]);
  });

  it('answers a connection accepted just before the listener closed, even when its request comes after', async () => {
    const server = await launch({ SHUTDOWN_DRAIN_MS: '300', SHUTDOWN_TIMEOUT_MS: '10000' });
    try {
      await until('readiness', async () =>
        (await send(server.port, 'GET', '/health/ready')).status === 200 ? true : undefined,
      );
      server.child.kill('SIGTERM');
      await until('draining', async () =>
        (await send(server.port, 'GET', '/health/ready')).status === 503 ? true : undefined,
      );
      // Connected while the service still listens; the request follows only once the listener is closed.
      const socket = connect(server.port, '127.0.0.1');
      let answer = '';
      let outcome = 'open';
      socket.setEncoding('utf8').on('data', (c: string) => (answer += c));
      socket.on('error', (e: NodeJS.ErrnoException) => (outcome = e.code ?? e.message));
      socket.on('close', () => (outcome = outcome === 'open' ? 'closed' : outcome));
      await new Promise((resolve) => socket.once('connect', resolve));
      await until('the listener to close', async () => {
        const refused = await send(server.port, 'GET', '/health/live').then(
          () => false,
          (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED',
        );
        return refused ? true : undefined;
      });
      socket.write('GET / HTTP/1.1\r\nHost: billing\r\n\r\n');
      await until('the connection to end', () => (outcome !== 'open' ? true : undefined));
      expect(outcome).toBe('closed');
      expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(answer.toLowerCase()).toContain('connection: close');
      expect(await server.exit).toEqual({ code: 0, signal: null });
    } finally {
      await kill(server);
    }
  });
});
