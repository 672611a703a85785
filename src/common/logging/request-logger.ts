import { Inject, Injectable } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { routeTemplate } from '../metrics/metrics.service.js';
import { requestIdFor } from './log-redaction.js';
import { PINO } from './pino.token.js';

type Req = Request & { id?: string; user?: { keyId?: string } };

/** Successful probe and scrape requests are not logged; they would be most of the log. */
const QUIET_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

const pathOf = (req: Req): string => (req.originalUrl ?? req.url ?? '').split('?')[0];

/**
 * One JSON line per request, written when the response finishes: request id (from `X-Request-ID`
 * or generated, echoed back), method, path (never the query string: it carries identities),
 * status, route template, key id and duration. No headers and no bodies are logged.
 *
 * Built by hand rather than with pino-http: on the agents' hot path its per-request child loggers
 * and eager serialisation cost more CPU than the credit check's own work (docs/performance.md).
 */
@Injectable()
export class RequestLogger {
  constructor(@Inject(PINO) private readonly pino: Logger) {}

  readonly middleware: RequestHandler = (req: Req, res: Response, next: NextFunction) => {
    const started = performance.now();
    req.id = requestIdFor(req, res);
    res.once('finish', () => this.write(req, res, performance.now() - started));
    next();
  };

  private write(req: Req, res: Response, ms: number): void {
    const status = res.statusCode;
    const path = pathOf(req);
    // A 503 is an expected answer (an outage, logged once as an error where it starts; a provider
    // not configured): warn, so an outage does not write one error line per request.
    const level =
      status >= 500 ? (status === 503 ? 'warn' : 'error') : status < 300 && QUIET_PATHS.has(path) ? undefined : 'info';
    if (!level || !this.pino.isLevelEnabled(level)) return;
    this.pino[level](
      {
        request_id: req.id,
        req: {
          method: req.method,
          path,
          user_agent: req.headers['user-agent'],
          remote_address: req.socket?.remoteAddress,
        },
        res: { status },
        route: routeTemplate(req as never),
        key_id: req.user?.keyId,
        responseTime: Math.round(ms),
      },
      `${req.method} ${path} ${status}`,
    );
  }
}
