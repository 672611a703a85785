import { hostname } from 'node:os';
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type { PrettyOptions, PrettyStream } from 'pino-pretty';
import type { Env } from '../../config/env.js';
import { redactApiKeys } from './log-redaction.js';

/** Whether logs are written for a person: `pretty`, or `auto` on a terminal. */
export function prettyLogs(format: Env['LOG_FORMAT'], isTTY = process.stdout.isTTY === true): boolean {
  return format === 'pretty' || (format === 'auto' && isTTY);
}

let isoSecond = Number.NaN;
let isoPrefix = '';

/**
 * pino's `stdTimeFunctions.isoTime` (`,"time":"2026-12-01T15:35:12.345Z"`, the same text), with the
 * part up to the second formatted once per second instead of a `Date` and `toISOString` per line.
 */
export function isoTime(now = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = `,"time":"${new Date(second * 1000).toISOString().slice(0, -4)}`;
  }
  const ms = now - second * 1000;
  return `${isoPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`;
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
    timestamp: () => isoTime(),
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
