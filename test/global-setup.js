// Runs outside Jest's module system, so it is plain ESM over the build (`npm test` builds first).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../dist/common/database/embedded-postgres.js';
import { runMigrationsLocked } from '../dist/common/database/migrator.js';

/**
 * The server the suite runs on: TEST_DATABASE_URL or DATABASE_URL when given, else an embedded
 * PostgreSQL in a temporary directory. Each run gets a database of its own, migrated from the
 * compiled migrations, so runs (and developers) never share state. Tests read TEST_DB_URL.
 */
export default async function globalSetup() {
  const configured = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  let serverUrl;
  let stopServer = async () => undefined;
  if (configured) {
    serverUrl = configured;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'ciris-billing-test-pg-'));
    const port = 20000 + Math.floor(Math.random() * 20000);
    const embedded = await startEmbeddedPostgres(dir, port);
    serverUrl = embedded.url;
    stopServer = embedded.stop;
    process.env.TEST_PG_SERVER_URL = serverUrl;
  }
  const name = `ciris_test_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();

  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await runMigrationsLocked(url.toString());

  process.env.TEST_DB_URL = url.toString();
  globalThis.__dropTestDatabase = async () => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
    await stopServer();
  };
}
