import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { runMigrationsLocked } from './migrator.js';

export interface ScratchDatabase {
  /** The new database. */
  url: string;
  /** Drops the database, and stops and deletes the embedded server if one was started for it. */
  drop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function onServer(serverUrl: string, sql: string): Promise<void> {
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
 */
export async function createScratchDatabase(options: {
  serverUrl?: string;
  prefix: string;
  migrate?: boolean;
}): Promise<ScratchDatabase> {
  let serverUrl = options.serverUrl;
  let stopServer = (): Promise<void> => Promise.resolve();
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
