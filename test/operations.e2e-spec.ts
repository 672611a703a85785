import { get } from 'node:http';
import { type INestApplication, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer, Reflector } from '@nestjs/core';
import request from 'supertest';
import { ADMIN_ACCESS } from '../src/admin-auth/admin-access.js';
import { IS_PUBLIC, RequirePermission } from '../src/auth/decorators.js';
import { freePort, TcpProxy } from './utils/net.js';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';

/** The sample lines of a Prometheus exposition, as `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

function httpGet(url: string): Promise<{ status: number; body: string; type?: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }));
    }).on('error', reject);
  });
}

/** Every route the app serves and the permission its guards demand (`public`, `refused` or one permission). */
const ROUTE_PERMISSIONS: Record<string, string> = {
  'GET /': 'public',
  'GET /health': 'public',
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  'GET /metrics': 'public',
  'POST /v1/billing/webhooks/stripe': 'public',
  'GET /v1/billing/key': 'billing:read',
  'POST /v1/billing/credits/check': 'billing:read',
  'POST /v1/billing/charges': 'billing:write',
  'POST /v1/billing/credits': 'billing:write',
  'POST /v1/billing/accounts': 'billing:write',
  'GET /v1/billing/accounts/{oauth_provider}/{external_id}': 'billing:read',
  'GET /v1/billing/transactions': 'billing:read',
  'POST /v1/billing/holds': 'billing:write',
  'POST /v1/billing/holds/{hold_id}/capture': 'billing:write',
  'POST /v1/billing/holds/{hold_id}/release': 'billing:write',
  'GET /v1/billing/holds/{hold_id}': 'billing:read',
  'POST /v1/billing/charges/{charge_id}/refund': 'billing:write',
  'POST /v1/billing/purchases': 'billing:write',
  'GET /v1/billing/purchases/{payment_id}': 'billing:read',
  'GET /v1/billing/purchases/{payment_id}/status': 'billing:read',
  'POST /v1/billing/accounts/{oauth_provider}/{external_id}/suspend': 'billing:admin',
  'POST /v1/billing/accounts/{oauth_provider}/{external_id}/reactivate': 'billing:admin',
  'POST /v1/billing/accounts/{oauth_provider}/{external_id}/close': 'billing:admin',
  'POST /v1/billing/accounts/{oauth_provider}/{external_id}/adjustments': 'billing:admin',
  'GET /v1/billing/accounts/{oauth_provider}/{external_id}/audit': 'billing:admin',
  'GET /v1/billing/admin/audit': 'billing:admin',
  'GET /v1/analytics/usage': 'analytics:read',
  'GET /v1/analytics/revenue': 'analytics:read',
  // The admin console API: an operator session (never an API key) and its role.
  'POST /admin/api/auth/login': 'public',
  'POST /admin/api/auth/setup': 'public',
  'POST /admin/api/auth/mfa/enroll': 'console:pending',
  'POST /admin/api/auth/mfa/enroll/confirm': 'console:pending',
  'POST /admin/api/auth/mfa/verify': 'console:pending',
  'POST /admin/api/auth/reauth': 'console:viewer',
  'GET /admin/api/auth/me': 'console:viewer',
  'POST /admin/api/auth/logout': 'console:viewer',
  'POST /admin/api/auth/password': 'console:viewer',
  'POST /admin/api/auth/recovery-codes': 'console:viewer',
  'GET /admin/api/auth/sessions': 'console:viewer',
  'DELETE /admin/api/auth/sessions': 'console:viewer',
  'DELETE /admin/api/auth/sessions/{id}': 'console:viewer',
  'GET /admin/api/overview': 'console:viewer',
  'GET /admin/api/keys': 'console:viewer',
  'GET /admin/api/keys/{id}': 'console:viewer',
  'GET /admin/api/keys/{id}/usage': 'console:viewer',
  'POST /admin/api/keys': 'console:admin',
  'PATCH /admin/api/keys/{id}': 'console:admin',
  'POST /admin/api/keys/{id}/rotate': 'console:admin',
  'POST /admin/api/keys/{id}/revoke': 'console:admin',
  'GET /admin/api/accounts': 'console:viewer',
  'GET /admin/api/accounts/{id}': 'console:viewer',
  'GET /admin/api/accounts/{id}/ledger': 'console:viewer',
  'GET /admin/api/accounts/{id}/credit-checks': 'console:viewer',
  'POST /admin/api/accounts/{id}/suspend': 'console:admin',
  'POST /admin/api/accounts/{id}/reactivate': 'console:admin',
  'POST /admin/api/accounts/{id}/adjustments': 'console:admin',
  'POST /admin/api/accounts/{id}/close': 'console:super_admin',
  'GET /admin/api/analytics/usage': 'console:viewer',
  'GET /admin/api/analytics/revenue': 'console:viewer',
  'GET /admin/api/analytics/usage.csv': 'console:admin',
  'GET /admin/api/analytics/revenue.csv': 'console:admin',
  'GET /admin/api/analytics/auth-failures': 'console:viewer',
  'GET /admin/api/analytics/keys': 'console:viewer',
  'GET /admin/api/audit': 'console:viewer',
  'GET /admin/api/admin-users': 'console:super_admin',
  'POST /admin/api/admin-users': 'console:super_admin',
  'PATCH /admin/api/admin-users/{id}': 'console:super_admin',
  'POST /admin/api/admin-users/{id}/reset-mfa': 'console:super_admin',
  'POST /admin/api/admin-users/{id}/unlock': 'console:super_admin',
  'GET /admin/api/admin-users/{id}/sessions': 'console:super_admin',
  'DELETE /admin/api/admin-users/{id}/sessions': 'console:super_admin',
  'DELETE /admin/api/admin-users/{id}/sessions/{session_id}': 'console:super_admin',
};

