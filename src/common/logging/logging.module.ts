import { Global, Module } from '@nestjs/common';
import { Env } from '../../config/env.js';
import { createPino } from './create-pino.js';
import { PinoNestLogger } from './pino-nest-logger.js';
import { PINO } from './pino.token.js';
import { RequestLogger } from './request-logger.js';

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
