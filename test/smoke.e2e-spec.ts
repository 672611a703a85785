import request from 'supertest';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('checks credit, charges and lists transactions', async () => {
    const key = await t.createKey();
    const user = newUser();
    const check = await request(t.http).post('/v1/billing/credits/check').set('X-API-Key', key.plaintextKey).send(user);
    expect(check.status).toBe(200);
    expect(check.body.has_credit).toBe(true);
    const charge = await request(t.http)
      .post('/v1/billing/charges')
      .set('X-API-Key', key.plaintextKey)
      .send({ ...user, amount_minor: 5, currency: 'USD', description: 'msg', idempotency_key: 'k1' });
    expect(charge.status).toBe(201);
    const again = await request(t.http)
      .post('/v1/billing/charges')
      .set('X-API-Key', key.plaintextKey)
      .send({ ...user, amount_minor: 5, currency: 'USD', description: 'msg', idempotency_key: 'k1' });
    expect(again.status).toBe(409);
    expect(again.headers['x-existing-charge-id']).toBe(charge.body.charge_id);
    const tx = await request(t.http).get('/v1/billing/transactions').query(user).set('X-API-Key', key.plaintextKey);
    expect(tx.status).toBe(200);
    expect(tx.body.total_count).toBe(1);
  });
});
