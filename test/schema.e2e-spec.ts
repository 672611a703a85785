import { createTestApp, type TestApp } from './utils/test-app.js';

/**
 * Migrations are the schema; entities describe it to TypeORM. This fails when they disagree on a
 * table or column (a column added to an entity without a migration, a type or nullability drift).
 * Indexes, CHECK and FOREIGN KEY constraints live only in the migrations on purpose, so the
 * statements TypeORM would issue to drop those are not drift.
 */
describe('entities and migrations agree', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('has no table or column TypeORM would change', async () => {
    const { upQueries } = await t.db.driver.createSchemaBuilder().log();
    const drift = upQueries
      .map((q) => q.query)
      .filter((q) => !/^DROP INDEX /.test(q) && !/^ALTER TABLE "\w+" DROP CONSTRAINT "/.test(q));
    expect(drift).toEqual([]);
  });

  it('every table has an entity', async () => {
    const tables: Array<{ tablename: string }> = await t.db.query(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'typeorm_migrations'`,
    );
    const mapped = new Set(t.db.entityMetadatas.map((m) => m.tableName));
    expect(tables.map((r) => r.tablename).filter((name) => !mapped.has(name))).toEqual([]);
  });
});
