// `npm run bench`: the service's hot paths against a framework-free baseline doing the same SQL.
// See docs/performance.md. Loopback only, bounded (< 3 minutes), never part of `npm test`.
//
// Environment: DATABASE_URL (a PostgreSQL server; a fresh database is created on it and dropped
// afterwards), else an embedded PostgreSQL in a temporary directory. BENCH_DURATION (s, default 10),
// BENCH_WARMUP (s, default 2), BENCH_CONNECTIONS (default 50), BENCH_HOT_CONNECTIONS (default 1000).
// For finding where time goes: BENCH_ONLY=credit_check,charge (scenario ids) and
// BENCH_SERVICE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" (profile written when the service stops).
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { displayPrefix, generateApiKey, hashApiKey } from '../dist/common/crypto/api-key-token.js';
import { createScratchDatabase } from '../dist/common/database/scratch-database.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const HOT_CONNECTIONS = Number(process.env.BENCH_HOT_CONNECTIONS ?? 1000);
const ACCOUNTS = 10_000;
const SEED_BALANCE = 1_000_000;
const HOT_BALANCE = 1_000_000_000;
const PROVIDER = 'oauth:bench';

const TARGETS = {
  creditCheckRatio: 0.35,
  chargeRatio: 0.45,
  p99Factor: 3,
  authRatio: 0.9,
  hotVsCharge: 0.5,
  rssMb: 250,
  startMs: 2000,
};

const LOAD_AT_START = loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------- database
async function prepareDatabase() {
  const t = Date.now();
  const db = await createScratchDatabase({ serverUrl: process.env.DATABASE_URL || undefined, prefix: 'ciris_bench' });
  log(`bench database ready in ${Date.now() - t} ms${process.env.DATABASE_URL ? '' : ' (embedded PostgreSQL)'}`);
  return db;
}

async function seed(db) {
  const admin = await db.query(
    `INSERT INTO admin_users (email, password_hash, full_name, role)
     VALUES ('bench@example.com', 'not-a-login', 'Bench', 'super_admin') RETURNING id`,
  );
  const apiKey = generateApiKey('live');
  await db.query(
    `INSERT INTO api_keys (name, environment, key_prefix, key_hash, permissions, created_by)
     VALUES ('bench agent', 'live', $1, $2, '{billing:read,billing:write}', $3)`,
    [displayPrefix(apiKey), hashApiKey(apiKey), admin.rows[0].id],
  );
  // Accounts with a balance recorded as a grant, so every balance equals its ledger from the start.
  await db.query(
    `WITH created AS (
       INSERT INTO accounts (environment, oauth_provider, external_id, balance_minor,
                             free_uses_remaining, daily_free_uses_limit, daily_free_uses_remaining, daily_free_uses_day)
       SELECT 'live', $1, 'user-' || i, $2::bigint, 10, 2, 2, (now() AT TIME ZONE 'UTC')::date
         FROM generate_series(0, $3::int - 1) AS i
       UNION ALL
       SELECT 'live', $1, h, $4::bigint, 10, 2, 2, (now() AT TIME ZONE 'UTC')::date FROM unnest(ARRAY['hot-service', 'hot-baseline']) AS h
       RETURNING id, balance_minor
     )
     INSERT INTO credits (account_id, environment, amount_minor, currency, transaction_type, description, balance_after)
     SELECT id, 'live', balance_minor, 'USD', 'grant', 'Bench seed', balance_minor FROM created`,
    [PROVIDER, SEED_BALANCE, ACCOUNTS, HOT_BALANCE],
  );
  await db.query('ANALYZE');
  return apiKey;
}

// ---------------------------------------------------------------- processes
/**
 * Output goes to a file, not a pipe into this process: the service logs one JSON line per request
 * (as deployed, at its default level), and reading that here would load the load generator.
 */
function startProcess(label, args, env) {
  const logDir = mkdtempSync(join(tmpdir(), `ciris-bench-${label}-`));
  const logFile = join(logDir, 'output.log');
  const fd = openSync(logFile, 'w');
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const output = () => {
    try {
      const text = readFileSync(logFile, 'utf8');
      return text.slice(-4000);
    } catch {
      return '';
    }
  };
  child.on('exit', (code, signal) => {
    if (!child.stopping) log(`${label} exited unexpectedly (${code ?? signal}):\n${output()}`);
    rmSync(logDir, { recursive: true, force: true });
  });
  return { child, started, output };
}

