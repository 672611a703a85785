// Issue #14 before/after evidence: runs the eight fault scenarios against one built checkout.
//
//   node test/evidence/faults-before-after.mjs <checkout-dir> [item …]     (items: 1-8, default all)
//
// <checkout-dir> must be built (`npm ci && npm run build`). The script creates a scratch database
// `evidence_<pid>_<time>` on TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres),
// migrates it and creates an admin and a key with the checkout's own CLI, starts `node dist/main`
// from the checkout with its database behind a TCP proxy of this script's own (the shared
// PostgreSQL is never stopped or paused), prints what clients and logs saw, and drops the database.
// API keys are printed as their prefix only.
import { spawn } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { connect, createServer } from 'node:net';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const dir = resolve(process.argv[2] ?? '.');
const items = new Set(process.argv.slice(3).map(Number));
const want = (n) => items.size === 0 || items.has(n);
const require = createRequire(`${dir}/package.json`);
const pg = require('pg');
const Stripe = require('stripe');
const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const WEBHOOK_SECRET = 'whsec_evidence_secret';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (text) => console.log(text);
const short = (text, n = 240) => (text.length > n ? `${text.slice(0, n)}… (${text.length} chars)` : text);
/** Any API key in `text` cut to its prefix. */
const redactKeys = (text) => text.replace(/(cbk_(?:live|test)_)[A-Za-z0-9_-]{6,}/gi, '$1…');

async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** One HTTP request; `timeoutMs` abandons it (reported as `no answer`). */
function send(port, method, path, { headers = {}, body, raw, agent = false, timeoutMs = 60_000 } = {}) {
  const payload = raw ?? (body === undefined ? undefined : JSON.stringify(body));
  const started = Date.now();
  return new Promise((resolve) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: { ...(payload ? { 'Content-Type': 'application/json' } : {}), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c) => (text += c));
        res.on('end', () =>
          resolve({ status: res.statusCode, headers: res.headers, body: text, ms: Date.now() - started }),
        );
        res.on('error', (e) => resolve({ status: 0, error: e.code ?? e.message, ms: Date.now() - started }));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('no answer'), { code: 'NO_ANSWER' })));
    req.on('error', (e) => resolve({ status: 0, error: e.code ?? e.message, ms: Date.now() - started }));
    req.end(payload);
  });
}
const code = (reply) => {
  try {
    return JSON.parse(reply.body).code;
  } catch {
    return undefined;
  }
};
const brief = (reply) =>
  reply.status === 0
    ? `${reply.error} after ${reply.ms} ms`
    : `${reply.status} ${code(reply) ?? ''}${reply.headers['retry-after'] ? ` Retry-After: ${reply.headers['retry-after']}` : ''} in ${reply.ms} ms`;

/** A TCP relay between the app and PostgreSQL: refuse, freeze, or cut one statement. */
class Proxy {
  links = new Set();
  frozen = false;
  triggers = [];
  port = 0;
  async start() {
    this.thaw();
    if (this.server) return;
    const server = createServer((client) => this.relay(client));
    await new Promise((r) => server.listen(this.port, '127.0.0.1', r));
    this.port = server.address().port;
    this.server = server;
  }
  async refuse() {
    const server = this.server;
    this.server = undefined;
    for (const link of this.links) this.drop(link);
    if (server) await new Promise((r) => server.close(r));
  }
  freeze() {
    this.frozen = true;
  }
  thaw() {
    if (!this.frozen) return;
    this.frozen = false;
    for (const link of this.links) {
      for (const c of link.up.splice(0)) this.toDb(link, c);
      for (const c of link.down.splice(0)) link.client.write(c);
    }
  }
  cut(marker, mode) {
    return new Promise((fired) => this.triggers.push({ marker, mode, fired }));
  }
  relay(client) {
    const target = new URL(serverUrl);
    const upstream = connect(Number(target.port || 5432), target.hostname);
    const link = { client, upstream, up: [], down: [] };
    this.links.add(link);
    const close = () => this.drop(link);
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.on('data', (c) => (this.frozen ? link.up.push(c) : this.toDb(link, c)));
    upstream.on('data', (c) => {
      if (link.cutOnReply) {
        const fired = link.cutOnReply;
        this.drop(link);
        return fired();
      }
      if (this.frozen) return link.down.push(c);
      client.write(c);
    });
  }
  toDb(link, chunk) {
    const i = this.triggers.findIndex((t) => chunk.includes(t.marker));
    if (i >= 0) {
      const [t] = this.triggers.splice(i, 1);
      if (t.mode === 'before') {
        this.drop(link);
        return t.fired();
      }
      link.cutOnReply = t.fired;
    }
    link.upstream.write(chunk);
  }
  drop(link) {
    if (!this.links.delete(link)) return;
    link.client.destroy();
    link.upstream.destroy();
  }
}

