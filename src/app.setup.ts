import type { INestApplication } from '@nestjs/common';
import { configureAdminConsole } from './admin-console/admin-console.setup.js';
import { DatabaseStatus } from './common/database/database-status.js';
import { HttpErrorFilter } from './common/errors/http-error.filter.js';
import { GracefulShutdown } from './common/lifecycle/graceful-shutdown.js';
import { RequestLogger } from './common/logging/request-logger.js';
import { MetricsService } from './common/metrics/metrics.service.js';
import { setupOpenApi } from './openapi.setup.js';
import { deferredJsonBodyParser, deferredRawBodyParser } from './common/validation/deferred-json-body.js';
import { RequestValidationPipe } from './common/validation/request-validation.pipe.js';
import { STRIPE_WEBHOOK_PATH } from './purchases/stripe-webhook.controller.js';
import { Env, trustProxySetting } from './config/env.js';

/** Everything about the HTTP app that is not a module: shared by main.ts and the e2e tests. */
export function configureApp(app: INestApplication): INestApplication {
  // JSON API responses: no ETag (a hash of every body, which no client revalidates) and no banner.
  const express = app.getHttpAdapter().getInstance() as { set(name: string, value: unknown): void };
  express.set('etag', false);
  express.set('x-powered-by', false);
  // Which proxies' X-Forwarded-For decides req.ip (the failed-auth throttle counts per address).
  express.set('trust proxy', trustProxySetting(app.get(Env).TRUST_PROXY));
  app.use(app.get(RequestLogger).middleware);
  app.use(app.get(MetricsService).httpMiddleware);
  app.use(app.get(GracefulShutdown).middleware);
  configureAdminConsole(app);
  // Stripe signs the exact bytes it sends: keep them raw (the JSON parser then skips the request).
  app.use(STRIPE_WEBHOOK_PATH, deferredRawBodyParser('1mb'));
  app.use(deferredJsonBodyParser('100kb'));
  app.useGlobalFilters(new HttpErrorFilter(app.get(DatabaseStatus)));
  app.useGlobalPipes(new RequestValidationPipe());
  setupOpenApi(app);
  // SIGTERM/SIGINT run the shutdown sequence (GracefulShutdown drains first), then exit 0.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  return app;
}