async function waitReady(proc, port, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`process exited: ${proc.output().slice(-2000)}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      if (res.ok) return Number(process.hrtime.bigint() - proc.started) / 1e6;
    } catch {
      // not listening yet
    }
    await sleep(10);
  }
  throw new Error(`not ready after ${timeoutMs} ms: ${proc.output().slice(-2000)}`);
}

async function stopProcess(proc) {
  if (proc.child.exitCode !== null) return;
  proc.child.stopping = true;
  const exited = new Promise((r) => proc.child.once('exit', r));
  proc.child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
}

function readStatusKb(pid, field) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+)`, 'm'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used: per-request CPU holds when a shared machine's load drifts. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

// ---------------------------------------------------------------- load
function scenarios(apiKey) {
  const json = { 'content-type': 'application/json', 'x-api-key': apiKey };
  const randomUser = () => `user-${Math.floor(Math.random() * ACCOUNTS)}`;
  let seq = 0;
  return [
    {
      id: 'credit_check',
      title: 'credit check (POST /v1/billing/credits/check)',
      requests: () => [
        {
          method: 'POST',
          path: '/v1/billing/credits/check',
          headers: json,
          setupRequest: (req) => ({
            ...req,
            body: JSON.stringify({
              oauth_provider: PROVIDER,
              external_id: randomUser(),
              context: { agent_id: 'bench-agent', channel_id: 'bench', request_id: `r${++seq}` },
            }),
          }),
        },
      ],
    },
    {
      id: 'charge',
      title: 'charge, unique idempotency keys (POST /v1/billing/charges)',
      requests: (server) => [
        {
          method: 'POST',
          path: '/v1/billing/charges',
          headers: json,
          setupRequest: (req) => ({
            ...req,
            body: JSON.stringify({
              oauth_provider: PROVIDER,
              external_id: randomUser(),
              amount_minor: 1,
              currency: 'USD',
              description: 'Agent message',
              idempotency_key: `${server}-${++seq}`,
              metadata: { message_id: `m${seq}`, agent_id: 'bench-agent' },
            }),
          }),
        },
      ],
    },
    {
      // An agent's interaction under a hold (docs/holds.md): reserve the worst case, then capture the
      // real cost. Two requests per interaction; each is counted.
      id: 'hold_capture',
      title: 'hold -> capture (POST /v1/billing/holds, then /holds/{id}/capture)',
      requests: (server) => [
        {
          method: 'POST',
          path: '/v1/billing/holds',
          headers: json,
          setupRequest: (req, context) => {
            context.holdId = undefined;
            return {
              ...req,
              body: JSON.stringify({
                oauth_provider: PROVIDER,
                external_id: randomUser(),
                amount_minor: 5,
                currency: 'USD',
                description: 'Agent message',
                idempotency_key: `${server}-hold-${++seq}`,
              }),
            };
          },
          onResponse: (status, body, context) => {
            if (status === 201) context.holdId = JSON.parse(body).hold_id;
          },
        },
        {
          method: 'POST',
          headers: json,
          // No hold to capture (the hold was refused): start the next interaction.
          setupRequest: (req, context) =>
            context.holdId && {
              ...req,
              path: `/v1/billing/holds/${context.holdId}/capture`,
              body: JSON.stringify({ amount_minor: 3, metadata: { message_id: `m${seq}` } }),
            },
        },
      ],
    },
    {
      id: 'hot_account',
      title: `charge, one hot account (${HOT_CONNECTIONS} connections)`,
      connections: HOT_CONNECTIONS,
      requests: (server) => [
        {
          method: 'POST',
          path: '/v1/billing/charges',
          headers: json,
          setupRequest: (req) => ({
            ...req,
            body: JSON.stringify({
              oauth_provider: PROVIDER,
              external_id: `hot-${server}`,
              amount_minor: 1,
              currency: 'USD',
              description: 'Agent message',
              idempotency_key: `${server}-hot-${++seq}`,
            }),
          }),
        },
      ],
    },
    {
      id: 'auth_route',
      title: 'authenticated, no DB (GET /v1/billing/key)',
      requests: () => [{ method: 'GET', path: '/v1/billing/key', headers: { 'x-api-key': apiKey } }],
    },
    {
      id: 'public_route',
      title: 'same without auth (GET /)',
      requests: () => [{ method: 'GET', path: '/' }],
    },
  ];
}

function drive(port, scenario, server, seconds) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections: scenario.connections ?? CONNECTIONS,
        duration: seconds,
        requests: scenario.requests(server),
        timeout: 10,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

function summarise(r) {
  return {
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    ok2xx: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

// ---------------------------------------------------------------- verification
/** Holds: the held totals on each account equal its active holds, and no hold was captured twice. */
async function verifyHolds(db) {
  const { rows } = await db.query(`
    SELECT count(*) FILTER (WHERE a.held_minor <> COALESCE(h.held, 0) OR a.held_minor > a.balance_minor)::int AS held_mismatched,
           (SELECT count(*)::int FROM holds) AS holds,
           (SELECT count(*)::int FROM holds WHERE status = 'captured') AS captured,
           (SELECT count(*)::int FROM charges WHERE hold_id IS NOT NULL) AS capture_charges
      FROM accounts a
      LEFT JOIN (SELECT account_id, sum(amount_minor) AS held FROM holds
                  WHERE status = 'active' AND funded_by = 'balance' GROUP BY 1) h ON h.account_id = a.id`);
  const r = rows[0];
  return { ...r, exact: r.held_mismatched === 0 && r.captured === r.capture_charges };
}

async function verify(db, hotCounts) {
  const ledger = await db.query(`
    SELECT count(*) FILTER (WHERE a.balance_minor <> COALESCE(cr.total, 0) - COALESCE(ch.total, 0))::int AS mismatched,
           count(*) FILTER (WHERE a.balance_minor < 0)::int AS negative,
           count(*)::int AS accounts
      FROM accounts a
      LEFT JOIN (SELECT account_id, sum(amount_minor) AS total FROM credits GROUP BY 1) cr ON cr.account_id = a.id
      LEFT JOIN (SELECT account_id, sum(balance_debit_minor) AS total FROM charges GROUP BY 1) ch ON ch.account_id = a.id`);
  const hot = await db.query(`
    SELECT a.external_id, a.balance_minor::float8 AS balance, a.total_uses::int AS uses, count(c.id)::int AS charges,
           COALESCE(sum(c.balance_debit_minor), 0)::float8 AS debited
      FROM accounts a LEFT JOIN charges c ON c.account_id = a.id
     WHERE a.external_id LIKE 'hot-%' GROUP BY a.id`);
  const checks = await db.query(`SELECT count(*)::int AS n FROM credit_checks`);
  const hotResults = hot.rows.map((h) => {
    const server = h.external_id.slice(4);
    const { ok: acknowledged, sent } = hotCounts[server];
    return {
      server,
      acknowledged_charges: acknowledged,
      sent_requests: sent,
      charges_in_db: h.charges,
      total_uses: h.uses,
      balance_ok: h.balance === HOT_BALANCE - h.debited,
      exact:
        h.charges >= acknowledged && h.charges <= sent && h.uses === h.charges && h.balance === HOT_BALANCE - h.debited,
    };
  });
  return { ...ledger.rows[0], credit_checks_recorded: checks.rows[0].n, hot: hotResults };
}

// ---------------------------------------------------------------- report
const fmt = (n, d = 0) => (n === null || n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d));

function table(rows, extra) {
  const head = [
    'scenario',
    'service req/s',
    'baseline req/s',
    'ratio',
    'svc p50/p99 ms',
    'base p50/p99 ms',
    'CPU us/req svc/base',
    'non-2xx svc/base',
    'svc peak RSS MB',
    'target',
    'met',
  ];
  const body = rows.map((r) => [
    r.title,
    fmt(r.service.rps),
    fmt(r.baseline.rps),
    fmt(r.ratio, 2),
    `${r.service.p50}/${r.service.p99}`,
    `${r.baseline.p50}/${r.baseline.p99}`,
    `${fmt(r.service.cpuUsPerReq)}/${fmt(r.baseline.cpuUsPerReq)}`,
    `${r.service.non2xx + r.service.errors}/${r.baseline.non2xx + r.baseline.errors}`,
    fmt(r.service.peakRssMb),
    r.target ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => String(b[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  const out = [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)];
  return `${out.join('\n')}\n\n${extra.join('\n')}`;
}

// ---------------------------------------------------------------- main
async function main() {
  const benchStarted = Date.now();
  const { url, drop } = await prepareDatabase();
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  let service;
  let baseline;
  try {
    const apiKey = await seed(db);
    log(`seeded ${ACCOUNTS} accounts in a fresh database`);

    const [servicePort, baselinePort] = [await freePort(), await freePort()];
    const nodeArgs = (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
    service = startProcess('service', [...nodeArgs, 'dist/main.js'], {
      DATABASE_URL: url,
      PORT: String(servicePort),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      // Production requires the key that seals operators' TOTP secrets (the console is not benched).
      ADMIN_MFA_ENCRYPTION_KEY: process.env.ADMIN_MFA_ENCRYPTION_KEY || 'be'.repeat(32),
    });
    const startMs = await waitReady(service, servicePort);
    log(`service ready in ${startMs.toFixed(0)} ms (spawn to first 200 on GET /)`);
    baseline = startProcess('baseline', ['bench/baseline-server.js'], {
      BENCH_DATABASE_URL: url,
      PORT: String(baselinePort),
    });
    await waitReady(baseline, baselinePort);

    const ports = { service: servicePort, baseline: baselinePort };
    // Acknowledged (2xx) and sent hot-account charges: requests still in flight when a run ends may
    // commit unacknowledged, so the exact count lies between the two.
    const hotCounts = { service: { ok: 0, sent: 0 }, baseline: { ok: 0, sent: 0 } };
    const rows = [];
    const only = process.env.BENCH_ONLY?.split(',');
    const list = scenarios(apiKey).filter((s) => !only || only.includes(s.id));
    for (const [index, scenario] of list.entries()) {
      // Alternate who goes first, so drift in the machine's speed does not favour one side.
      const order = index % 2 === 0 ? ['service', 'baseline'] : ['baseline', 'service'];
      const row = { id: scenario.id, title: scenario.title };
      for (const server of order) {
        const warm = await drive(ports[server], scenario, server, WARMUP);
        let peakRss = 0;
        const sampler =
          server === 'service'
            ? setInterval(() => (peakRss = Math.max(peakRss, readStatusKb(service.child.pid, 'VmRSS'))), 100)
            : undefined;
        const pid = (server === 'service' ? service : baseline).child.pid;
        const cpuBefore = cpuSeconds(pid);
        const result = await drive(ports[server], scenario, server, DURATION);
        const cpu = cpuSeconds(pid) - cpuBefore;
        clearInterval(sampler);
        if (scenario.id === 'hot_account') {
          hotCounts[server].ok += warm['2xx'] + result['2xx'];
          hotCounts[server].sent += warm.requests.sent + result.requests.sent;
        }
        row[server] = summarise(result);
        row[server].cpuUsPerReq = (cpu * 1e6) / Math.max(result.requests.total, 1);
        if (server === 'service') row.service.peakRssMb = peakRss / 1024;
        log(
          `${scenario.id} ${server}: ${row[server].rps} req/s p99 ${row[server].p99} ms, ${fmt(row[server].cpuUsPerReq)} us CPU/req, non-2xx ${row[server].non2xx}`,
        );
      }
      row.ratio = row.service.rps / row.baseline.rps;
      row.p99Factor = row.service.p99 / Math.max(row.baseline.p99, 1);
      rows.push(row);
    }

    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    const p99Ok = (r) => r.p99Factor <= TARGETS.p99Factor;
    const { credit_check: cc, charge: ch, hot_account: hot, auth_route: authed, public_route: open } = byId;
    if (cc) {
      cc.target = `>= ${TARGETS.creditCheckRatio * 100}% and p99 <= ${TARGETS.p99Factor}x`;
      cc.met = cc.ratio >= TARGETS.creditCheckRatio && p99Ok(cc);
    }
    if (ch) {
      ch.target = `>= ${TARGETS.chargeRatio * 100}% and p99 <= ${TARGETS.p99Factor}x`;
      ch.met = ch.ratio >= TARGETS.chargeRatio && p99Ok(ch);
    }
    if (hot) {
      hot.vsCharge = ch ? hot.service.rps / ch.service.rps : Number.NaN;
      hot.target = `exact, >= ${TARGETS.hotVsCharge * 100}% of charge`;
    }
    const authOverhead = authed && open ? authed.service.rps / open.service.rps : Number.NaN;
    if (authed) {
      authed.target = `>= ${TARGETS.authRatio * 100}% of GET /`;
      authed.met = authOverhead >= TARGETS.authRatio;
    }

    const peakHwmMb = readStatusKb(service.child.pid, 'VmHWM') / 1024;
    await stopProcess(service);
    await stopProcess(baseline);
    const verification = await verify(db, hotCounts);
    const hotExact = verification.hot.every((h) => h.exact);
    if (hot) hot.met = hotExact && hot.vsCharge >= TARGETS.hotVsCharge;
    const holdsVerified = await verifyHolds(db);
    const hc = byId.hold_capture;
    if (hc) {
      hc.target = `>= ${TARGETS.chargeRatio * 100}% and p99 <= ${TARGETS.p99Factor}x, exact`;
      hc.met = hc.ratio >= TARGETS.chargeRatio && p99Ok(hc) && holdsVerified.exact;
    }

    const checks = {
      ledger_equals_balances: verification.mismatched === 0,
      no_negative_balance: verification.negative === 0,
      hot_account_exact: hotExact,
      holds_exact: holdsVerified.exact,
      rss_under_target: peakHwmMb < TARGETS.rssMb,
      start_under_target: startMs < TARGETS.startMs,
    };
    const extra = [
      `auth overhead: service GET /v1/billing/key is ${fmt(authOverhead * 100, 1)}% of its GET / (target >= ${TARGETS.authRatio * 100}%)`,
      `hot account: service ${fmt(hot?.service.rps)} req/s = ${fmt(hot?.vsCharge * 100, 1)}% of its uncontended charge rate (target >= ${TARGETS.hotVsCharge * 100}%); exact: ${hotExact ? 'yes' : 'NO'} ` +
        `(${verification.hot.map((h) => `${h.server}: ${h.acknowledged_charges} acknowledged <= ${h.charges_in_db} rows = ${h.total_uses} uses <= ${h.sent_requests} sent`).join('; ')})`,
      `service peak RSS (VmHWM): ${fmt(peakHwmMb)} MB (target < ${TARGETS.rssMb}); start to ready: ${fmt(startMs)} ms (target < ${TARGETS.startMs})`,
      `verification: ${verification.accounts} accounts, ledger sums = balances: ${checks.ledger_equals_balances ? 'yes' : 'NO'} ` +
        `(${verification.mismatched} mismatched), negative balances: ${verification.negative}, credit checks recorded: ${verification.credit_checks_recorded}`,
      `holds: ${holdsVerified.holds} made, ${holdsVerified.captured} captured = ${holdsVerified.capture_charges} charges from captures, ` +
        `held totals = active holds: ${holdsVerified.held_mismatched === 0 ? 'yes' : 'NO'}`,
      `${DURATION} s per run after ${WARMUP} s warm-up, ${CONNECTIONS} connections (hot account: ${HOT_CONNECTIONS}), node ${process.version}, ` +
        `load average at start ${LOAD_AT_START}, total ${((Date.now() - benchStarted) / 1000).toFixed(0)} s`,
    ];
    const text = table(rows, extra);
    process.stdout.write(`\n${text}\n`);

    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(
      join(ROOT, 'bench', 'results', 'latest.json'),
      `${JSON.stringify(
        {
          at: new Date().toISOString(),
          node: process.version,
          settings: {
            duration_s: DURATION,
            warmup_s: WARMUP,
            connections: CONNECTIONS,
            hot_connections: HOT_CONNECTIONS,
            accounts: ACCOUNTS,
          },
          database: process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded',
          scenarios: rows,
          auth_overhead_ratio: authOverhead,
          hot_vs_charge_ratio: hot?.vsCharge ?? null,
          service_peak_rss_mb: peakHwmMb,
          service_start_to_ready_ms: startMs,
          verification: { ...verification, holds: holdsVerified },
          checks,
          table: text,
        },
        null,
        2,
      )}\n`,
    );
    if (!checks.ledger_equals_balances || !checks.no_negative_balance || !hotExact || !holdsVerified.exact) {
      process.exitCode = 1;
    }
  } finally {
    if (service) await stopProcess(service);
    if (baseline) await stopProcess(baseline);
    await db.end();
    await drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
