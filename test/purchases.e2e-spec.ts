import request from 'supertest';
import { FakeStripe, signedEvent, type FakeIntent } from './utils/fake-stripe.js';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';

const WEBHOOK_SECRET = 'whsec_test_fake_secret';
const WEBHOOK = '/v1/billing/webhooks/stripe';

describe('purchases without Stripe configured', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ STRIPE_SECRET_KEY: '', STRIPE_WEBHOOK_SECRET: '', STRIPE_PUBLISHABLE_KEY: '' });
  });
  afterAll(() => t.close());

  it('answers 503 on purchase routes and keeps the rest of the service working', async () => {
    const key = (await t.createKey()).plaintextKey;
    const user = newUser();
    const notConfigured = { detail: 'Payment provider not configured', code: 'payment_provider_not_configured' };

    const create = await request(t.http)
      .post('/v1/billing/purchases')
      .set('X-API-Key', key)
      .send({ ...user, customer_email: 'a@example.com' });
    expect(create.status).toBe(503);
    expect(create.body).toEqual(notConfigured);

    const status = await request(t.http).get('/v1/billing/purchases/pi_123/status').set('X-API-Key', key);
    expect(status.status).toBe(503);
    expect(status.body).toEqual(notConfigured);

    const webhook = await request(t.http).post(WEBHOOK).set('Content-Type', 'application/json').send('{}');
    expect(webhook.status).toBe(503);
    expect(webhook.body).toEqual(notConfigured);

    const check = await request(t.http).post('/v1/billing/credits/check').set('X-API-Key', key).send(user);
    expect(check.status).toBe(200);
    expect(check.body.has_credit).toBe(true);
  });
});

