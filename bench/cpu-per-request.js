// CPU per request of the service process, for comparing builds on a shared (noisy) machine, where
// req/s moves with other load but the CPU a request costs the service does not (noise only adds to it,
// so the minimum over repetitions is the stable figure). See docs/performance.md.
//
//   node bench/cpu-per-request.js [build dir ...]
//
// Each build dir is a copy of `dist/` placed beside it in the repository root (e.g. `cp -r dist dist-a`,
// so `node_modules` and `package.json` resolve as for `dist/`); default: `dist`. Per repetition, the
// builds run alternately (A, B, A, B, ...), each in a fresh process (`NODE_ENV=production`, output to a
// file), and per scenario: CPU_WARMUP requests, then CPU_REQUESTS measured ones from autocannon at
// CPU_CONNECTIONS connections; CPU per request = (user + system of /proc/<pid>/stat after - before) /
// requests. Prints every figure and the minimum per build and scenario.
//
// Environment: DATABASE_URL (a PostgreSQL server: a scratch database is created on it and dropped
// afterwards), else an embedded PostgreSQL. CPU_REPS (default 3), CPU_REQUESTS (default 8000),
// CPU_WARMUP (default 2000), CPU_CONNECTIONS (default 20), CPU_SCENARIOS (default root,key,check,charge),
// CPU_NODE_ARGS (extra node arguments for the service). CPU_PROFILE_DIR: V8 CPU profiles of the measured
// requests only (bench/cpu-profile-agent.js, toggled around them), written there as
// <build>-<scenario>-<rep>.cpuprofile for bench/profile-summary.js; the profiler adds to the CPU figures.
// Loopback only, bounded by the request counts.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { displayPrefix, generateApiKey, hashApiKey } from '../dist/common/crypto/api-key-token.js';
import { createScratchDatabase } from '../test/utils/scratch-database.js';
import { freePort } from '../test/utils/free-port.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPS = Number(process.env.CPU_REPS ?? 3);
const REQUESTS = Number(process.env.CPU_REQUESTS ?? 8000);
const WARMUP = Number(process.env.CPU_WARMUP ?? 2000);
const CONNECTIONS = Number(process.env.CPU_CONNECTIONS ?? 20);
const ACCOUNTS = 1000;
const PROVIDER = 'oauth:bench';
const CLOCK_TICKS = 100;
const PROFILE_DIR = process.env.CPU_PROFILE_DIR;
/** Cleanup on SIGINT/SIGTERM: the running service and the scratch database. */
const cleanups = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    Promise.allSettled([...cleanups].map((c) => c())).finally(() => process.exit(130));
  });
}
const log = (msg) => process.stderr.write(`[cpu] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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
  await db.query(
    `WITH created AS (
       INSERT INTO accounts (environment, oauth_provider, external_id, balance_minor,
                             free_uses_remaining, daily_free_uses_limit, daily_free_uses_remaining, daily_free_uses_day)
       SELECT 'live', $1, 'user-' || i, 1000000000, 10, 2, 2, (now() AT TIME ZONE 'UTC')::date
         FROM generate_series(0, $2::int - 1) AS i
       RETURNING id, balance_minor
     )
     INSERT INTO credits (account_id, environment, amount_minor, currency, transaction_type, description, balance_after)
     SELECT id, 'live', balance_minor, 'USD', 'grant', 'Bench seed', balance_minor FROM created`,
    [PROVIDER, ACCOUNTS],
  );
  await db.query('ANALYZE');
  return apiKey;
}

function scenarios(apiKey) {
  const json = { 'content-type': 'application/json', 'x-api-key': apiKey };
  const user = () => `user-${Math.floor(Math.random() * ACCOUNTS)}`;
  let seq = 0;
  return {
    root: [{ method: 'GET', path: '/' }],
    key: [{ method: 'GET', path: '/v1/billing/key', headers: { 'x-api-key': apiKey } }],
    check: [
      {
        method: 'POST',
        path: '/v1/billing/credits/check',
        headers: json,
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({
            oauth_provider: PROVIDER,
            external_id: user(),
            context: { agent_id: 'bench-agent', channel_id: 'bench', request_id: `r${++seq}` },
          }),
        }),
      },
    ],
    charge: [
      {
        method: 'POST',
        path: '/v1/billing/charges',
        headers: json,
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({
            oauth_provider: PROVIDER,
            external_id: user(),
            amount_minor: 1,
            currency: 'USD',
            description: 'Agent message',
            idempotency_key: `cpu-${process.pid}-${Date.now()}-${++seq}`,
            metadata: { message_id: `m${seq}`, agent_id: 'bench-agent' },
          }),
        }),
      },
    ],
  };
}

/** [user, system] clock ticks the process has used. */
function cpuTicks(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return [Number(fields[11]), Number(fields[12])];
}

function drive(port, requests, amount) {
  return new Promise((resolve, reject) => {
    autocannon(
      { url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, amount, requests, timeout: 10 },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

async function startService(build, url) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ciris-cpu-'));
  const fd = openSync(join(dir, 'output.log'), 'w');
  const nodeArgs = (process.env.CPU_NODE_ARGS ?? '').split(' ').filter(Boolean);
  if (PROFILE_DIR) nodeArgs.push('--import', './bench/cpu-profile-agent.js');
  const child = spawn(process.execPath, [...nodeArgs, join(build, 'main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: url,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      ADMIN_MFA_ENCRYPTION_KEY: process.env.ADMIN_MFA_ENCRYPTION_KEY || 'be'.repeat(32),
      ...(PROFILE_DIR ? { BENCH_PROFILE_DIR: dir } : {}),
    },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`service did not start: ${readFileSync(join(dir, 'output.log'), 'utf8').slice(-2000)}`);
    }
    try {
      if ((await fetch(`http://127.0.0.1:${port}/`)).ok) break;
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
  const stop = async () => {
    cleanups.delete(stop);
    const exited = new Promise((r) => child.once('exit', r));
    if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.add(stop);
  let profiles = 0;
  /** Toggles the profiler; when it stops, waits for the profile and moves it to PROFILE_DIR/<name>. */
  const profile = async (name) => {
    child.kill('SIGUSR2');
    if (!name) return sleep(200);
    const file = join(dir, `${++profiles}.cpuprofile`);
    while (!existsSync(file)) await sleep(50);
    renameSync(file, join(PROFILE_DIR, `${name}.cpuprofile`));
  };
  return { child, port, stop, profile };
}

async function main() {
  const builds = process.argv.slice(2).length ? process.argv.slice(2) : ['dist'];
  for (const b of builds) {
    if (!existsSync(join(ROOT, b, 'main.js')))
      throw new Error(`${b}/main.js not found (build dirs sit in the repo root)`);
  }
  const wanted = (process.env.CPU_SCENARIOS ?? 'root,key,check,charge').split(',');
  const { url, drop } = await createScratchDatabase({
    serverUrl: process.env.DATABASE_URL || undefined,
    prefix: 'ciris_cpu',
  });
  cleanups.add(drop);
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const results = {};
  try {
    const all = scenarios(await seed(db));
    for (const name of wanted) if (!all[name]) throw new Error(`unknown scenario ${name}`);
    log(`${builds.join(' vs ')}: ${REPS} reps, ${WARMUP} + ${REQUESTS} requests, ${CONNECTIONS} connections`);
    for (let rep = 0; rep < REPS; rep++) {
      for (const build of builds) {
        const service = await startService(join(ROOT, build), url);
        try {
          for (const name of wanted) {
            await drive(service.port, all[name], WARMUP);
            if (PROFILE_DIR) await service.profile();
            const before = cpuTicks(service.child.pid);
            const result = await drive(service.port, all[name], REQUESTS);
            const after = cpuTicks(service.child.pid);
            const [user, system] = [after[0] - before[0], after[1] - before[1]];
            if (PROFILE_DIR) await service.profile(`${basename(build)}-${name}-${rep + 1}`);
            if (result.non2xx || result.errors || result.timeouts) {
              throw new Error(`${build} ${name}: ${result.non2xx} non-2xx, ${result.errors + result.timeouts} errors`);
            }
            const perRequest = (ticks) => ((ticks / CLOCK_TICKS) * 1e6) / result.requests.total;
            const us = perRequest(user + system);
            ((results[build] ??= {})[name] ??= []).push(us);
            log(
              `rep ${rep + 1} ${build} ${name}: ${us.toFixed(0)} us/request ` +
                `(user ${perRequest(user).toFixed(0)}, system ${perRequest(system).toFixed(0)}; ${result.requests.average} req/s)`,
            );
          }
        } finally {
          await service.stop();
        }
      }
    }
  } finally {
    await db.end();
    await drop();
  }
  const lines = [`CPU us/request (min; all reps), load average ${loadavg()[0].toFixed(1)}:`];
  for (const name of wanted) {
    const cells = builds.map((b) => {
      const v = results[b][name];
      return `${b} ${Math.min(...v).toFixed(0)} (${v.map((x) => x.toFixed(0)).join(' ')})`;
    });
    lines.push(`  ${name.padEnd(6)} ${cells.join('  |  ')}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