function run(args, env, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: dir,
      env: { PATH: process.env.PATH, ADMIN_MFA_ENCRYPTION_KEY: 'cd'.repeat(32), ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('exit', (status) => (status === 0 ? resolve(out) : reject(new Error(`${args.join(' ')}: ${err}`))));
    child.stdin.end(input ?? '');
  });
}

/** `node dist/main` from the checkout; its output is kept line by line. */
async function launch(env, { waitReady = true } = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/main'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      ADMIN_MFA_ENCRYPTION_KEY: 'cd'.repeat(32),
      RUN_MIGRATIONS_ON_START: 'false',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      API_KEY_CACHE_TTL_MS: '600000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = [];
  child.stdout.setEncoding('utf8').on('data', (c) => output.push(c));
  child.stderr.setEncoding('utf8').on('data', (c) => output.push(c));
  const exit = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal, at: Date.now() })));
  const server = {
    port,
    child,
    exit,
    lines: () => output.join('').split('\n').filter(Boolean),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exit;
      }
    },
  };
  if (waitReady) {
    const deadline = Date.now() + 60_000;
    while ((await send(port, 'GET', '/health/ready')).status !== 200) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`not ready:\n${server.lines().join('\n')}`);
      await sleep(100);
    }
  }
  return server;
}

const newUser = (prefix) => ({
  oauth_provider: 'oauth:google',
  external_id: `${prefix}-${Math.random().toString(36).slice(2)}@example.com`,
});
const accountPath = (user) => `/v1/billing/accounts/${user.oauth_provider}/${encodeURIComponent(user.external_id)}`;
const isJson = (line) => {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
};
const level = (line) => (isJson(line) ? JSON.parse(line).level : undefined);
/** A stack trace in a log line: a `stack`/`err` field, or `\n    at …` frames (JSON-escaped or raw). */
const hasStack = (line) => /"stack"|"err"|\\n\s+at |^\s+at /.test(line);
// eslint-disable-next-line no-control-regex
const ansi = /\u001b\[/;

async function main() {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const name = `evidence_${process.pid}_${Date.now()}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const dbUrl = new URL(serverUrl);
  dbUrl.pathname = `/${name}`;
  const db = new pg.Client({ connectionString: dbUrl.toString() });
  const servers = [];
  const proxy = new Proxy();
  try {
    const cli = { DATABASE_URL: dbUrl.toString() };
    await run(['dist/cli', 'migrate'], cli);
    await run(
      ['dist/cli', 'create-admin', '--email', 'evidence@example.com', '--name', 'Evidence', '--password-stdin'],
      cli,
      'evidence-password-123',
    );
    const createKey = async () =>
      JSON.parse(
        await run(
          [
            'dist/cli',
            'key',
            'create',
            '--name',
            'Evidence',
            '--created-by',
            'evidence@example.com',
            '--env',
            'test',
            '--permission',
            'billing:read,billing:write,billing:admin',
            '--json',
          ],
          cli,
        ),
      ).plaintext_key;
    const key = await createKey();
    await db.connect();
    say(`checkout ${dir} at ${(await runGit(['rev-parse', '--short', 'HEAD'])).trim()}; database ${name}`);

    await proxy.start();
    const proxied = new URL(dbUrl);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const server = await launch({
      DATABASE_URL: proxied.toString(),
      DB_POOL_SIZE: '4',
      STRIPE_SECRET_KEY: 'sk_test_evidence123',
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_PUBLISHABLE_KEY: 'pk_test_evidence123',
      STRIPE_API_HOST: '127.0.0.1',
      STRIPE_API_PORT: String(await freePort()),
      STRIPE_API_PROTOCOL: 'http',
    });
    servers.push(server);
    const call = (method, path, body, extra = {}) =>
      send(server.port, method, path, { ...extra, headers: { 'X-API-Key': key, ...extra.headers }, body });
    const user = newUser('evidence');
    const created = await call('POST', '/v1/billing/accounts', { ...user, initial_balance_minor: 1_000 });
    say(`account created: ${created.status}`);
    const since = () => {
      const mark = server.lines().length;
      return () => server.lines().slice(mark);
    };
    const charge = (idem) =>
      call('POST', '/v1/billing/charges', { ...user, amount_minor: 3, description: 'evidence', idempotency_key: idem });
    const metricLines = async () =>
      (await send(server.port, 'GET', '/metrics')).body
        .split('\n')
        .filter((l) => /^billing_database/.test(l))
        .join('; ') || '(no billing_database_* metric)';

    if (want(1)) {
      say('\n## 1. deeply nested JSON');
      const nestedArray = (d) => `${'['.repeat(d)}${']'.repeat(d)}`;
      const nestedObject = (d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`;
      for (const [field, deep, label] of [
        ['metadata', nestedArray(5_000), 'metadata = array nested 5,000 deep'],
        ['description', nestedArray(2_000), 'description = array nested 2,000 deep'],
        ['metadata', nestedObject(5_000), 'metadata = object nested 5,000 deep'],
      ]) {
        const logs = since();
        const body = JSON.stringify({ ...user, amount_minor: 1, description: 'x', metadata: {}, idempotency_key: 'n' });
        const text = body.replace(field === 'metadata' ? '"metadata":{}' : '"description":"x"', `"${field}":${deep}`);
        const reply = await call('POST', '/v1/billing/charges', undefined, { raw: text });
        await sleep(300);
        const lines = logs();
        const stacks = lines.filter(hasStack);
        say(`POST /v1/billing/charges, ${label} (${text.length} bytes): ${brief(reply)}`);
        say(`  body: ${short(reply.body, 300)}`);
        say(`  log lines: ${lines.length}, with a stack trace: ${stacks.length}`);
        for (const l of lines.filter((l) => level(l) >= 50)) say(`  error line: ${short(redactKeys(l), 400)}`);
      }
    }

    if (want(2)) {
      say('\n## 2. signed Stripe webhooks of unexpected shape');
      const intentId = `pi_ev_${Date.now()}`;
      const [{ id: accountId }] = (await db.query('SELECT id FROM accounts WHERE external_id = $1', [user.external_id]))
        .rows;
      const intent = {
        id: intentId,
        object: 'payment_intent',
        amount: 500,
        currency: 'usd',
        metadata: { account_id: accountId, environment: 'test', uses: '10' },
      };
      const charge1 = { id: 'ch_ev1', object: 'charge', payment_intent: intentId, amount: 500, amount_refunded: 100 };
      for (const [label, event] of [
        [
          'well-formed payment_intent.succeeded (credits a purchase of ours, adopted from metadata)',
          { type: 'payment_intent.succeeded', data: { object: intent } },
        ],
        ['"data": []', { type: 'payment_intent.succeeded', data: [] }],
        ['"data": {"object": null}', { type: 'payment_intent.succeeded', data: { object: null } }],
        [
          'charge.refunded, amount_refunded 1.5',
          { type: 'charge.refunded', data: { object: { ...charge1, amount_refunded: 1.5 } } },
        ],
        [
          'charge.refunded, amount_refunded "100"',
          { type: 'charge.refunded', data: { object: { ...charge1, amount_refunded: '100' } } },
        ],
        ['customer.created (unhandled type), "data": []', { type: 'customer.created', data: [] }],
        [
          'well-formed charge.refunded (100 of 500) of that purchase',
          { type: 'charge.refunded', data: { object: charge1 } },
        ],
      ]) {
        const logs = since();
        const payload = JSON.stringify({
          id: `evt_ev_${Math.random().toString(36).slice(2)}`,
          object: 'event',
          api_version: Stripe.API_VERSION,
          created: Math.floor(Date.now() / 1000),
          livemode: false,
          ...event,
        });
        const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
        const reply = await send(server.port, 'POST', '/v1/billing/webhooks/stripe', {
          raw: payload,
          headers: { 'Stripe-Signature': signature },
        });
        await sleep(200);
        const lines = logs();
        say(
          `${label}: ${brief(reply)}  body: ${short(reply.body, 200)}  stack traces logged: ${lines.filter(hasStack).length}`,
        );
        for (const l of lines.filter((l) => level(l) >= 50).slice(0, 1)) say(`  error line: ${short(l, 400)}`);
      }
    }

    if (want(3)) {
      say('\n## 3. database outage (proxy refuses and drops every connection)');
      await call('POST', '/v1/billing/credits/check', user);
      const logs = since();
      await proxy.refuse();
      const N = 20;
      const replies = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          i % 2 ? call('GET', accountPath(user)) : call('POST', '/v1/billing/credits/check', user),
        ),
      );
      const summary = {};
      for (const r of replies)
        summary[brief(r).replace(/ in \d+ ms/, '')] = (summary[brief(r).replace(/ in \d+ ms/, '')] ?? 0) + 1;
      say(`${N} requests (10 credit checks, 10 account reads) during the outage: ${JSON.stringify(summary)}`);
      say(`  one body: ${short(replies[0].body, 300)}`);
      say(`  slowest answer: ${Math.max(...replies.map((r) => r.ms))} ms`);
      const ready = await send(server.port, 'GET', '/health/ready');
      say(`  /health/ready ${ready.status}, /health/live ${(await send(server.port, 'GET', '/health/live')).status}`);
      say(`  metrics during: ${await metricLines()}`);
      await sleep(500);
      const during = logs();
      say(
        `  log lines during the outage: ${during.length} (error level or above: ${during.filter((l) => level(l) >= 50).length}, with a stack trace: ${during.filter(hasStack).length})`,
      );
      for (const l of during.filter((l) => level(l) >= 50).slice(0, 2))
        say(`  error line: ${short(redactKeys(l), 500)}`);
      await proxy.start();
      const back = Date.now();
      let reply;
      do {
        reply = await call('POST', '/v1/billing/credits/check', user);
        if (reply.status !== 200) await sleep(200);
      } while (reply.status !== 200 && Date.now() - back < 30_000);
      await sleep(500);
      say(`  after the proxy is back: credit check ${reply.status} within ${Date.now() - back} ms`);
      say(`  metrics after: ${await metricLines()}`);
      const transitions = logs().filter((l) => /Database (unavailable|available again)/.test(l));
      say(`  outage transition lines: ${transitions.length}`);
      for (const l of transitions) say(`  ${short(l, 300)}`);
    }

    if (want(4)) {
      say('\n## 4. database frozen (proxy passes no bytes; connections stay open) for 10 s');
      await call('POST', '/v1/billing/credits/check', user);
      proxy.freeze();
      const started = Date.now();
      const thawAt = setTimeout(() => proxy.thaw(), 10_000);
      const replies = await Promise.all([
        call('GET', accountPath(user)),
        call('GET', accountPath(user)),
        call('POST', '/v1/billing/credits/check', user),
        call('POST', '/v1/billing/credits/check', user),
        charge(`frozen-${Date.now()}`),
      ]);
      clearTimeout(thawAt);
      proxy.thaw();
      say(`frozen at t=0, thawed at t=10 s (or when every request had its answer, if sooner)`);
      for (const [label, r] of [
        ['GET account', replies[0]],
        ['GET account', replies[1]],
        ['POST credits/check', replies[2]],
        ['POST credits/check', replies[3]],
        ['POST charges', replies[4]],
      ])
        say(`  ${label}: ${brief(r)}`);
      say(`  all answered ${Date.now() - started} ms after the freeze`);
    }

    if (want(5)) {
      say('\n## 5. connection dropped after the charge statement was sent (it committed)');
      await sleep(1_000);
      for (const mode of ['after', 'before']) {
        const idem = `cut-${mode}-${Date.now()}`;
        const cut = proxy.cut('billing_charge', mode);
        const reply = await charge(idem);
        await cut;
        const rows = (await db.query('SELECT id FROM charges WHERE idempotency_key = $1', [idem])).rows;
        say(`cut ${mode} the database answered: ${brief(reply)}; charges in the ledger for the key: ${rows.length}`);
        say(`  body: ${short(reply.body, 400)}`);
        for (let attempt = 1; attempt <= 5; attempt++) {
          const retry = await charge(idem);
          say(
            `  retry ${attempt} with the same idempotency key: ${brief(retry)}${retry.headers?.['x-existing-charge-id'] ? ` X-Existing-Charge-Id ${retry.headers['x-existing-charge-id'] === rows[0]?.id ? '= the committed charge' : retry.headers['x-existing-charge-id']}` : ''}`,
          );
          if (retry.status < 500) break;
          await sleep(300);
        }
        const after = (await db.query('SELECT id FROM charges WHERE idempotency_key = $1', [idem])).rows;
        say(`  charges for the key afterwards: ${after.length}`);
      }
      const mismatches = (
        await db
          .query(
            `SELECT a.id FROM accounts a
            WHERE a.balance_minor <> COALESCE((SELECT sum(amount_minor) FROM credits c WHERE c.account_id = a.id), 0)
                                   - COALESCE((SELECT sum(balance_debit_minor) FROM charges ch WHERE ch.account_id = a.id), 0)
               OR a.balance_minor < 0`,
          )
          .catch((e) => ({ rows: [{ error: e.message }] }))
      ).rows;
      say(`  accounts whose balance differs from credits − charges: ${JSON.stringify(mismatches)}`);
    }

    if (want(8)) {
      say('\n## 8. percent-encoded key in a URL path; key as X-Request-ID');
      const secret = key.slice(13);
      const logs = since();
      const encoded = key.replaceAll('_', '%5F');
      const r1 = await call('GET', `/v1/billing/accounts/oauth:x/${encoded}`);
      const r2 = await call('GET', `/no/route/${encoded}`);
      await sleep(500);
      const lines = logs();
      const secretForms = [secret, secret.replaceAll('_', '%5F')];
      const hide = (l) => secretForms.reduce((text, form) => text.split(form).join('<SECRET>'), l);
      const leaked = lines.filter((l) => secretForms.some((form) => l.includes(form.slice(0, 16))));
      say(`GET /v1/billing/accounts/oauth:x/cbk%5Ftest%5F…: ${r1.status}; GET /no/route/cbk%5Ftest%5F…: ${r2.status}`);
      say(`  log lines: ${lines.length}; lines containing the key's secret part: ${leaked.length}`);
      for (const l of lines) say(`  ${short(hide(l), 400)}`);
      const target = newUser('rid');
      await call('POST', '/v1/billing/accounts', target);
      const rid = await call(
        'POST',
        `${accountPath(target)}/suspend`,
        { reason: 'evidence' },
        { headers: { 'X-Request-ID': key } },
      );
      const echoed = rid.headers['x-request-id'];
      const audit = (
        await db
          .query(`SELECT request_id FROM admin_audit_log WHERE request_id ILIKE '%cbk%'`)
          .catch((e) => ({ rows: [{ error: e.message }] }))
      ).rows;
      say(
        `POST …/suspend with X-Request-ID = the admin's own key: ${rid.status}; X-Request-ID echoed: ${echoed === key ? 'the key, in full' : echoed}`,
      );
      say(
        `  admin_audit_log rows whose request_id contains "cbk": ${audit.length}${audit.length ? ` (${redactKeys(JSON.stringify(audit[0]))})` : ''}`,
      );
    }

    await server.kill();

    if (want(7)) {
      say('\n## 7. starting while the database is down (nothing listens at DATABASE_URL)');
      const dead = new URL(dbUrl);
      dead.hostname = '127.0.0.1';
      dead.port = String(await freePort());
      const started = Date.now();
      const s = await launch({ DATABASE_URL: dead.toString(), DB_STARTUP_TIMEOUT_MS: '20000' }, { waitReady: false });
      servers.push(s);
      let live;
      for (let i = 0; i < 40 && !(live?.status > 0); i++) {
        await sleep(250);
        live = await send(s.port, 'GET', '/health/live');
      }
      say(`/health/live ${Date.now() - started} ms after start: ${brief(live)}`);
      const ready = await send(s.port, 'GET', '/health/ready');
      say(`/health/ready: ${brief(ready)}  ${short(ready.body ?? '', 200)}`);
      const early = await send(s.port, 'POST', '/v1/billing/credits/check', {
        body: newUser('early'),
        headers: { 'X-API-Key': 'cbk_test_x' },
      });
      say(`POST /v1/billing/credits/check: ${brief(early)}`);
      const exit = await Promise.race([s.exit, sleep(120_000).then(() => undefined)]);
      const lines = s.lines();
      say(
        exit
          ? `exited after ${((exit.at - started) / 1000).toFixed(1)} s with code ${exit.code} (signal ${exit.signal}); DB_STARTUP_TIMEOUT_MS=20000 was set`
          : 'still running after 120 s',
      );
      say(
        `output: ${lines.length} lines, ${lines.filter(isJson).length} JSON, ${lines.filter((l) => ansi.test(l)).length} with ANSI colour codes`,
      );
      const retries = lines.filter((l) => /Retrying|Waiting for the database/.test(l));
      say(`retry lines: ${retries.length}; the first: ${short((retries[0] ?? '').replace(/\u001b/g, '\\e'), 300)}`);
      const show = lines.length > 6 ? [...lines.slice(0, 3), '…', ...lines.slice(-3)] : lines;
      for (const l of show) say(`  ${short(l.replace(/\u001b/g, '\\e'), 300)}`);
      await s.kill();
    }

    if (want(6)) {
      say('\n## 6. SIGTERM under load (16 keep-alive clients charging; SHUTDOWN_DRAIN_MS=1500)');
      for (const honour of [true, false])
        for (let round = 1; round <= 3; round++)
          say(
            `${honour ? 'clients honour readiness' : 'clients ignore readiness'}, run ${round}: ${await sigterm(dbUrl.toString(), key, db, honour)}`,
          );
      for (let round = 1; round <= 3; round++)
        say(
          `connection accepted before the listener closed, request sent after, run ${round}: ${await lateRequest(dbUrl.toString())}`,
        );
    }
  } finally {
    for (const s of servers) await s.kill();
    await proxy.refuse();
    await db.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/** The lifecycle test's scenario: SIGTERM after 100 acknowledged charges; what did clients get? */
async function sigterm(url, key, db, honourReadiness) {
  const server = await launch({ DATABASE_URL: url, SHUTDOWN_DRAIN_MS: '1500', SHUTDOWN_TIMEOUT_MS: '10000' });
  try {
    const user = newUser('sigterm');
    await send(server.port, 'POST', '/v1/billing/accounts', {
      headers: { 'X-API-Key': key },
      body: { ...user, initial_balance_minor: 1_000_000 },
    });
    const o = { sent: 0, answered: 0, afterSent: 0, afterAnswered: 0, acknowledged: [], failures: {} };
    let signalled = false;
    let endpointRemoved = false;
    let exited = false;
    void server.exit.then(() => (exited = true));
    let seq = 0;
    const worker = async (busy) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      let connected = false;
      try {
        while (!exited) {
          if (endpointRemoved && !connected) return;
          const after = signalled;
          o.sent++;
          if (after) o.afterSent++;
          const res = await send(server.port, 'POST', '/v1/billing/charges', {
            agent,
            headers: { 'X-API-Key': key },
            body: {
              ...user,
              amount_minor: 1,
              description: 'sigterm',
              idempotency_key: `s-${honourReadiness}-${seq++}`,
            },
          });
          if (res.status === 0) {
            connected = false;
            if (res.error === 'ECONNREFUSED' && exited) return;
            o.failures[res.error] = (o.failures[res.error] ?? 0) + 1;
            if (res.error === 'ECONNREFUSED') return;
          } else {
            connected = res.headers.connection !== 'close';
            o.answered++;
            if (after) o.afterAnswered++;
            if (res.status === 201) o.acknowledged.push(JSON.parse(res.body).charge_id);
            else o.failures[`HTTP ${res.status}`] = (o.failures[`HTTP ${res.status}`] ?? 0) + 1;
          }
          if (!busy) await sleep(150);
        }
      } finally {
        agent.destroy();
      }
    };
    const workers = Array.from({ length: 16 }, (_, i) => worker(i % 2 === 0));
    while (o.acknowledged.length < 100) await sleep(20);
    signalled = true;
    server.child.kill('SIGTERM');
    if (honourReadiness) {
      while ((await send(server.port, 'GET', '/health/ready')).status !== 503) await sleep(20);
      await sleep(200);
      endpointRemoved = true;
    }
    await Promise.all(workers);
    const exit = await server.exit;
    const rows = (
      await db.query(
        `SELECT c.id FROM charges c JOIN accounts a ON a.id = c.account_id WHERE a.oauth_provider = $1 AND a.external_id = $2`,
        [user.oauth_provider, user.external_id],
      )
    ).rows.map((r) => r.id);
    const same = rows.length === o.acknowledged.length && o.acknowledged.every((id) => rows.includes(id));
    return `${o.sent} sent, ${o.answered} answered (${o.afterSent} sent after SIGTERM, ${o.afterAnswered} answered); failures ${JSON.stringify(o.failures)}; exit code ${exit.code}; charges in the ledger = acknowledged: ${same}`;
  } finally {
    await server.kill();
  }
}