/**
 * The routes of every controller, read from Nest's own route metadata (not from the OpenAPI
 * document), with the permission the global guards read from the same decorators.
 */
function routeTable(app: INestApplication): Record<string, string> {
  const reflector = app.get(Reflector);
  const join = (...parts: string[]): string =>
    '/' +
    parts
      .flatMap((p) => p.split('/'))
      .filter(Boolean)
      .map((p) => (p.startsWith(':') ? `{${p.slice(1)}}` : p))
      .join('/');
  const table: Record<string, string> = {};
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!controller?.prototype) continue;
      const base = (Reflect.getMetadata(PATH_METADATA, controller) as string | undefined) ?? '';
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        if (path === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const targets = [handler, controller];
        // Admin console routes take a session, not a key: their operator role (see admin-console-api.e2e-spec.ts).
        const console = reflector.getAllAndOverride(ADMIN_ACCESS, targets);
        const access = console
          ? console.kind === 'session'
            ? `console:${console.role}`
            : console.kind === 'pending'
              ? 'console:pending'
              : 'public'
          : reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)
            ? 'public'
            : (reflector.getAllAndOverride(RequirePermission, targets) ?? 'refused');
        table[`${method} ${join(base, path)}`] = access;
      }
    }
  }
  return table;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('operations: health, metrics, request ids, OpenAPI', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ METRICS_ENABLED: 'true', METRICS_PORT: '0', DOCS_ENABLED: 'true' });
  });
  afterAll(() => t.close());

  it('answers liveness, readiness and the SPEC /health while the database is up', async () => {
    const live = await request(t.http).get('/health/live');
    expect(live.status).toBe(200);
    expect(live.body).toEqual({ status: 'ok', info: {}, error: {}, details: {} });

    const ready = await request(t.http).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ok');
    expect(ready.body.info.lifecycle).toEqual({ status: 'up' });
    expect(ready.body.info.database.status).toBe('up');

    const legacy = await request(t.http).get('/health');
    expect(legacy.status).toBe(200);
    expect(legacy.body).toEqual({ status: 'healthy', database: 'connected' });
  });

  it('echoes a usable X-Request-ID and generates one otherwise', async () => {
    const given = await request(t.http).get('/health/live').set('X-Request-ID', 'trace-42.abc:def');
    expect(given.headers['x-request-id']).toBe('trace-42.abc:def');

    const none = await request(t.http).get('/health/live');
    expect(none.headers['x-request-id']).toMatch(UUID);

    // Unsafe (spaces, newlines, overlong) ids are replaced, never echoed into logs or headers.
    const unsafe = await request(t.http).get('/health/live').set('X-Request-ID', 'a b "c"');
    expect(unsafe.headers['x-request-id']).toMatch(UUID);
    const long = await request(t.http).get('/health/live').set('X-Request-ID', 'x'.repeat(129));
    expect(long.headers['x-request-id']).toMatch(UUID);

    // The id logged for a request is the id stored with what it did (admin audit rows).
    const admin = await t.createKey({ permissions: ['billing:write', 'billing:admin'] });
    const user = newUser('reqid');
    await request(t.http).post('/v1/billing/accounts').set('X-API-Key', admin.plaintextKey).send(user);
    const path = `/v1/billing/accounts/${user.oauth_provider}/${user.external_id}/adjustments`;
    const body = { amount_minor: 5, reason: 'goodwill', idempotency_key: 'rid-1' };
    const traced = await request(t.http)
      .post(path)
      .set('X-API-Key', admin.plaintextKey)
      .set('X-Request-ID', 'adj-trace-1')
      .send(body);
    expect(traced.status).toBe(201);
    expect(traced.body.request_id).toBe('adj-trace-1');
    const generated = await request(t.http)
      .post(path)
      .set('X-API-Key', admin.plaintextKey)
      .send({ ...body, idempotency_key: 'rid-2' });
    expect(generated.status).toBe(201);
    expect(generated.body.request_id).toBe(generated.headers['x-request-id']);
    expect(generated.body.request_id).toMatch(UUID);

    // Error responses carry it too.
    const denied = await request(t.http).post('/v1/billing/charges').set('X-Request-ID', 'req-401').send({});
    expect(denied.status).toBe(401);
    expect(denied.headers['x-request-id']).toBe('req-401');
  });

  it('exports HTTP series by route template and business counters after real traffic', async () => {
    const writer = await t.createKey();
    const reader = await t.createKey({ permissions: ['billing:read'] });
    const user = newUser('metrics');
    const poor = newUser('metrics-poor');
    const as = (key: string) => ({ 'X-API-Key': key });

    expect(
      (
        await request(t.http)
          .post('/v1/billing/accounts')
          .set(as(writer.plaintextKey))
          .send({ ...user, initial_balance_minor: 100 })
      ).status,
    ).toBe(201);
    const charge = { amount_minor: 5, currency: 'USD', description: 'msg' };
    // Free uses first (2 daily + 10 one-time), then balance: 13 successful charges.
    for (let i = 0; i < 13; i++) {
      const res = await request(t.http)
        .post('/v1/billing/charges')
        .set(as(writer.plaintextKey))
        .send({ ...user, ...charge, idempotency_key: `m-${i}` });
      expect(res.status).toBe(201);
    }
    expect(
      (
        await request(t.http)
          .post('/v1/billing/charges')
          .set(as(writer.plaintextKey))
          .send({ ...user, ...charge, idempotency_key: 'm-0' })
      ).status,
    ).toBe(409);
    expect(
      (
        await request(t.http)
          .post('/v1/billing/charges')
          .set(as(writer.plaintextKey))
          .send({ ...user, ...charge, amount_minor: 1_000 })
      ).status,
    ).toBe(402);
    expect(
      (
        await request(t.http)
          .post('/v1/billing/charges')
          .set(as(writer.plaintextKey))
          .send({ ...newUser('ghost'), ...charge })
      ).status,
    ).toBe(404);
    expect(
      (
        await request(t.http)
          .post('/v1/billing/credits')
          .set(as(writer.plaintextKey))
          .send({ ...user, amount_minor: 50, currency: 'USD', transaction_type: 'grant', description: 'promo' })
      ).status,
    ).toBe(201);

    expect(
      (await request(t.http).post('/v1/billing/credits/check').set(as(reader.plaintextKey)).send(user)).body.has_credit,
    ).toBe(true);
    await request(t.http).post('/v1/billing/accounts').set(as(writer.plaintextKey)).send(poor);
    // Exhaust the poor account's 12 free uses, then it has no credit.
    for (let i = 0; i < 12; i++) {
      await request(t.http)
        .post('/v1/billing/charges')
        .set(as(writer.plaintextKey))
        .send({ ...poor, ...charge });
    }
    expect(
      (await request(t.http).post('/v1/billing/credits/check').set(as(reader.plaintextKey)).send(poor)).body.has_credit,
    ).toBe(false);

    expect(
      (
        await request(t.http)
          .get(`/v1/billing/accounts/${user.oauth_provider}/${user.external_id}`)
          .set(as(reader.plaintextKey))
      ).status,
    ).toBe(200);
    expect((await request(t.http).get('/v1/billing/transactions').query(user)).status).toBe(401);
    expect(
      (await request(t.http).get('/v1/billing/transactions').query(user).set('X-API-Key', 'cbk_live_nope')).status,
    ).toBe(401);
    expect(
      (
        await request(t.http)
          .post('/v1/billing/charges')
          .set(as(reader.plaintextKey))
          .send({ ...user, ...charge })
      ).status,
    ).toBe(403);
    expect((await request(t.http).get('/no/such/route/12345')).status).toBe(404);
    const limited = await t.createKey({ rateLimitPerMinute: 1 });
    expect(
      (await request(t.http).get('/v1/billing/transactions').query(user).set(as(limited.plaintextKey))).status,
    ).toBe(200);
    expect(
      (await request(t.http).get('/v1/billing/transactions').query(user).set(as(limited.plaintextKey))).status,
    ).toBe(429);

    const res = await request(t.http).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = samples(res.text);

    expect(m.get('billing_charges_total{outcome="success"}')).toBe(13 + 12);
    expect(m.get('billing_charges_total{outcome="charge_exists"}')).toBe(1);
    expect(m.get('billing_charges_total{outcome="insufficient_credits"}')).toBe(1);
    expect(m.get('billing_charges_total{outcome="account_not_found"}')).toBe(1);
    expect(m.get('billing_credits_total{transaction_type="grant",outcome="success"}')).toBe(1);
    expect(m.get('billing_credited_amount_minor_total{transaction_type="grant"}')).toBe(50);
    expect(m.get('billing_credit_checks_total{has_credit="true"}')).toBe(1);
    expect(m.get('billing_credit_checks_total{has_credit="false"}')).toBe(1);
    expect(m.get('billing_auth_failures_total{reason="missing_api_key"}')).toBeGreaterThanOrEqual(1);
    expect(m.get('billing_auth_failures_total{reason="invalid_api_key"}')).toBe(1);
    expect(m.get('billing_auth_failures_total{reason="permission_denied"}')).toBe(1);
    expect(m.get('billing_auth_failures_total{reason="rate_limited"}')).toBe(1);

    expect(m.get('billing_http_requests_total{method="POST",route="/v1/billing/charges",status="201"}')).toBe(25);
    expect(m.get('billing_http_requests_total{method="POST",route="/v1/billing/charges",status="409"}')).toBe(1);
    expect(m.get('billing_http_requests_total{method="POST",route="/v1/billing/charges",status="403"}')).toBe(1);
    // Route template, not the raw path with the user's identity in it.
    expect(
      m.get(
        'billing_http_requests_total{method="GET",route="/v1/billing/accounts/:oauth_provider/:external_id",status="200"}',
      ),
    ).toBe(1);
    expect(res.text).not.toContain(user.external_id);
    expect(m.get('billing_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(res.text).not.toContain('/no/such/route');
    expect(
      m.get('billing_http_request_duration_seconds_count{method="POST",route="/v1/billing/charges",status="201"}'),
    ).toBe(25);
    expect(
      m.has(
        'billing_http_request_duration_seconds_bucket{le="0.1",method="POST",route="/v1/billing/charges",status="201"}',
      ),
    ).toBe(true);
    // Default process metrics come along.
    expect(m.has('process_resident_memory_bytes')).toBe(true);
  });

  it('documents every route with its permission at /docs', async () => {
    const ui = await request(t.http).get('/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger-ui');

    const doc = (await request(t.http).get('/docs-json')).body as {
      paths: Record<string, Record<string, { 'x-required-permission'?: string; security?: unknown[] }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.components.securitySchemes.api_key).toEqual({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    const permissions: Record<string, string> = {};
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item))
        permissions[`${method.toUpperCase()} ${path}`] = op['x-required-permission'] ?? 'MISSING';
    }
    // The full table: a new route, or a changed permission, must show up here in review.
    expect(permissions).toEqual(ROUTE_PERMISSIONS);
    // The document is complete: every route the app serves is in it, with what the guards enforce.
    expect(routeTable(t.app)).toEqual(ROUTE_PERMISSIONS);
    expect(doc.paths['/v1/billing/charges'].post.security).toEqual([{ api_key: [] }]);
  });
});

