// Runs outside Jest's module system, so it is plain ESM over the build (`npm test` builds first).
import { createScratchDatabase } from './utils/scratch-database.js';

/**
 * The server the suite runs on: TEST_DATABASE_URL or DATABASE_URL when given, else an embedded
 * PostgreSQL in a temporary directory. Each run gets a database of its own, migrated from the
 * compiled migrations, so runs (and developers) never share state. Tests read TEST_DB_URL.
 */
export default async function globalSetup() {
  const db = await createScratchDatabase({
    serverUrl: process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined,
    prefix: 'ciris_test',
  });
  process.env.TEST_DB_URL = db.url;
  globalThis.__dropTestDatabase = db.drop;
}
