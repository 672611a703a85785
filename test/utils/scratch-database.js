// Plain ESM over the build (`npm test` and `npm run bench` build first): used by the Jest global
// setup and the benchmark, which run outside Jest's module system, and by the replica test.
// A test and benchmark helper: it lives here, not in src/, so the image never ships it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../dist/common/database/embedded-postgres.js';
import { runMigrationsLocked } from '../../dist/common/database/migrator.js';
import { freePort } from './free-port.js';

async function onServer(serverUrl, sql) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A throwaway database for a test run or a benchmark: created on `serverUrl`, or on an embedded
 * PostgreSQL started in a temporary directory when none is given, and migrated unless asked not to.
 * Each caller gets a database of its own, so concurrent runs never share state.
 * @param {{ serverUrl?: string, prefix: string, migrate?: boolean }} options
 */
export async function createScratchDatabase(options) {
  let serverUrl = options.serverUrl;
  let stopServer = () => Promise.resolve();
  if (!serverUrl) {
    const dir = mkdtempSync(join(tmpdir(), `${options.prefix}-pg-`));
    const embedded = await startEmbeddedPostgres(dir, await freePort());
    serverUrl = embedded.url;
    stopServer = async () => {
      await embedded.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const name = `${options.prefix.replace(/\W/g, '_')}_${process.pid}_${Date.now()}`;
  await onServer(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  if (options.migrate ?? true) await runMigrationsLocked(url.toString());
  const server = serverUrl;
  return {
    url: url.toString(),
    drop: async () => {
      await onServer(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await stopServer();
    },
  };
}
