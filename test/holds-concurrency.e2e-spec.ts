import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { availableBalance, holdMismatches, refundMismatches, seededRandom } from './utils/holds.js';
import { ledgerMismatches } from './utils/ledger.js';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';

type User = { oauth_provider: string; external_id: string };

/**
 * The invariants of SPEC §11 under real concurrency on real PostgreSQL: available balance never
 * below zero, each hold ends exactly once, exact counts under contention, and a seeded randomised
 * mix whose final balance is what the acknowledged operations imply. No free uses here, so every
 * hold and charge draws on the balance. Figures are printed (console.info) for the closing note.
 */
describe('Holds under concurrency (SPEC §11 invariants)', () => {
  let t: TestApp;
  let key: string;
  let base: string;

  beforeAll(async () => {
    t = await createTestApp({ FREE_USES_PER_ACCOUNT: '0', DAILY_FREE_USES: '0' });
    key = (await t.createKey()).plaintextKey;
    // One listening socket for the whole file (supertest would open one per request otherwise),
    // with a backlog that takes 1,000 connections arriving at once on a loaded machine.
    const server = t.http as Server;
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 2048 }, resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  // A failed test must not leave its sampler querying a closed pool.
  const watchers: Array<{ stop: () => Promise<unknown> }> = [];
  afterEach(async () => {
    t.clock.reset();
    await Promise.all(watchers.splice(0).map((w) => w.stop()));
  });
  afterAll(async () => {
    expect(await ledgerMismatches(t.db)).toEqual([]);
    expect(await holdMismatches(t.db)).toEqual([]);
    expect(await refundMismatches(t.db)).toEqual([]);
    await t.close();
  });

  const post = (path: string, body: object) => request(base).post(path).set('X-API-Key', key).send(body);
  const accountRow = async (u: User) =>
    (
      await t.db.query(
        `SELECT id, balance_minor::float8 AS balance, held_minor::float8 AS held FROM accounts WHERE external_id = $1`,
        [u.external_id],
      )
    )[0] as { id: string; balance: number; held: number };

  /**
   * Samples "balance - active holds" of an account in one snapshot, as often as it can, until stopped:
   * the lowest value seen while the storm ran.
   */
  function watchAvailable(accountId: string): { stop: () => Promise<{ min: number; samples: number }> } {
    let running = true;
    let min = Number.POSITIVE_INFINITY;
    let samples = 0;
    const loop = (async () => {
      while (running) {
        min = Math.min(min, await availableBalance(t.db, accountId));
        samples += 1;
      }
    })();
    const watcher = {
      stop: async () => {
        running = false;
        await loop;
        return { min, samples };
      },
    };
    watchers.push(watcher);
    return watcher;
  }

  async function seeded(balance: number): Promise<User> {
    const u = newUser('hot');
    expect((await post('/v1/billing/accounts', { ...u, initial_balance_minor: balance })).status).toBe(201);
    return u;
  }

  it('1,000 concurrent holds of 1 on a balance of 500: exactly 500 succeed; capturing all leaves 0, releasing all 500', async () => {
    for (const ending of ['capture', 'release'] as const) {
      const u = await seeded(500);
      const { id } = await accountRow(u);
      const watch = watchAvailable(id);
      const results = await Promise.all(
        Array.from({ length: 1000 }, (_, i) =>
          post('/v1/billing/holds', {
            ...u,
            amount_minor: 1,
            description: 'LLM call',
            idempotency_key: `${ending}-${i}`,
          }),
        ),
      );
      const created = results.filter((r) => r.status === 201);
      const refused = results.filter((r) => r.status === 402);
      expect(created).toHaveLength(500);
      expect(refused).toHaveLength(500);
      expect(await accountRow(u)).toMatchObject({ balance: 500, held: 500 });

      const ends = await Promise.all(created.map((r) => post(`/v1/billing/holds/${r.body.hold_id}/${ending}`, {})));
      expect(ends.map((r) => r.status)).toEqual(Array(500).fill(ending === 'capture' ? 201 : 200));
      const { min, samples } = await watch.stop();
      const after = await accountRow(u);
      expect(after).toEqual({ id, balance: ending === 'capture' ? 0 : 500, held: 0 });
      expect(min).toBeGreaterThanOrEqual(0);
      console.info(
        `[holds] 1000 holds of 1 on 500 then ${ending} all: ${created.length} created, ${refused.length} refused (402), ` +
          `final balance ${after.balance}, held ${after.held}; lowest available seen ${min} over ${samples} samples`,
      );
    }
  });

  it('concurrent copies of one hold or refund request: one succeeds, every copy gets the 409 naming it', async () => {
    const u = await seeded(100);
    const holds = await Promise.all(
      Array.from({ length: 30 }, () =>
        post('/v1/billing/holds', { ...u, amount_minor: 100, description: 'once', idempotency_key: 'same-hold' }),
      ),
    );
    const made = holds.filter((r) => r.status === 201);
    expect(made).toHaveLength(1);
    for (const r of holds.filter((x) => x !== made[0])) {
      expect(r.status).toBe(409);
      expect(r.headers['x-existing-hold-id']).toBe(made[0].body.hold_id);
    }
    const captured = await post(`/v1/billing/holds/${made[0].body.hold_id}/capture`, {});
    const refunds = await Promise.all(
      Array.from({ length: 30 }, () =>
        post(`/v1/billing/charges/${captured.body.charge_id}/refund`, {
          reason: 'failed',
          idempotency_key: 'same-refund',
        }),
      ),
    );
    const refunded = refunds.filter((r) => r.status === 201);
    expect(refunded).toHaveLength(1);
    for (const r of refunds.filter((x) => x !== refunded[0])) {
      expect(r.status).toBe(409);
      expect(r.headers['x-existing-credit-id']).toBe(refunded[0].body.credit_id);
    }
    expect(await accountRow(u)).toMatchObject({ balance: 100, held: 0 });
  });

  it('each hold ends exactly once under concurrent capture, release and expiry', async () => {
    const u = await seeded(10_000);
    const { id } = await accountRow(u);
    const holds: string[] = [];
    for (let i = 0; i < 60; i++) {
      const res = await post('/v1/billing/holds', {
        ...u,
        amount_minor: 100,
        description: 'race',
        idempotency_key: `race-${i}`,
        expires_in_seconds: 60,
      });
      expect(res.status).toBe(201);
      holds.push(res.body.hold_id as string);
    }
    const watch = watchAvailable(id);
    // Two captures and two releases of every hold (in a different order for each), plus plain
    // charges that expire due holds; once a third of the answers are in, the clock passes every
    // hold's expiry while the rest are in flight.
    const total = holds.length * 5;
    let answered = 0;
    const tracked = <T>(p: Promise<T>): Promise<T> =>
      p.then((v) => {
        answered += 1;
        if (answered === Math.floor(total / 3)) t.clock.advance(61_000);
        return v;
      });
    const pending = holds.flatMap((h, i) => {
      const ops = [
        () => post(`/v1/billing/holds/${h}/capture`, { amount_minor: 50 }).then((r) => ({ h, op: 'capture', r })),
        () => post(`/v1/billing/holds/${h}/release`, {}).then((r) => ({ h, op: 'release', r })),
        () => post(`/v1/billing/holds/${h}/capture`, {}).then((r) => ({ h, op: 'capture', r })),
        () => post(`/v1/billing/holds/${h}/release`, {}).then((r) => ({ h, op: 'release', r })),
        () =>
          post('/v1/billing/charges', {
            ...u,
            amount_minor: 1,
            description: 'sweep',
            idempotency_key: `sweep-${i}`,
          }).then((r) => ({ h: '', op: 'charge', r })),
      ];
      const rotated = [...ops.slice(i % 5), ...ops.slice(0, i % 5)];
      return rotated.map((op) => tracked(op()));
    });
    const outcomes = await Promise.all(pending);
    const { min } = await watch.stop();
    expect(min).toBeGreaterThanOrEqual(0);

    const tally = { captured: 0, released: 0, expired: 0 };
    let capturedMinor = 0;
    for (const h of holds) {
      const mine = outcomes.filter((o) => o.h === h);
      const captures = mine.filter((o) => o.op === 'capture');
      const releases = mine.filter((o) => o.op === 'release');
      const [row] = await t.db.query(
        `SELECT h.status, (SELECT count(*)::int FROM charges c WHERE c.hold_id = h.id) AS charges,
                (SELECT c.id FROM charges c WHERE c.hold_id = h.id) AS charge_id
           FROM holds h WHERE h.id = $1`,
        [h],
      );
      expect(['captured', 'released', 'expired']).toContain(row.status);
      tally[row.status as keyof typeof tally] += 1;
      const won = captures.filter((o) => o.r.status === 201);
      if (row.status === 'captured') {
        expect(row.charges).toBe(1);
        expect(won).toHaveLength(1);
        expect(won[0].r.body.charge_id).toBe(row.charge_id);
        capturedMinor += won[0].r.body.amount_minor as number;
        for (const o of captures.filter((c) => c !== won[0])) {
          expect(o.r.status).toBe(409);
          expect(o.r.headers['x-existing-charge-id']).toBe(row.charge_id);
        }
        for (const o of releases) {
          expect(o.r.status).toBe(409);
          expect(o.r.body.code).toBe('hold_captured');
        }
      } else {
        expect(row.charges).toBe(0);
        expect(won).toHaveLength(0);
        for (const o of captures) {
          expect(o.r.status).toBe(409);
          expect(o.r.body.code).toBe(row.status === 'released' ? 'hold_released' : 'hold_expired');
        }
        for (const o of releases) {
          expect(o.r.status).toBe(200);
          expect(o.r.body.status).toBe(row.status);
        }
      }
    }
    const charged = outcomes.filter((o) => o.op === 'charge' && o.r.status === 201).length;
    const after = await accountRow(u);
    expect(after.held).toBe(0);
    expect(after.balance).toBe(10_000 - capturedMinor - charged);
    console.info(
      `[holds] 60 holds x (2 captures + 2 releases) + 60 charges, clock past expiry mid-flight: ` +
        `${tally.captured} captured, ${tally.released} released, ${tally.expired} expired, each exactly once; ` +
        `${charged} plain charges; final balance ${after.balance}; lowest available seen ${min}`,
    );
  });

  it('a seeded random mix of holds, captures, releases, charges and refunds on one hot account adds up', async () => {
    const SEED = 1313;
    const random = seededRandom(SEED);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
    const INITIAL = 20_000;
    const u = await seeded(INITIAL);
    const { id } = await accountRow(u);
    const watch = watchAvailable(id);

    const activeHolds = new Map<string, number>(); // hold id -> amount
    const refundable = new Map<string, number>(); // charge id -> amount charged
    const refunded = new Map<string, number>(); // charge id -> sum of acknowledged refunds
    let spent = 0;
    let givenBack = 0;
    const counts = { hold: 0, capture: 0, release: 0, charge: 0, refund: 0, refused: 0 };
    let seq = 0;

    for (let wave = 0; wave < 16; wave++) {
      const ops: Array<Promise<void>> = [];
      for (let i = 0; i < 40; i++) {
        const roll = random();
        const n = ++seq;
        if (roll < 0.3 || activeHolds.size === 0) {
          const amount = 1 + Math.floor(random() * 400);
          ops.push(
            post('/v1/billing/holds', {
              ...u,
              amount_minor: amount,
              description: 'mix',
              idempotency_key: `mix-${n}`,
              expires_in_seconds: 30 + Math.floor(random() * 90),
            }).then((r) => {
              if (r.status === 201) {
                activeHolds.set(r.body.hold_id as string, amount);
                counts.hold += 1;
              } else {
                expect(r.status).toBe(402);
                counts.refused += 1;
              }
            }),
          );
        } else if (roll < 0.5) {
          const [holdId, amount] = pick([...activeHolds]);
          const partial = random() < 0.5 ? { amount_minor: 1 + Math.floor(random() * amount) } : {};
          ops.push(
            post(`/v1/billing/holds/${holdId}/capture`, partial).then((r) => {
              if (r.status === 201) {
                activeHolds.delete(holdId);
                spent += r.body.amount_minor as number;
                refundable.set(r.body.charge_id as string, r.body.amount_minor as number);
                counts.capture += 1;
              } else {
                expect(r.status).toBe(409);
                if (r.body.code !== 'hold_captured') activeHolds.delete(holdId);
                counts.refused += 1;
              }
            }),
          );
        } else if (roll < 0.65) {
          const [holdId] = pick([...activeHolds]);
          ops.push(
            post(`/v1/billing/holds/${holdId}/release`, {}).then((r) => {
              expect([200, 409]).toContain(r.status);
              if (r.status === 200) activeHolds.delete(holdId);
              counts.release += 1;
            }),
          );
        } else if (roll < 0.85 || refundable.size === 0) {
          const amount = 1 + Math.floor(random() * 300);
          ops.push(
            post('/v1/billing/charges', {
              ...u,
              amount_minor: amount,
              description: 'mix',
              idempotency_key: `mix-${n}`,
            }).then((r) => {
              if (r.status === 201) {
                spent += amount;
                refundable.set(r.body.charge_id as string, amount);
                counts.charge += 1;
              } else {
                expect(r.status).toBe(402);
                counts.refused += 1;
              }
            }),
          );
        } else {
          const [chargeId, amount] = pick([...refundable]);
          const body = random() < 0.5 ? { amount_minor: 1 + Math.floor(random() * amount) } : {};
          ops.push(
            post(`/v1/billing/charges/${chargeId}/refund`, {
              ...body,
              reason: 'mix',
              idempotency_key: `mix-${n}`,
            }).then((r) => {
              if (r.status === 201) {
                givenBack += r.body.amount_minor as number;
                refunded.set(chargeId, (refunded.get(chargeId) ?? 0) + (r.body.amount_minor as number));
                counts.refund += 1;
              } else {
                expect([400, 409]).toContain(r.status);
                counts.refused += 1;
              }
            }),
          );
        }
      }
      if (wave % 5 === 4) t.clock.advance(45_000); // some holds expire mid-wave
      await Promise.all(ops);
    }
    const { min, samples } = await watch.stop();

    const after = await accountRow(u);
    expect(after.balance).toBe(INITIAL - spent + givenBack);
    expect(min).toBeGreaterThanOrEqual(0);
    for (const [chargeId, total] of refunded) expect(total).toBeLessThanOrEqual(refundable.get(chargeId) as number);
    const [{ over }] = await t.db.query(
      `SELECT count(*)::int AS over FROM charges WHERE account_id = $1 AND refunded_minor > amount_minor`,
      [id],
    );
    expect(over).toBe(0);

    // Whatever is still held goes back when released (or expires): nothing is lost.
    t.clock.advance(10 * 60_000);
    const final = await post('/v1/billing/credits/check', u);
    expect(final.body).toMatchObject({ held_minor: 0, credits_remaining: after.balance });
    console.info(
      `[holds] seeded mix (seed ${SEED}, 16 waves x 40 concurrent ops): ${counts.hold} holds, ${counts.capture} captures, ` +
        `${counts.release} releases, ${counts.charge} charges, ${counts.refund} refunds, ${counts.refused} refused; ` +
        `expected balance ${INITIAL} - ${spent} + ${givenBack} = ${INITIAL - spent + givenBack}, actual ${after.balance}; ` +
        `lowest available seen ${min} over ${samples} samples`,
    );
  });
});
