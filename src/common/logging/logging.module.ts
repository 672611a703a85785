import { Global, Module } from '@nestjs/common';
import { Env } from '../../config/env.js';
import { createPino, prettyLogs } from './create-pino.js';
import { PinoNestLogger } from './pino-nest-logger.js';
import { PINO } from './pino.token.js';
import { RequestLogger } from './request-logger.js';

/**
 * Structured JSON logs (pino; readable lines on a terminal, see `prettyLogs`): Nest's own logs through {@link PinoNestLogger}, and one line per
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