/** Connect while draining; send the request only once the listener refuses new connections. */
async function lateRequest(url) {
  const server = await launch({ DATABASE_URL: url, SHUTDOWN_DRAIN_MS: '300', SHUTDOWN_TIMEOUT_MS: '10000' });
  try {
    server.child.kill('SIGTERM');
    while ((await send(server.port, 'GET', '/health/ready')).status !== 503) await sleep(10);
    const socket = connect(server.port, '127.0.0.1');
    let answer = '';
    let outcome = 'open';
    socket.setEncoding('utf8').on('data', (c) => (answer += c));
    socket.on('error', (e) => (outcome = e.code ?? e.message));
    socket.on('close', () => (outcome = outcome === 'open' ? 'closed' : outcome));
    await new Promise((r) => socket.once('connect', r));
    while ((await send(server.port, 'GET', '/health/live', { timeoutMs: 2_000 })).error !== 'ECONNREFUSED')
      await sleep(10);
    socket.write('GET / HTTP/1.1\r\nHost: billing\r\n\r\n');
    const deadline = Date.now() + 15_000;
    while (outcome === 'open' && Date.now() < deadline) await sleep(20);
    const exit = await server.exit;
    return `connection ${outcome}; answer: ${answer ? JSON.stringify(answer.split('\r\n')[0]) : 'none'}; exit code ${exit.code}`;
  } finally {
    await server.kill();
  }
}

function runGit(args) {
  return new Promise((resolve) => {
    const child = spawn('git', args, { cwd: dir });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('exit', () => resolve(out));
  });
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(redactKeys(String(error.stack ?? error)));
    process.exit(1);
  },
);
