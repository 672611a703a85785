import pg from 'pg';
import { createScratchDatabase, type ScratchDatabase } from './utils/scratch-database.js';
import { BuiltServer, send } from './utils/built-server.js';
import { freePort } from './utils/net.js';
import { createTestApp, newUser, type TestApp } from './utils/test-app.js';

/**
 * Several replicas of the built service on one PostgreSQL, as on Kubernetes: they migrate a fresh
 * database once between them, never over-spend a balance they share, and a key revoked through
 * one replica is refused by the others on the next request.
 */
describe('several replicas on one database', () => {
  let t: TestApp;
  let replicas: BuiltServer[] = [];
  let scratch: ScratchDatabase;
  let databaseUrl: string;

  beforeAll(async () => {
    t = await createTestApp();
    // An empty database on the suite's server: the replicas migrate it themselves.
    scratch = await createScratchDatabase({
      serverUrl: process.env.TEST_DB_URL,
      prefix: 'ciris_replicas',
      migrate: false,
    });
    databaseUrl = scratch.url;
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await t.close();
    await scratch.drop();
  });

  it('three replicas starting together on an empty database migrate it exactly once', async () => {
    replicas = await Promise.all(
      [0, 1, 2].map(
        async () =>
          new BuiltServer(await freePort(), {
            DATABASE_URL: databaseUrl,
            RUN_MIGRATIONS_ON_START: 'true',
            DB_POOL_SIZE: '5',
            LOG_LEVEL: 'warn',
          }),
      ),
    );
    await Promise.all(replicas.map((r) => r.start()));
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const { rows } = await db.query<{ name: string; n: string }>(
      `SELECT name, count(*) AS n FROM typeorm_migrations GROUP BY name`,
    );
    await db.end();
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.every((r) => r.n === '1')).toBe(true);
  });

  it('shares one balance exactly across replicas and sees a revocation everywhere', async () => {
    // Keys and admins live in the replicas' database: mint them there with a throwaway app.
    const prev = process.env.TEST_DB_URL;
    process.env.TEST_DB_URL = databaseUrl;
    const local = await createTestApp({ FREE_USES_PER_ACCOUNT: '0', DAILY_FREE_USES: '0' });
    process.env.TEST_DB_URL = prev;
    const key = await local.createKey();
    await local.close();

    const headers = { 'X-API-Key': key.plaintextKey };
    const user = newUser('replicas');
    const created = await send(replicas[0].port, 'POST', '/v1/billing/accounts', {
      headers,
      body: { ...user, initial_balance_minor: 60 },
    });
    expect(created.status).toBe(201);

    // The account was created with the replicas' own free-use settings (defaults): use them up first.
    const account = JSON.parse(created.body) as { free_uses_remaining: number; daily_free_uses_remaining: number };
    const free = account.free_uses_remaining + account.daily_free_uses_remaining;
    // As a client must (README, "Errors and retries"): a 503 (the database's bounded waits ran out on a
    // loaded machine) is retried with the same idempotency key, and a 409 naming the charge on such a
    // retry means the first attempt was committed.
    const charge = async (i: number): Promise<number> => {
      for (let attempt = 0; ; attempt++) {
        const r = await send(replicas[i % 3].port, 'POST', '/v1/billing/charges', {
          headers,
          body: { ...user, amount_minor: 1, description: 'replica charge', idempotency_key: `r-${i}` },
        });
        if (r.status === 503 && attempt < 20) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          continue;
        }
        if (r.status === 409 && attempt > 0 && (JSON.parse(r.body) as { code: string }).code === 'charge_exists')
          return 201;
        return r.status;
      }
    };
    const results = (await Promise.all(Array.from({ length: 150 + free }, (_, i) => charge(i)))).map((status) => ({
      status,
    }));
    expect(results.filter((r) => r.status === 201)).toHaveLength(60 + free);
    expect(results.filter((r) => r.status === 402)).toHaveLength(90);
    const after = await send(
      replicas[2].port,
      'GET',
      `/v1/billing/accounts/${user.oauth_provider}/${user.external_id}`,
      { headers },
    );
    expect(JSON.parse(after.body)).toMatchObject({ balance_minor: 0, total_uses: 60 + free });

    // Every replica has the key cached; revoke it through replica 0's database (as the CLI would).
    for (const r of replicas) expect((await send(r.port, 'GET', '/v1/billing/key', { headers })).status).toBe(200);
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    await db.query('BEGIN');
    await db.query(`UPDATE api_keys SET status = 'revoked', revoked_at = now() WHERE id = $1`, [key.keyId]);
    await db.query(`SELECT pg_notify('api_key_changed', $1)`, [key.keyId]);
    await db.query('COMMIT');
    await db.end();
    for (const r of replicas) {
      let status = 0;
      for (let i = 0; i < 40 && status !== 401; i++) {
        status = (await send(r.port, 'GET', '/v1/billing/key', { headers })).status;
        if (status !== 401) await new Promise((res) => setTimeout(res, 50));
      }
      expect(status).toBe(401);
    }
  });
});
