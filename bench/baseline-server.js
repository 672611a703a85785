// The benchmark's yardstick: the service's hot paths on node:http + pg with no framework.
// Same SQL (imported from the build, so it cannot drift), same key check (format + checksum,
// SHA-256, in-memory record), named prepared statements, the same pool size. It is what the
// hardware allows for this work; `bench/run.js` reports the service as a ratio of it.
//
//   BENCH_DATABASE_URL=postgres://... PORT=8101 node bench/baseline-server.js
import { createServer } from 'node:http';
import pg from 'pg';
import { hashApiKey, isWellFormedApiKey } from '../dist/common/crypto/api-key-token.js';
import { CHARGE_SQL } from '../dist/billing/sql/charge.sql.js';
import { CREDIT_CHECK_SQL } from '../dist/billing/sql/credit-check.sql.js';
import { CAPTURE_HOLD_SQL, CREATE_HOLD_SQL } from '../dist/billing/sql/holds.sql.js';

const FREE_USES = 10;
const DAILY_FREE_USES = 2;
const PURCHASE_PRICE_MINOR = 500;
const PURCHASE_USES = 20;
const HOLD_DEFAULT_EXPIRES_IN_SECONDS = 300;

const pool = new pg.Pool({
  connectionString: process.env.BENCH_DATABASE_URL,
  max: Number(process.env.DB_POOL_SIZE ?? 20),
  application_name: 'ciris-bench-baseline',
});
const keys = new Map();
const lastUses = new Map();

