import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { stdTimeFunctions } from 'pino';
import { Env } from '../../config/env.js';
import { routeTemplate } from '../metrics/metrics.service.js';
import { REDACTED_PATHS, redactApiKeys, requestIdFor } from './log-redaction.js';

type Req = IncomingMessage & { id?: unknown; originalUrl?: string; route?: { path?: string }; user?: { keyId?: string } };

/** Successful probe and scrape requests are not logged; they would be most of the log. */
const QUIET_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

const pathOf = (req: Req): string => (req.originalUrl ?? req.url ?? '').split('?')[0];

/**
 * Structured JSON logs (pino): one line per request with `req.id` from `X-Request-ID`, and
 * Nest's own logs (`Logger`) in the same format. Query strings and bodies are not logged (they
 * carry user identities), credential headers are censored, and every line passes through
 * {@link redactApiKeys}.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [Env],
      useFactory: (env: Env) => ({
        pinoHttp: {
          level: env.LOG_LEVEL,
          base: { service: 'ciris-billing', pid: process.pid, hostname: hostname() },
          timestamp: stdTimeFunctions.isoTime,
          genReqId: requestIdFor,
          quietReqLogger: true,
          redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
          hooks: { streamWrite: redactApiKeys },
          serializers: {
            req: (req: Req & { raw?: Req }) => ({
              method: req.method,
              path: pathOf(req.raw ?? req),
              user_agent: req.headers?.['user-agent'],
              remote_address: req.socket?.remoteAddress ?? (req as { remoteAddress?: string }).remoteAddress,
            }),
            res: (res: ServerResponse & { statusCode: number }) => ({ status: res.statusCode }),
          },
          customAttributeKeys: { reqId: 'request_id' },
          // Called when the request starts and when it ends; only the end knows route and key.
          // Nothing (not `{}`) at the start, so pino-http does not make a child logger for it.
          customProps: ((req: Req, res: ServerResponse) =>
            res.writableEnded
              ? { route: routeTemplate(req as never), key_id: req.user?.keyId }
              : undefined) as unknown as (req: Req, res: ServerResponse) => object,
          customLogLevel: (req: Req, res: ServerResponse, error?: Error) => {
            if (error || res.statusCode >= 500) return 'error';
            if (res.statusCode < 300 && QUIET_PATHS.has(pathOf(req))) return 'silent';
            return 'info';
          },
          customSuccessMessage: (req: Req, res: ServerResponse) => `${req.method} ${pathOf(req)} ${res.statusCode}`,
          customErrorMessage: (req: Req, res: ServerResponse) => `${req.method} ${pathOf(req)} ${res.statusCode}`,
        },
      }),
    }),
  ],
})
export class LoggingModule {}
