import type { QueryRunner } from 'typeorm';
import request from 'supertest';
import { utcDay } from '../src/common/time/clock.js';
import { CREATE_HOLD_SQL, RELEASE_HOLD_SQL } from '../src/billing/sql/holds.sql.js';
import { holdMismatches, refundMismatches } from './utils/holds.js';
import { ledgerMismatches } from './utils/ledger.js';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';

type User = { oauth_provider: string; external_id: string };

/**
 * Statements that compare against held amounts, raced deterministically on real PostgreSQL: the
 * test holds the account row in its own transactions and changes holds while the statement under
 * test waits for the lock with a snapshot taken before that change (READ COMMITTED).
 */
describe('Held amounts under lock waits', () => {
  let t: TestApp;
  let key: string;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp({ FREE_USES_PER_ACCOUNT: '0', DAILY_FREE_USES: '0' });
    key = (await t.createKey({ environment: 'test' })).plaintextKey;
    admin = (await t.createKey({ environment: 'test', permissions: ['billing:admin'] })).plaintextKey;
  });
  afterAll(async () => {
    expect(await ledgerMismatches(t.db)).toEqual([]);
    expect(await holdMismatches(t.db)).toEqual([]);
    expect(await refundMismatches(t.db)).toEqual([]);
    await t.close();
  });

  const post = (path: string, body: object, k = key) => request(t.http).post(path).set('X-API-Key', k).send(body);
  const adjust = (u: User, amount: number) =>
    post(
      `/v1/billing/accounts/${u.oauth_provider}/${u.external_id}/adjustments`,
      { amount_minor: amount, reason: 'Correction', idempotency_key: `adj-${crypto.randomUUID()}` },
      admin,
    );
  const hold = (u: User, amount: number) =>
    post('/v1/billing/holds', {
      ...u,
      amount_minor: amount,
      currency: 'USD',
      description: 'LLM call',
      idempotency_key: `h-${crypto.randomUUID()}`,
    });
  const paidUser = async (balance: number): Promise<User & { id: string }> => {
    const u = newUser('lockwait');
    const created = await post('/v1/billing/accounts', { ...u, initial_balance_minor: balance });
    expect(created.status).toBe(201);
    return { ...u, id: created.body.account_id as string };
  };

  async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  const blockedBy = async (pid: number): Promise<boolean> => {
    const rows: unknown[] = await t.db.query(
      `SELECT 1 FROM pg_stat_activity WHERE $1::int = ANY (pg_blocking_pids(pid))`,
      [pid],
    );
    return rows.length > 0;
  };
  const backendPid = async (runner: QueryRunner): Promise<number> =>
    Number((await runner.query(`SELECT pg_backend_pid() AS pid`))[0].pid);

  /**
   * Sends a negative adjustment and, just before the adjustment statement itself (after the first
   * statement, which records expired holds), runs `change` in a transaction holding the account
   * row; the adjustment statement then starts, takes its snapshot (which misses `change`) and waits
   * for the row; `change` commits once it waits. The hook only orders the two; PostgreSQL is real.
   */
  async function adjustWhile(
    u: User & { id: string },
    amount: number,
    change: (runner: QueryRunner) => Promise<void>,
  ): Promise<request.Response> {
    const runner = t.db.createQueryRunner();
    const original = t.db.query.bind(t.db);
    let raced = false;
    t.db.query = (async (sql: string, params?: unknown[]) => {
      if (raced || !sql.includes("'adjust_balance'")) return original(sql, params);
      raced = true;
      await runner.startTransaction();
      const pid = await backendPid(runner);
      await runner.query(`SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, [u.id]);
      await change(runner);
      const result = original(sql, params);
      result.catch(() => undefined); // awaited below; only keeps an early failure from going unhandled
      await until('the adjustment statement waits for the row', () => blockedBy(pid));
      await runner.commitTransaction();
      return result;
    }) as typeof t.db.query;
    try {
      const res = await adjust(u, amount);
      expect(raced).toBe(true);
      return res;
    } finally {
      t.db.query = original;
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  }

  const nowParams = () => {
    const now = t.clock.now();
    return { today: utcDay(now), now: now.toISOString() };
  };

  describe('negative admin adjustment', () => {
    it('takes what a hold released while it waited for the lock frees (not refused on its stale snapshot)', async () => {
      const u = await paidUser(100);
      const h = await hold(u, 80);
      expect(h.status).toBe(201);
      const res = await adjustWhile(u, -50, async (runner) => {
        const { today, now } = nowParams();
        const [released] = await runner.query(RELEASE_HOLD_SQL, [h.body.hold_id, 'test', today, now]);
        expect(released.released_id).toBe(h.body.hold_id);
      });
      expect(res.body).toMatchObject({ balance_before: 100, balance_after: 50, amount_minor: -50 });
      expect(res.status).toBe(201);
    });

    it('takes a credit added while it waited for the lock into account', async () => {
      const u = await paidUser(30);
      const res = await adjustWhile(u, -50, async (runner) => {
        await runner.query(
          `WITH a AS (UPDATE accounts SET balance_minor = balance_minor + 40 WHERE id = $1 RETURNING id, balance_minor)
           INSERT INTO credits (account_id, environment, amount_minor, currency, transaction_type, description, balance_after)
           SELECT id, 'test', 40, 'USD', 'purchase', 'Top-up', balance_minor FROM a`,
          [u.id],
        );
      });
      expect(res.body).toMatchObject({ balance_before: 70, balance_after: 20 });
      expect(res.status).toBe(201);
    });

    it('cannot take what a hold created while it waited for the lock reserves', async () => {
      const u = await paidUser(100);
      const res = await adjustWhile(u, -50, async (runner) => {
        const { today, now } = nowParams();
        const expires = new Date(t.clock.now().getTime() + 60_000).toISOString();
        const [created] = await runner.query(CREATE_HOLD_SQL, [
          'test',
          u.oauth_provider,
          u.external_id,
          80,
          null,
          `h-${crypto.randomUUID()}`,
          'LLM call',
          '{}',
          today,
          now,
          expires,
          null,
        ]);
        expect(created.hold).toMatchObject({ funded_by: 'balance', amount_minor: 80 });
      });
      expect(res.status).toBe(402);
      expect(res.body).toEqual({
        detail: 'Insufficient credits. Balance: 20, Required: 50',
        code: 'insufficient_credits',
      });
      const [row] = await t.db.query(
        `SELECT balance_minor::int AS balance, held_minor::int AS held FROM accounts WHERE id = $1`,
        [u.id],
      );
      expect(row).toEqual({ balance: 100, held: 80 });
    });
  });
});
