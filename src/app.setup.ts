import type { INestApplication } from '@nestjs/common';
import { HttpErrorFilter } from './common/errors/http-error.filter.js';
import { DeferredBodyErrorInterceptor, deferredJsonBodyParser } from './common/validation/deferred-json-body.js';
import { RequestValidationPipe } from './common/validation/request-validation.pipe.js';

/** Everything about the HTTP app that is not a module: shared by main.ts and the e2e tests. */
export function configureApp(app: INestApplication): INestApplication {
  app.use(deferredJsonBodyParser('100kb'));
  app.useGlobalFilters(new HttpErrorFilter());
  app.useGlobalInterceptors(new DeferredBodyErrorInterceptor());
  app.useGlobalPipes(new RequestValidationPipe());
  app.enableShutdownHooks();
  return app;
}
