import { hostname } from 'node:os';
import { Global, Module } from '@nestjs/common';
import { pino, stdTimeFunctions, type Logger } from 'pino';
import { Env } from '../../config/env.js';
import { redactApiKeys } from './log-redaction.js';
import { PinoNestLogger } from './pino-nest-logger.js';
import { PINO } from './pino.token.js';
import { RequestLogger } from './request-logger.js';

/** The process's pino logger: JSON lines on stdout, every line passed through {@link redactApiKeys}. */
export function createPino(level: Env['LOG_LEVEL']): Logger {
  return pino({
    level,
    base: { service: 'ciris-billing', pid: process.pid, hostname: hostname() },
    timestamp: stdTimeFunctions.isoTime,
    hooks: { streamWrite: redactApiKeys },
  });
}

/**
 * Structured JSON logs (pino): Nest's own logs through {@link PinoNestLogger}, and one line per
 * request from {@link RequestLogger} (installed by `configureApp`).
 */
@Global()
@Module({
  providers: [
    { provide: PINO, inject: [Env], useFactory: (env: Env) => createPino(env.LOG_LEVEL) },
    PinoNestLogger,
    RequestLogger,
  ],
  exports: [PINO, PinoNestLogger, RequestLogger],
})
export class LoggingModule {}
