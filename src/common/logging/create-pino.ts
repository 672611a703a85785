import { hostname } from 'node:os';
import { createRequire } from 'node:module';
import { pino, stdTimeFunctions, type Logger } from 'pino';
import type { PrettyOptions, PrettyStream } from 'pino-pretty';
import type { Env } from '../../config/env.js';
import { redactApiKeys } from './log-redaction.js';

/** Whether logs are written for a person: `pretty`, or `auto` on a terminal. */
export function prettyLogs(format: Env['LOG_FORMAT'], isTTY = process.stdout.isTTY === true): boolean {
  return format === 'pretty' || (format === 'auto' && isTTY);
}

/**
 * The process's pino logger: JSON lines on stdout, every line passed through {@link redactApiKeys}
 * first. With `pretty`, the same (redacted) lines are rendered by pino-pretty, synchronously on
 * stdout; it is loaded only then, so JSON deployments never load it.
 * A file of its own (no Nest imports), so main.ts can log before loading the application.
 */
export function createPino(level: Env['LOG_LEVEL'], pretty = false): Logger {
  const options = {
    level,
    base: { service: 'ciris-billing', pid: process.pid, hostname: hostname() },
    timestamp: stdTimeFunctions.isoTime,
    hooks: { streamWrite: redactApiKeys },
  };
  if (!pretty) return pino(options);
  const pinoPretty = createRequire(import.meta.url)('pino-pretty') as (options: PrettyOptions) => PrettyStream;
  return pino(
    options,
    pinoPretty({
      sync: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'service,pid,hostname,context',
      messageFormat: '{if context}[{context}] {end}{msg}',
    }),
  );
}