describe('purchases with Stripe', () => {
  let t: TestApp;
  let stripe: FakeStripe;
  let key: string;

  beforeAll(async () => {
    stripe = await new FakeStripe().start();
    t = await createTestApp({
      STRIPE_SECRET_KEY: 'sk_test_fake123',
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_PUBLISHABLE_KEY: 'pk_test_fake123',
      STRIPE_API_HOST: '127.0.0.1',
      STRIPE_API_PORT: String(stripe.port),
      STRIPE_API_PROTOCOL: 'http',
      PURCHASE_PRICE_MINOR: '500',
      PURCHASE_USES: '20',
      FREE_USES_PER_ACCOUNT: '0',
      DAILY_FREE_USES: '0',
    });
    key = (await t.createKey()).plaintextKey;
  });
  afterAll(async () => {
    await t.close();
    await stripe.stop();
  });

  const purchase = (user: object, apiKey = key, extra: object = {}) =>
    request(t.http)
      .post('/v1/billing/purchases')
      .set('X-API-Key', apiKey)
      .send({ ...user, customer_email: 'buyer@example.com', ...extra });

  const deliver = (
    type: string,
    object: object,
    options: { livemode?: boolean; secret?: string; id?: string } = {},
  ) => {
    const { payload, signature } = signedEvent(type, object, options.secret ?? WEBHOOK_SECRET, options);
    return request(t.http)
      .post(WEBHOOK)
      .set('Content-Type', 'application/json')
      .set('Stripe-Signature', signature)
      .send(payload);
  };

  /** Stripe moved the intent to succeeded; returns the object a payment_intent.succeeded event carries. */
  const pay = (paymentId: string): FakeIntent =>
    stripe.update(paymentId, { status: 'succeeded', amount_received: stripe.intents.get(paymentId)!.amount });

  const purchaseCredits = async (paymentId: string) =>
    (await t.db.query(`SELECT * FROM credits WHERE external_transaction_id = $1 ORDER BY created_at`, [
      paymentId,
    ])) as Array<{
      amount_minor: string;
      transaction_type: string;
      idempotency_key: string;
      balance_after: string;
    }>;

  const balanceOf = async (user: { oauth_provider: string; external_id: string }) => {
    const res = await request(t.http)
      .get(`/v1/billing/accounts/${encodeURIComponent(user.oauth_provider)}/${encodeURIComponent(user.external_id)}`)
      .set('X-API-Key', key);
    expect(res.status).toBe(200);
    return res.body.balance_minor as number;
  };

  /** Balance = sum(credits) - sum(charge debits), the ledger invariant. */
  const expectLedgerBalanced = async (accountId: string) => {
    const [row] = (await t.db.query(
      `SELECT a.balance_minor,
              (SELECT COALESCE(SUM(amount_minor), 0) FROM credits WHERE account_id = a.id)
            - (SELECT COALESCE(SUM(balance_debit_minor), 0) FROM charges WHERE account_id = a.id) AS ledger
         FROM accounts a WHERE a.id = $1`,
      [accountId],
    )) as Array<{ balance_minor: string; ledger: string }>;
    expect(Number(row.balance_minor)).toBe(Number(row.ledger));
  };

  /** A purchase created through the API and paid at Stripe; returns its id and account. */
  const paidPurchase = async () => {
    const user = newUser('buyer');
    const created = await purchase(user);
    expect(created.status).toBe(201);
    const intent = pay(created.body.payment_id as string);
    return { user, paymentId: intent.id, intent, accountId: intent.metadata.account_id };
  };

  describe('POST /v1/billing/purchases', () => {
    it('creates the account and a PaymentIntent, records it pending and returns SPEC §7 body', async () => {
      const user = newUser();
      const res = await purchase(user, key, { return_url: 'https://agent.example.com/paid' });
      expect(res.status).toBe(201);
      const intent = stripe.intents.get(res.body.payment_id as string)!;
      expect(res.body).toEqual({
        payment_id: intent.id,
        client_secret: intent.client_secret,
        amount_minor: 500,
        currency: 'USD',
        uses_purchased: 20,
        status: 'requires_payment_method',
        publishable_key: 'pk_test_fake123',
      });

      const account = await request(t.http)
        .get(`/v1/billing/accounts/${encodeURIComponent(user.oauth_provider)}/${encodeURIComponent(user.external_id)}`)
        .set('X-API-Key', key);
      expect(account.status).toBe(200);
      expect(account.body.customer_email).toBe('buyer@example.com');

      expect(intent.amount).toBe(500);
      expect(intent.currency).toBe('usd');
      expect(intent.receipt_email).toBe('buyer@example.com');
      expect(intent.metadata).toEqual({
        account_id: account.body.account_id,
        oauth_provider: user.oauth_provider,
        external_id: user.external_id,
        environment: 'test',
        uses: '20',
      });
      const sent = stripe.requests.find(
        (r) => r.method === 'POST' && r.form.get('metadata[account_id]') === account.body.account_id,
      )!;
      expect(sent.authorization).toBe('Bearer sk_test_fake123');
      expect(sent.idempotencyKey).toMatch(/^ciris-purchase-[0-9a-f]{64}$/);

      const [row] = (await t.db.query(`SELECT * FROM purchases WHERE payment_id = $1`, [intent.id])) as Array<
        Record<string, unknown>
      >;
      expect(row).toMatchObject({
        account_id: account.body.account_id,
        environment: 'test',
        amount_minor: '500',
        currency: 'USD',
        uses_purchased: '20',
        status: 'pending',
        return_url: 'https://agent.example.com/paid',
        credit_id: null,
      });
    });

    it('a retried request gets the same PaymentIntent (Stripe idempotency key) and one purchase row', async () => {
      const user = newUser();
      const first = await purchase(user, key, { idempotency_key: 'attempt-1' });
      const again = await purchase(user, key, { idempotency_key: 'attempt-1' });
      const other = await purchase(user, key, { idempotency_key: 'attempt-2' });
      expect([first.status, again.status, other.status]).toEqual([201, 201, 201]);
      expect(again.body.payment_id).toBe(first.body.payment_id);
      expect(other.body.payment_id).not.toBe(first.body.payment_id);
      const rows = (await t.db.query(
        `SELECT count(*)::int AS n FROM purchases p JOIN accounts a ON a.id = p.account_id WHERE a.external_id = $1`,
        [user.external_id],
      )) as Array<{ n: number }>;
      expect(rows[0].n).toBe(2);
    });

    it('validates the body (422) and needs billing:write (403)', async () => {
      const missingEmail = await request(t.http).post('/v1/billing/purchases').set('X-API-Key', key).send(newUser());
      expect(missingEmail.status).toBe(422);
      expect(missingEmail.body.detail[0].loc).toEqual(['body', 'customer_email']);

      const readOnly = (await t.createKey({ permissions: ['billing:read'] })).plaintextKey;
      const forbidden = await purchase(newUser(), readOnly);
      expect(forbidden.status).toBe(403);
      expect(forbidden.body.detail).toBe('Missing required permission: billing:write');
    });

    it('refuses a closed account (403) without asking Stripe', async () => {
      const user = newUser();
      const account = await request(t.http).post('/v1/billing/accounts').set('X-API-Key', key).send(user);
      await t.db.query(`UPDATE accounts SET status = 'closed' WHERE id = $1`, [account.body.account_id]);
      const before = stripe.requests.length;
      const res = await purchase(user);
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ detail: 'Account is closed', code: 'account_closed' });
      expect(stripe.requests.length).toBe(before);
    });

    it('refuses a live key while Stripe is in test mode: test money never funds live accounts', async () => {
      const live = (await t.createKey({ environment: 'live' })).plaintextKey;
      const res = await purchase(newUser(), live);
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        detail: 'Payment provider not configured for live mode',
        code: 'payment_provider_mode_mismatch',
      });
    });
  });

  it('answers 503 when Stripe fails, and records nothing', async () => {
    const unavailable = { detail: 'Payment provider unavailable', code: 'payment_provider_unavailable' };
    const user = newUser();
    stripe.failNext();
    const create = await purchase(user);
    expect(create.status).toBe(503);
    expect(create.body).toEqual(unavailable);
    const rows = (await t.db.query(
      `SELECT 1 FROM purchases p JOIN accounts a ON a.id = p.account_id WHERE a.external_id = $1`,
      [user.external_id],
    )) as unknown[];
    expect(rows).toHaveLength(0);

    const created = await purchase(user);
    expect(created.status).toBe(201);
    stripe.failNext();
    const status = await request(t.http).get(`/v1/billing/purchases/${created.body.payment_id}`).set('X-API-Key', key);
    expect(status.status).toBe(503);
    expect(status.body).toEqual(unavailable);
  });

  describe('GET /v1/billing/purchases/{payment_id}', () => {
    it('returns Stripe status plus credits_added from the ledger, on both paths', async () => {
      const user = newUser();
      const created = await purchase(user);
      const id = created.body.payment_id as string;
      const expected = {
        ...created.body,
        status: 'requires_payment_method',
        credits_added: 0,
        credits_refunded: 0,
      };
      for (const path of [`/v1/billing/purchases/${id}`, `/v1/billing/purchases/${id}/status`]) {
        const res = await request(t.http).get(path).set('X-API-Key', key);
        expect(res.status).toBe(200);
        expect(res.body).toEqual(expected);
      }

      pay(id);
      const paidNotCredited = await request(t.http)
        .get(`/v1/billing/purchases/${id}/status`)
        .query(user)
        .set('X-API-Key', key);
      expect(paidNotCredited.status).toBe(200);
      expect(paidNotCredited.body).toEqual({ ...expected, status: 'succeeded' });

      expect((await deliver('payment_intent.succeeded', stripe.intents.get(id)!)).status).toBe(200);
      const credited = await request(t.http).get(`/v1/billing/purchases/${id}`).query(user).set('X-API-Key', key);
      expect(credited.body).toEqual({ ...expected, status: 'succeeded', credits_added: 20 });
    });

    it('404 for an unknown payment, another account, or the other environment', async () => {
      const user = newUser();
      const created = await purchase(user);
      const id = created.body.payment_id as string;
      const notFound = { detail: 'Purchase not found', code: 'purchase_not_found' };

      const unknown = await request(t.http).get('/v1/billing/purchases/pi_doesnotexist').set('X-API-Key', key);
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual(notFound);

      const otherAccount = await request(t.http)
        .get(`/v1/billing/purchases/${id}`)
        .query(newUser())
        .set('X-API-Key', key);
      expect(otherAccount.status).toBe(404);
      expect(otherAccount.body).toEqual(notFound);

      const live = (await t.createKey({ environment: 'live' })).plaintextKey;
      const otherEnvironment = await request(t.http)
        .get(`/v1/billing/purchases/${id}`)
        .query(user)
        .set('X-API-Key', live);
      expect(otherEnvironment.status).toBe(404);
      expect(otherEnvironment.body).toEqual(notFound);

      stripe.intents.delete(id); // Stripe no longer knows it (e.g. the key now points at another Stripe account)
      const forgotten = await request(t.http).get(`/v1/billing/purchases/${id}`).set('X-API-Key', key);
      expect(forgotten.status).toBe(404);
      expect(forgotten.body).toEqual(notFound);

      const halfIdentity = await request(t.http)
        .get(`/v1/billing/purchases/${id}`)
        .query({ oauth_provider: user.oauth_provider })
        .set('X-API-Key', key);
      expect(halfIdentity.status).toBe(422);
    });
  });

  describe('POST /v1/billing/webhooks/stripe', () => {
    it('payment_intent.succeeded credits the purchased uses once; a redelivery changes nothing', async () => {
      const { user, paymentId, intent, accountId } = await paidPurchase();
      const first = await deliver('payment_intent.succeeded', intent);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ received: true });
      expect(await balanceOf(user)).toBe(20);

      const again = await deliver('payment_intent.succeeded', intent);
      expect(again.status).toBe(200);
      expect(await balanceOf(user)).toBe(20);

      const credits = await purchaseCredits(paymentId);
      expect(credits).toHaveLength(1);
      expect(credits[0]).toMatchObject({
        amount_minor: '20',
        transaction_type: 'purchase',
        idempotency_key: `stripe:${paymentId}`,
        balance_after: '20',
      });
      const [row] = (await t.db.query(`SELECT status, credit_id, credited_at FROM purchases WHERE payment_id = $1`, [
        paymentId,
      ])) as Array<{ status: string; credit_id: string; credited_at: Date | null }>;
      expect(row.status).toBe('succeeded');
      expect(row.credit_id).not.toBeNull();
      expect(row.credited_at).not.toBeNull();

      const tx = await request(t.http).get('/v1/billing/transactions').query(user).set('X-API-Key', key);
      expect(tx.body.transactions).toHaveLength(1);
      expect(tx.body.transactions[0]).toMatchObject({
        type: 'credit',
        transaction_type: 'purchase',
        amount_minor: 20,
        external_transaction_id: paymentId,
      });
      await expectLedgerBalanced(accountId);

      // Webhook credits are counted like API credits; the redelivery as already credited.
      const metrics = (await request(t.http).get('/metrics')).text;
      expect(metrics).toMatch(/^billing_credits_total\{transaction_type="purchase",outcome="success"\} [1-9]/m);
      expect(metrics).toMatch(/^billing_credits_total\{transaction_type="purchase",outcome="credit_exists"\} [1-9]/m);
      expect(metrics).toMatch(/^billing_credited_amount_minor_total\{transaction_type="purchase"\} [1-9]/m);
    });

    it('the revenue report counts the money paid, not the uses credited', async () => {
      const { paymentId, intent } = await paidPurchase();
      expect((await deliver('payment_intent.succeeded', intent)).status).toBe(200);
      // A day no other test writes to, so the figures are this purchase's alone.
      await t.db.query(`UPDATE credits SET created_at = '2002-02-02T12:00:00Z' WHERE external_transaction_id = $1`, [
        paymentId,
      ]);
      await t.db.query(`UPDATE purchases SET credited_at = '2002-02-02T12:00:00Z' WHERE payment_id = $1`, [paymentId]);
      const analyst = (await t.createKey({ permissions: ['analytics:read'] })).plaintextKey;
      const res = await request(t.http)
        .get('/v1/analytics/revenue?start=2002-02-02&end=2002-02-02&currency=USD')
        .set('X-API-Key', analyst);
      expect(res.status).toBe(200);
      expect(res.body.totals).toMatchObject({ purchases: 1, purchase_amount_minor: 20, revenue_minor: 500 });
    });

    it('concurrent redeliveries credit exactly once', async () => {
      const { user, paymentId, intent, accountId } = await paidPurchase();
      const responses = await Promise.all(
        Array.from({ length: 12 }, () => deliver('payment_intent.succeeded', intent)),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(12).fill(200));
      expect(await purchaseCredits(paymentId)).toHaveLength(1);
      expect(await balanceOf(user)).toBe(20);
      await expectLedgerBalanced(accountId);
    });

    it('rejects a bad, missing or stale signature and a tampered body with 400', async () => {
      const { user, intent } = await paidPurchase();
      const invalid = { detail: 'Invalid webhook signature', code: 'invalid_webhook_signature' };

      const wrongSecret = await deliver('payment_intent.succeeded', intent, { secret: 'whsec_not_ours' });
      expect(wrongSecret.status).toBe(400);
      expect(wrongSecret.body).toEqual(invalid);

      const { payload, signature } = signedEvent('payment_intent.succeeded', intent, WEBHOOK_SECRET);
      const missing = await request(t.http).post(WEBHOOK).set('Content-Type', 'application/json').send(payload);
      expect(missing.status).toBe(400);
      expect(missing.body).toEqual(invalid);

      const tampered = await request(t.http)
        .post(WEBHOOK)
        .set('Content-Type', 'application/json')
        .set('Stripe-Signature', signature)
        .send(payload.replace('"amount":500', '"amount":50000'));
      expect(tampered.status).toBe(400);

      // Same bytes re-serialised (as a JSON parser would) no longer match the signature.
      const reformatted = await request(t.http)
        .post(WEBHOOK)
        .set('Content-Type', 'application/json')
        .set('Stripe-Signature', signature)
        .send(JSON.stringify(JSON.parse(payload), null, 2));
      expect(reformatted.status).toBe(400);

      t.clock.advance(10 * 60_000); // beyond Stripe's 5-minute replay tolerance
      try {
        const stale = await request(t.http)
          .post(WEBHOOK)
          .set('Content-Type', 'application/json')
          .set('Stripe-Signature', signature)
          .send(payload);
        expect(stale.status).toBe(400);
      } finally {
        t.clock.reset();
      }
      expect(await balanceOf(user)).toBe(0);
    });

    it('answers non-2xx when crediting fails, and credits once when Stripe redelivers', async () => {
      const { user, paymentId, intent, accountId } = await paidPurchase();
      // Push the balance to the ceiling so the credit violates chk_accounts_balance_limit.
      await t.db.query(`UPDATE accounts SET balance_minor = 9007199254740991 - 5 WHERE id = $1`, [accountId]);
      const failed = await deliver('payment_intent.succeeded', intent);
      expect(failed.status).toBe(422);
      expect(failed.body.code).toBe('balance_limit_exceeded');
      expect(await purchaseCredits(paymentId)).toHaveLength(0);
      const [pending] = (await t.db.query(`SELECT status, credited_at FROM purchases WHERE payment_id = $1`, [
        paymentId,
      ])) as Array<{
        status: string;
        credited_at: Date | null;
      }>;
      expect(pending).toEqual({ status: 'pending', credited_at: null });

      await t.db.query(`UPDATE accounts SET balance_minor = 0 WHERE id = $1`, [accountId]);
      const retried = await deliver('payment_intent.succeeded', intent);
      expect(retried.status).toBe(200);
      expect(await purchaseCredits(paymentId)).toHaveLength(1);
      expect(await balanceOf(user)).toBe(20);
      await expectLedgerBalanced(accountId);
    });

    it('payment_failed and canceled update the purchase; a later success still credits', async () => {
      const user = newUser();
      const created = await purchase(user);
      const id = created.body.payment_id as string;
      const failedIntent = stripe.update(id, { last_payment_error: { message: 'Your card was declined.' } });
      expect((await deliver('payment_intent.payment_failed', failedIntent)).status).toBe(200);
      let [row] = (await t.db.query(`SELECT status, failure_reason FROM purchases WHERE payment_id = $1`, [
        id,
      ])) as Array<{
        status: string;
        failure_reason: string | null;
      }>;
      expect(row).toEqual({ status: 'failed', failure_reason: 'Your card was declined.' });

      expect((await deliver('payment_intent.succeeded', pay(id))).status).toBe(200);
      expect(await balanceOf(user)).toBe(20);
      // A late failure event does not undo a credited purchase.
      expect((await deliver('payment_intent.payment_failed', failedIntent)).status).toBe(200);
      [row] = (await t.db.query(`SELECT status, failure_reason FROM purchases WHERE payment_id = $1`, [
        id,
      ])) as (typeof row)[];
      expect(row).toEqual({ status: 'succeeded', failure_reason: null });

      const other = await purchase(newUser());
      const canceled = stripe.update(other.body.payment_id as string, {
        status: 'canceled',
        cancellation_reason: 'abandoned',
      });
      expect((await deliver('payment_intent.canceled', canceled)).status).toBe(200);
      [row] = (await t.db.query(`SELECT status, failure_reason FROM purchases WHERE payment_id = $1`, [
        canceled.id,
      ])) as (typeof row)[];
      expect(row).toEqual({ status: 'canceled', failure_reason: 'abandoned' });
    });

    it('live-mode events never credit test purchases; unknown events and payments are acknowledged', async () => {
      const { user, intent } = await paidPurchase();
      const live = await deliver('payment_intent.succeeded', { ...intent, livemode: true }, { livemode: true });
      expect(live.status).toBe(200);
      expect(await balanceOf(user)).toBe(0);

      const unknownType = await deliver('customer.created', { id: 'cus_1', object: 'customer' });
      expect(unknownType.status).toBe(200);
      expect(unknownType.body).toEqual({ received: true });

      const foreign = stripe.addIntent({ amount: 999, currency: 'usd', status: 'succeeded' });
      expect((await deliver('payment_intent.succeeded', foreign)).status).toBe(200);
      expect(
        (await t.db.query(`SELECT 1 FROM purchases WHERE payment_id = $1`, [foreign.id])) as unknown[],
      ).toHaveLength(0);
    });

    it('adopts a PaymentIntent we created but never recorded, from its metadata', async () => {
      const user = newUser();
      const account = await request(t.http).post('/v1/billing/accounts').set('X-API-Key', key).send(user);
      const orphan = stripe.addIntent({
        amount: 500,
        currency: 'usd',
        status: 'succeeded',
        metadata: { account_id: account.body.account_id, environment: 'test', uses: '20', ...user },
      });
      expect((await deliver('payment_intent.succeeded', orphan)).status).toBe(200);
      expect(await balanceOf(user)).toBe(20);
      expect(await purchaseCredits(orphan.id)).toHaveLength(1);
    });

    it('charge.refunded removes the refunded share, never below zero, recording what was already spent', async () => {
      const { user, paymentId, intent, accountId } = await paidPurchase();
      const charge = (amountRefunded: number) => ({
        id: `ch_${paymentId}`,
        object: 'charge',
        amount: 500,
        amount_refunded: amountRefunded,
        currency: 'usd',
        payment_intent: paymentId,
        refunded: amountRefunded === 500,
        livemode: false,
      });

      // A refund that arrives before the credit is retried by Stripe later.
      const early = await deliver('charge.refunded', charge(250));
      expect(early.status).toBe(409);
      expect(early.body.code).toBe('purchase_not_credited');

      expect((await deliver('payment_intent.succeeded', intent)).status).toBe(200);
      expect(await balanceOf(user)).toBe(20);

      // Half refunded: half of the 20 credits go.
      expect((await deliver('charge.refunded', charge(250))).status).toBe(200);
      expect(await balanceOf(user)).toBe(10);
      expect((await deliver('charge.refunded', charge(250))).status).toBe(200); // redelivery
      expect(await balanceOf(user)).toBe(10);

      // Spend 8 of the remaining 10, then the rest is refunded: only 2 can be taken back.
      const spent = await request(t.http)
        .post('/v1/billing/charges')
        .set('X-API-Key', key)
        .send({ ...user, amount_minor: 8, currency: 'USD', description: 'usage' });
      expect(spent.status).toBe(201);
      expect((await deliver('charge.refunded', charge(500))).status).toBe(200);
      expect(await balanceOf(user)).toBe(0);

      const adjustments = (await purchaseCredits(paymentId)).filter((c) => c.transaction_type === 'adjustment');
      expect(adjustments.map((c) => Number(c.amount_minor))).toEqual([-10, -2]);
      const [row] = (await t.db.query(
        `SELECT refunded_amount_minor, credits_clawed_back, credits_unrecovered FROM purchases WHERE payment_id = $1`,
        [paymentId],
      )) as Array<Record<string, string>>;
      expect(row).toEqual({ refunded_amount_minor: '500', credits_clawed_back: '12', credits_unrecovered: '8' });

      const status = await request(t.http).get(`/v1/billing/purchases/${paymentId}`).query(user).set('X-API-Key', key);
      expect(status.body).toMatchObject({ credits_added: 20, credits_refunded: 12 });
      await expectLedgerBalanced(accountId);
    });

    it('charge.refunded never takes credit an active hold reserves: that part is recorded as unrecovered', async () => {
      const { user, paymentId, intent, accountId } = await paidPurchase();
      expect((await deliver('payment_intent.succeeded', intent)).status).toBe(200);
      // Free uses gone, so the hold reserves balance: 15 of the 20 purchased credits.
      await t.db.query(`UPDATE accounts SET free_uses_remaining = 0, daily_free_uses_limit = 0 WHERE id = $1`, [
        accountId,
      ]);
      const held = await request(t.http)
        .post('/v1/billing/holds')
        .set('X-API-Key', key)
        .send({
          ...user,
          amount_minor: 15,
          description: 'LLM call',
          idempotency_key: 'refund-hold',
          expires_in_seconds: 60,
        });
      expect(held.body.funded_by).toBe('balance');
      const refunded = (amountRefunded: number) => ({
        id: `ch_${paymentId}`,
        object: 'charge',
        amount: 500,
        amount_refunded: amountRefunded,
        currency: 'usd',
        payment_intent: paymentId,
        refunded: amountRefunded === 500,
        livemode: false,
      });
      expect((await deliver('charge.refunded', refunded(500))).status).toBe(200);
      expect(await balanceOf(user)).toBe(15); // only the 5 not held were taken back
      const [row] = (await t.db.query(
        `SELECT credits_clawed_back, credits_unrecovered FROM purchases WHERE payment_id = $1`,
        [paymentId],
      )) as Array<Record<string, string>>;
      expect(row).toEqual({ credits_clawed_back: '5', credits_unrecovered: '15' });
      await expectLedgerBalanced(accountId);
    });
  });
});
