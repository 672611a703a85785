import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Logger } from 'pino';
import { PING_SQL } from './sql/database.sql.js';

export interface WaitForDatabaseOptions {
  /** Give up after this long (ms) without an answer. */
  timeoutMs: number;
  /** Bound of each connection attempt (ms). */
  connectTimeoutMs: number;
  logger: Logger;
}

/** Thrown after the last attempt; its line was already logged (fatal), so callers only exit. */
export class DatabaseStartupTimeoutError extends Error {}

/** Pause before attempt n+1: 0.5 s, 1 s, 2 s, then every 4 s. */
const pauseAfter = (attempt: number): number => Math.min(500 * 2 ** (attempt - 1), 4_000);

const reasonOf = (error: unknown): string =>
  error instanceof AggregateError
    ? error.errors.map((e) => (e as Error).message).join('; ')
    : error instanceof Error
      ? error.message
      : String(error);

/**
 * Waits at start-up until the database answers `SELECT 1`, logging each failed attempt as one JSON
 * line (`Waiting for the database`, with `attempt`), and gives up after `timeoutMs` with one fatal
 * line. Meanwhile the HTTP listener is already up (liveness 200, readiness 503), so Kubernetes
 * does not restart a pod that is only waiting.
 */
export async function waitForDatabase(url: string, options: WaitForDatabaseOptions): Promise<void> {
  const started = Date.now();
  const log = options.logger.child({ context: 'Startup' });
  for (let attempt = 1; ; attempt++) {
    const client = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: options.connectTimeoutMs,
      application_name: 'ciris-billing-startup',
    });
    // A connection that breaks after the attempt settled must not crash the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query(PING_SQL);
      if (attempt > 1)
        log.info({ attempt }, `Database reachable after ${attempt} attempts (${Date.now() - started} ms)`);
      else log.info('Database reachable');
      return;
    } catch (error) {
      const elapsed = Date.now() - started;
      const pause = pauseAfter(attempt);
      if (elapsed + pause >= options.timeoutMs) {
        log.fatal(
          { attempt, error: reasonOf(error) },
          `Database unreachable for ${Math.round(elapsed / 1000)} s (${attempt} attempts); giving up (DB_STARTUP_TIMEOUT_MS=${options.timeoutMs}): ${reasonOf(error)}`,
        );
        throw new DatabaseStartupTimeoutError('database unreachable');
      }
      log.warn(
        { attempt, error: reasonOf(error) },
        `Waiting for the database (attempt ${attempt}): ${reasonOf(error)}; next attempt in ${pause} ms`,
      );
      await sleep(pause);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