const today = () => new Date().toISOString().slice(0, 10);
// pg gives a `date` as local midnight.
const dayOf = (d) =>
  d instanceof Date
    ? `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
    : String(d);

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function authenticate(req, permission) {
  const key = req.headers['x-api-key'];
  if (typeof key !== 'string' || !isWellFormedApiKey(key)) return null;
  const hash = hashApiKey(key);
  let record = keys.get(hash);
  if (!record) {
    const { rows } = await pool.query({
      name: 'baseline_key',
      text: 'SELECT id, name, environment, permissions, status FROM api_keys WHERE key_hash = $1',
      values: [hash],
    });
    record = rows[0];
    if (!record) return null;
    keys.set(hash, record);
  }
  if (record.status !== 'active' || !record.permissions.includes(permission)) return null;
  lastUses.set(record.id, { at: new Date(), ip: req.socket.remoteAddress });
  return record;
}

function readJson(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        resolve(null);
      }
    });
  });
}

const str = (v) => (typeof v === 'string' ? v : null);
const validIdentity = (b) =>
  b &&
  typeof b === 'object' &&
  typeof b.oauth_provider === 'string' &&
  b.oauth_provider.startsWith('oauth:') &&
  typeof b.external_id === 'string' &&
  b.external_id.length > 0;

async function creditCheck(key, body) {
  const values = [
    key.environment,
    body.oauth_provider,
    body.external_id,
    str(body.wa_id),
    str(body.tenant_id),
    str(body.customer_email),
    str(body.display_name),
    str(body.user_role),
    str(body.agent_id),
    'USD',
    FREE_USES,
    DAILY_FREE_USES,
    today(),
    key.id,
    JSON.stringify(body.context ?? {}),
    new Date().toISOString(),
  ];
  let { rows } = await pool.query({ name: 'baseline_credit_check', text: CREDIT_CHECK_SQL, values });
  if (rows.length === 0)
    ({ rows } = await pool.query({ name: 'baseline_credit_check', text: CREDIT_CHECK_SQL, values }));
  const a = rows[0];
  const active = a.status === 'active';
  const daily = dayOf(a.daily_free_uses_day) === values[12] ? a.daily_free_uses_remaining : a.daily_free_uses_limit;
  return {
    has_credit: a.has_credit,
    credits_remaining: active ? Number(a.balance_minor) - Number(a.hold_minor) : 0,
    plan_name: a.plan_name,
    reason: a.reason,
    free_uses_remaining: active ? a.free_uses_remaining - a.hold_free : 0,
    total_uses: Number(a.total_uses),
    purchase_required: active && !a.has_credit,
    purchase_price_minor: active && !a.has_credit ? PURCHASE_PRICE_MINOR : 0,
    purchase_uses: active && !a.has_credit ? PURCHASE_USES : 0,
    daily_free_uses_remaining: active ? daily - a.hold_daily : 0,
    daily_free_uses_limit: a.daily_free_uses_limit,
    held_minor: active ? Number(a.hold_minor) : 0,
    free_uses_held: active ? a.hold_free : 0,
    daily_free_uses_held: active ? a.hold_daily : 0,
  };
}

async function charge(key, body) {
  const { rows } = await pool.query({
    name: 'baseline_charge',
    text: CHARGE_SQL,
    values: [
      key.environment,
      body.oauth_provider,
      body.external_id,
      body.amount_minor,
      str(body.currency),
      str(body.idempotency_key),
      body.description,
      JSON.stringify(body.metadata ?? {}),
      today(),
      key.id,
      new Date().toISOString(),
    ],
  });
  const { charge: c, existing, account } = rows[0];
  if (!account) return [404, { detail: 'Account not found' }];
  if (existing) return [409, { detail: 'Charge already exists', charge_id: existing.id }];
  if (!c)
    return [402, { detail: `Insufficient credits. Balance: ${account.balance_minor}, Required: ${body.amount_minor}` }];
  return [
    201,
    {
      charge_id: c.id,
      account_id: c.account_id,
      amount_minor: Number(c.amount_minor),
      currency: c.currency,
      balance_after: Number(c.balance_after),
      created_at: new Date(c.created_at).toISOString(),
      description: c.description,
      metadata: c.metadata,
    },
  ];
}

async function createHold(key, body) {
  const now = new Date();
  const seconds = body.expires_in_seconds ?? HOLD_DEFAULT_EXPIRES_IN_SECONDS;
  const { rows } = await pool.query({
    name: 'baseline_hold_create',
    text: CREATE_HOLD_SQL,
    values: [
      key.environment,
      body.oauth_provider,
      body.external_id,
      body.amount_minor,
      str(body.currency),
      body.idempotency_key,
      body.description,
      JSON.stringify(body.metadata ?? {}),
      now.toISOString().slice(0, 10),
      now.toISOString(),
      new Date(now.getTime() + seconds * 1000).toISOString(),
      key.id,
    ],
  });
  const { hold: h, existing, account } = rows[0];
  if (!account) return [404, { detail: 'Account not found' }];
  if (existing) return [409, { detail: 'Hold already exists', hold_id: existing.id }];
  if (!h) return [402, { detail: `Insufficient credits. Required: ${body.amount_minor}` }];
  return [
    201,
    {
      hold_id: h.id,
      account_id: h.account_id,
      amount_minor: Number(h.amount_minor),
      currency: h.currency,
      funded_by: h.funded_by,
      status: h.status,
      expires_at: new Date(h.expires_at).toISOString(),
      created_at: new Date(h.created_at).toISOString(),
      description: h.description,
      metadata: h.metadata,
      ended_at: null,
      charge_id: null,
      captured_amount_minor: null,
    },
  ];
}

async function captureHold(key, holdId, body) {
  const now = new Date();
  const { rows } = await pool.query({
    name: 'baseline_hold_capture',
    text: CAPTURE_HOLD_SQL,
    values: [
      holdId,
      key.environment,
      Number.isInteger(body?.amount_minor) ? body.amount_minor : null,
      str(body?.description),
      body?.metadata ? JSON.stringify(body.metadata) : null,
      now.toISOString().slice(0, 10),
      now.toISOString(),
      key.id,
    ],
  });
  const { charge: c, hold } = rows[0];
  if (!hold) return [404, { detail: 'Hold not found' }];
  if (!c) return [409, { detail: 'Hold not capturable' }];
  return [
    201,
    {
      charge_id: c.id,
      account_id: c.account_id,
      amount_minor: Number(c.amount_minor),
      currency: c.currency,
      balance_after: Number(c.balance_after),
      created_at: new Date(c.created_at).toISOString(),
      description: c.description,
      metadata: c.metadata,
      hold_id: c.hold_id,
    },
  ];
}

const CAPTURE_PATH = /^\/v1\/billing\/holds\/([0-9a-f-]{36})\/capture$/;

async function handle(req, res) {
  const url = req.url;
  if (req.method === 'GET' && url === '/')
    return send(res, 200, { service: 'CIRIS Billing', version: '1.0.0', status: 'running' });
  if (req.method === 'GET' && url === '/v1/billing/key') {
    const key = await authenticate(req, 'billing:read');
    if (!key) return send(res, 401, { detail: 'Authentication failed: Invalid API key' });
    return send(res, 200, {
      key_id: key.id,
      name: key.name,
      environment: key.environment,
      permissions: key.permissions,
    });
  }
  if (req.method === 'POST' && (url === '/v1/billing/credits/check' || url === '/v1/billing/charges')) {
    const isCharge = url === '/v1/billing/charges';
    const key = await authenticate(req, isCharge ? 'billing:write' : 'billing:read');
    const body = await readJson(req);
    if (!key) return send(res, 401, { detail: 'Authentication failed: Invalid API key' });
    if (!validIdentity(body)) return send(res, 422, { detail: 'invalid body' });
    if (!isCharge) return send(res, 200, await creditCheck(key, body));
    if (
      !Number.isInteger(body.amount_minor) ||
      body.amount_minor < 1 ||
      typeof body.description !== 'string' ||
      !body.description
    ) {
      return send(res, 422, { detail: 'invalid body' });
    }
    const [status, out] = await charge(key, body);
    return send(res, status, out);
  }
  if (req.method === 'POST' && url === '/v1/billing/holds') {
    const key = await authenticate(req, 'billing:write');
    const body = await readJson(req);
    if (!key) return send(res, 401, { detail: 'Authentication failed: Invalid API key' });
    if (
      !validIdentity(body) ||
      !Number.isInteger(body.amount_minor) ||
      body.amount_minor < 1 ||
      typeof body.description !== 'string' ||
      !body.description ||
      typeof body.idempotency_key !== 'string'
    ) {
      return send(res, 422, { detail: 'invalid body' });
    }
    const [status, out] = await createHold(key, body);
    return send(res, status, out);
  }
  const capture = req.method === 'POST' ? CAPTURE_PATH.exec(url) : null;
  if (capture) {
    const key = await authenticate(req, 'billing:write');
    const body = await readJson(req);
    if (!key) return send(res, 401, { detail: 'Authentication failed: Invalid API key' });
    const [status, out] = await captureHold(key, capture[1], body ?? {});
    return send(res, status, out);
  }
  send(res, 404, { detail: 'Not Found' });
}

const server = createServer((req, res) => {
  handle(req, res).catch((error) => send(res, 500, { detail: String(error?.message ?? error) }));
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 8101), '127.0.0.1', () => {
  process.stdout.write(`baseline listening on ${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  void pool.end().finally(() => process.exit(0));
});
