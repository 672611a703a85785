import request from 'supertest';
import Stripe from 'stripe';
import { FakeStripe } from './utils/fake-stripe.js';
import { ledgerMismatches } from './utils/ledger.js';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';

/**
 * Hostile but well-formed input (issue #14 items 1, 2 and 8): never a 500, always a clear 4xx that
 * changes nothing, and nothing key-shaped kept as a request id.
 */

const WEBHOOK_SECRET = 'whsec_test_hostile_secret';
const WEBHOOK = '/v1/billing/webhooks/stripe';

/** `[[[…]]]` or `{"a":{"a":…}}` nested `depth` levels, as JSON text (never built as an object). */
const nestedArray = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const nestedObject = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('hostile input', () => {
  let t: TestApp;
  let stripe: FakeStripe;
  let agent: string;
  let admin: string;

  beforeAll(async () => {
    stripe = await new FakeStripe().start();
    t = await createTestApp({
      STRIPE_SECRET_KEY: 'sk_test_hostile123',
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_PUBLISHABLE_KEY: 'pk_test_hostile123',
      STRIPE_API_HOST: '127.0.0.1',
      STRIPE_API_PORT: String(stripe.port),
      STRIPE_API_PROTOCOL: 'http',
    });
    agent = (await t.createKey({ permissions: ['billing:read', 'billing:write'] })).plaintextKey;
    admin = (
      await t.createKey({ name: 'Hostile Admin', permissions: ['billing:read', 'billing:write', 'billing:admin'] })
    ).plaintextKey;
  });
  afterAll(async () => {
    await t.close();
    await stripe.stop();
  });

  describe('deeply nested JSON (item 1)', () => {
    const user = newUser('nested');
    const path = (action: string) =>
      `/v1/billing/accounts/${user.oauth_provider}/${encodeURIComponent(user.external_id)}${action}`;
    /** Every route that reads a JSON body, with a body whose one free-form field is replaced by `{}`. */
    const routes: [string, string, Record<string, unknown>][] = [
      ['POST', '/v1/billing/credits/check', { ...user, context: {} }],
      ['POST', '/v1/billing/charges', { ...user, amount_minor: 1, description: 'x', metadata: {} }],
      ['POST', '/v1/billing/credits', { ...user, amount_minor: 1, description: {} }],
      ['POST', '/v1/billing/accounts', { ...user, plan_name: {} }],
      ['POST', '/v1/billing/purchases', { ...user, customer_email: {} }],
      ['POST', path('/suspend'), { reason: {} }],
      ['POST', path('/reactivate'), { reason: {} }],
      ['POST', path('/close'), { reason: {} }],
      ['POST', path('/adjustments'), { amount_minor: 1, reason: {}, idempotency_key: 'n' }],
    ];

    beforeAll(async () => {
      const created = await request(t.http)
        .post('/v1/billing/accounts')
        .set('X-API-Key', agent)
        .send({ ...user, initial_balance_minor: 50 });
      expect(created.status).toBe(201);
    });

    it.each(routes)(
      '%s %s: 422 with a clear detail for arrays and objects nested thousands deep',
      async (method, url, body) => {
        const field = Object.keys(body).find((k) => JSON.stringify(body[k]) === '{}')!;
        for (const deep of [nestedArray(5_000), nestedObject(5_000), nestedArray(40)]) {
          const text = JSON.stringify(body).replace(`"${field}":{}`, `"${field}":${deep}`);
          expect(text.length).toBeLessThan(100_000);
          expect(method).toBe('POST');
          const res = await request(t.http)
            .post(url)
            .set('X-API-Key', admin)
            .set('Content-Type', 'application/json')
            .send(text);
          expect([res.status, res.body.code]).toEqual([422, 'validation_error']);
          expect(res.body.detail[0]).toMatchObject({ loc: ['body', field], type: 'json_too_deep' });
          expect(res.body.detail[0].msg).toMatch(/nested more than \d+ levels deep/);
        }
        // The whole body nested, and authentication still comes first.
        const whole = await request(t.http)
          .post(url)
          .set('X-API-Key', admin)
          .set('Content-Type', 'application/json')
          .send(nestedObject(5_000));
        expect([whole.status, whole.body.code]).toEqual([422, 'validation_error']);
        const anonymous = await request(t.http)
          .post(url)
          .set('Content-Type', 'application/json')
          .send(nestedArray(5_000));
        expect(anonymous.status).toBe(url.startsWith('/v1/billing/webhooks') ? 400 : 401);
      },
    );

    it('accepts nesting a real client could send (a dozen levels; unknown fields are dropped as always)', async () => {
      let metadata: Record<string, unknown> = { leaf: true };
      for (let i = 0; i < 12; i++) metadata = { level: metadata };
      metadata = { ...metadata, agent_id: 'agent-7' };
      const res = await request(t.http)
        .post('/v1/billing/charges')
        .set('X-API-Key', agent)
        .send({ ...user, amount_minor: 1, description: 'nested metadata', metadata, idempotency_key: 'nested-ok' });
      expect(res.status).toBe(201);
      expect(res.body.metadata).toEqual({ agent_id: 'agent-7' });
      expect(await ledgerMismatches(t.db)).toEqual([]);
    });
  });

  describe('signed Stripe webhooks of unexpected shape (item 2)', () => {
    /** Signs any JSON text exactly as Stripe would. */
    const deliver = (event: Record<string, unknown>) => {
      const payload = JSON.stringify({
        id: `evt_hostile_${Math.random().toString(36).slice(2)}`,
        object: 'event',
        api_version: Stripe.API_VERSION,
        created: Math.floor(Date.now() / 1000),
        livemode: false,
        ...event,
      });
      const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
      return request(t.http)
        .post(WEBHOOK)
        .set('Content-Type', 'application/json')
        .set('Stripe-Signature', signature)
        .send(payload);
    };
    const intent = { id: 'pi_hostile1', object: 'payment_intent', amount: 500, currency: 'usd', metadata: {} };
    const charge = {
      id: 'ch_hostile1',
      object: 'charge',
      payment_intent: 'pi_hostile1',
      amount: 500,
      amount_refunded: 100,
    };

    const malformed: [string, Record<string, unknown>][] = [
      ['data is an array', { type: 'payment_intent.succeeded', data: [] }],
      ['data.object is null', { type: 'payment_intent.succeeded', data: { object: null } }],
      ['no data', { type: 'payment_intent.payment_failed' }],
      ['data.object is a string', { type: 'payment_intent.canceled', data: { object: 'pi_1' } }],
      ['intent without id', { type: 'payment_intent.succeeded', data: { object: { ...intent, id: undefined } } }],
      ['intent amount a string', { type: 'payment_intent.succeeded', data: { object: { ...intent, amount: '500' } } }],
      ['intent amount fractional', { type: 'payment_intent.succeeded', data: { object: { ...intent, amount: 1.5 } } }],
      [
        'intent currency a number',
        { type: 'payment_intent.succeeded', data: { object: { ...intent, currency: 840 } } },
      ],
      ['intent metadata an array', { type: 'payment_intent.succeeded', data: { object: { ...intent, metadata: [] } } }],
      [
        'failed intent with a numeric error',
        { type: 'payment_intent.payment_failed', data: { object: { ...intent, last_payment_error: 7 } } },
      ],
      ['refund amount fractional', { type: 'charge.refunded', data: { object: { ...charge, amount_refunded: 1.5 } } }],
      ['refund amount a string', { type: 'charge.refunded', data: { object: { ...charge, amount_refunded: '100' } } }],
      ['refund amount negative', { type: 'charge.refunded', data: { object: { ...charge, amount_refunded: -1 } } }],
      [
        'refund amount beyond bigint',
        { type: 'charge.refunded', data: { object: { ...charge, amount_refunded: 1e300 } } },
      ],
      [
        'refund of a numeric payment intent',
        { type: 'charge.refunded', data: { object: { ...charge, payment_intent: 5 } } },
      ],
      ['charge amount missing', { type: 'charge.refunded', data: { object: { ...charge, amount: undefined } } }],
      ['livemode a string', { type: 'payment_intent.succeeded', livemode: 'false', data: { object: intent } }],
      ['type a number', { type: 42, data: { object: intent } }],
      ['no id', { id: null, type: 'payment_intent.succeeded', data: { object: intent } }],
    ];

    it.each(malformed)('%s: 400 invalid_webhook_payload, nothing changes', async (_, event) => {
      const res = await deliver(event);
      expect([res.status, res.body.code]).toEqual([400, 'invalid_webhook_payload']);
      expect(res.body.detail).toMatch(/^Stripe event has an unexpected shape: /);
    });

    it('acknowledges (200) and ignores a type it does not handle, whatever its data', async () => {
      for (const data of [[], { object: null }, { object: { weird: [[[]]] } }]) {
        const res = await deliver({ type: 'customer.created', data });
        expect([res.status, res.body]).toEqual([200, { received: true }]);
      }
    });

    it('still handles a well-formed event (a refund of an unknown intent changes nothing)', async () => {
      const res = await deliver({ type: 'charge.refunded', data: { object: charge } });
      expect([res.status, res.body]).toEqual([200, { received: true }]);
      expect(await ledgerMismatches(t.db)).toEqual([]);
    });
  });

  describe('key-shaped request ids (item 8)', () => {
    it('never keeps an API key given as X-Request-ID: a new id is generated and stored in the audit row', async () => {
      const user = newUser('rid');
      await request(t.http).post('/v1/billing/accounts').set('X-API-Key', agent).send(user).expect(201);
      const path = `/v1/billing/accounts/${user.oauth_provider}/${encodeURIComponent(user.external_id)}/suspend`;
      for (const id of [admin, `trace-${admin}`, admin.slice(0, 30), admin.replace('cbk_', 'CBK_')]) {
        const res = await request(t.http)
          .post(path)
          .set('X-API-Key', admin)
          .set('X-Request-ID', id)
          .send({ reason: 'rid test' });
        expect([200, 409]).toContain(res.status);
        const echoed = res.headers['x-request-id'] as string;
        expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
        if (res.status === 200) expect(res.body.request_id).toBe(echoed);
      }
      const rows = (await t.db.query(
        `SELECT request_id FROM admin_audit_log WHERE request_id ILIKE '%cbk%'`,
      )) as unknown[];
      expect(rows).toEqual([]);
      // A harmless id is still kept.
      const kept = await request(t.http)
        .get('/v1/billing/key')
        .set('X-API-Key', agent)
        .set('X-Request-ID', 'trace-0042');
      expect(kept.headers['x-request-id']).toBe('trace-0042');
    });
  });
});
