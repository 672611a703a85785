import { hostname } from 'node:os';
import { Global, Module } from '@nestjs/common';
import { pino, stdTimeFunctions, type Logger } from 'pino';
import { Env } from '../../config/env.js';
import { redactApiKeys } from './log-redaction.js';
import { PinoNestLogger } from './pino-nest-logger.js';
import { PINO } from './pino.token.js';
import { RequestLogger } from './request-logger.js';

/** Whether logs are written for a person: `pretty`, or `auto` on a terminal. */
export function prettyLogs(format: Env['LOG_FORMAT'], isTTY = process.stdout.isTTY === true): boolean {
  return format === 'pretty' || (format === 'auto' && isTTY);
}

/**
 * The process's pino logger: JSON lines on stdout, every line passed through {@link redactApiKeys}
 * first. With `pretty`, the same (redacted) lines are rendered by pino-pretty, synchronously on
 * stdout; it is loaded only then, so JSON deployments never load it.
 */
export async function createPino(level: Env['LOG_LEVEL'], pretty = false): Promise<Logger> {
  const options = {
    level,
    base: { service: 'ciris-billing', pid: process.pid, hostname: hostname() },
    timestamp: stdTimeFunctions.isoTime,
    hooks: { streamWrite: redactApiKeys },
  };
  if (!pretty) return pino(options);
  const { default: pinoPretty } = await import('pino-pretty');
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

/**
 * Structured JSON logs (pino; readable lines on a terminal, see {@link prettyLogs}): Nest's own logs through {@link PinoNestLogger}, and one line per
 * request from {@link RequestLogger} (installed by `configureApp`).
 */
@Global()
@Module({
  providers: [
    {
      provide: PINO,
      inject: [Env],
      useFactory: (env: Env) => createPino(env.LOG_LEVEL, prettyLogs(env.LOG_FORMAT)),
    },
    PinoNestLogger,
    RequestLogger,
  ],
  exports: [PINO, PinoNestLogger, RequestLogger],
})
export class LoggingModule {}
