import { hostname } from 'node:os';
import { pino, stdTimeFunctions, type Logger } from 'pino';
import type { Env } from '../../config/env.js';
import { redactApiKeys } from './log-redaction.js';

/**
 * The process's pino logger: JSON lines on stdout, every line passed through {@link redactApiKeys}.
 * A file of its own (no Nest imports), so main.ts can log before loading the application.
 */
export function createPino(level: Env['LOG_LEVEL']): Logger {
  return pino({
    level,
    base: { service: 'ciris-billing', pid: process.pid, hostname: hostname() },
    timestamp: stdTimeFunctions.isoTime,
    hooks: { streamWrite: redactApiKeys },
  });
}
