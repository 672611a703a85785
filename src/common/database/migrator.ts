import { DataSource } from 'typeorm';
import { dataSourceOptions, MIGRATIONS_GLOB } from './data-source-options.js';
import { ADVISORY_LOCK_SQL, ADVISORY_UNLOCK_SQL } from './sql/database.sql.js';

/** Arbitrary, fixed: every process that migrates this database takes the same lock. */
const MIGRATION_LOCK_ID = 7_404_201_001;

/**
 * Runs pending migrations while holding a PostgreSQL advisory lock, so several replicas (or a
 * Job and a pod) starting at once migrate one at a time and the later ones find nothing to do.
 * Uses a short-lived DataSource of its own: the application's DataSource never loads migrations.
 */
export async function runMigrationsLocked(url: string): Promise<string[]> {
  const dataSource = new DataSource({ ...dataSourceOptions(url, 2), migrations: [MIGRATIONS_GLOB] });
  await dataSource.initialize();
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.query(ADVISORY_LOCK_SQL, [MIGRATION_LOCK_ID]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query(ADVISORY_UNLOCK_SQL, [MIGRATION_LOCK_ID]);
    }
  } finally {
    await runner.release();
    await dataSource.destroy();
  }
}