describe('operations: switches', () => {
  it('turns /docs off and moves /metrics to METRICS_PORT', async () => {
    const port = await freePort();
    const t = await createTestApp({ DOCS_ENABLED: 'false', METRICS_ENABLED: 'true', METRICS_PORT: String(port) });
    try {
      expect((await request(t.http).get('/docs')).status).toBe(404);
      expect((await request(t.http).get('/docs-json')).status).toBe(404);
      const main = await request(t.http).get('/metrics');
      expect(main.status).toBe(404);
      expect(main.body).toEqual({ detail: 'Cannot GET /metrics', code: 'not_found' });
      await request(t.http).get('/health/live');
      const side = await httpGet(`http://127.0.0.1:${port}/metrics`);
      expect(side.status).toBe(200);
      expect(side.body).toContain('billing_http_requests_total{method="GET",route="/health/live",status="200"} 1');
      expect((await httpGet(`http://127.0.0.1:${port}/`)).status).toBe(404);
    } finally {
      await t.close();
    }
    // Closed with the app.
    await expect(httpGet(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('METRICS_ENABLED=false hides /metrics', async () => {
    const t = await createTestApp({ DOCS_ENABLED: 'true', METRICS_ENABLED: 'false', METRICS_PORT: '0' });
    try {
      expect((await request(t.http).get('/metrics')).status).toBe(404);
    } finally {
      await t.close();
    }
  });
});

describe('operations: database down', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  beforeAll(async () => {
    const db = new URL(process.env.TEST_DB_URL!);
    proxy = new TcpProxy(db.hostname, Number(db.port || 5432));
    await proxy.start();
    db.hostname = '127.0.0.1';
    db.port = String(proxy.port);
    t = await createTestApp({ DATABASE_URL: db.toString(), METRICS_PORT: '0', DOCS_ENABLED: 'false' });
  });
  afterAll(async () => {
    await proxy.start();
    await t.close();
    await proxy.stop();
  });

  it('fails readiness and /health with 503 while liveness stays 200, and recovers', async () => {
    expect((await request(t.http).get('/health/ready')).status).toBe(200);
    await proxy.stop();

    const ready = await request(t.http).get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.status).toBe('error');
    expect(ready.body.error.database.status).toBe('down');
    expect(ready.body.info.lifecycle).toEqual({ status: 'up' });

    const legacy = await request(t.http).get('/health');
    expect(legacy.status).toBe(503);
    expect(legacy.body).toEqual({ status: 'unhealthy', database: 'disconnected' });

    const live = await request(t.http).get('/health/live');
    expect(live.status).toBe(200);

    await proxy.start();
    const back = await request(t.http).get('/health/ready');
    expect(back.status).toBe(200);
    expect(back.body.info.database.status).toBe('up');
  });
});
