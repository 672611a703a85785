import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Observable } from 'rxjs';
import { PayloadTooLargeError, RequestValidationError } from '../errors/domain-error.js';

const BODY_ERROR = Symbol('bodyError');
type RequestWithBodyError = Request & { [BODY_ERROR]?: { type?: string; message: string } };

/**
 * Parses JSON bodies but defers any parse failure until after authentication, so a bad key with
 * a bad body is a 401 (SPEC §1), and only then a 422 (or 413 for an oversized body).
 */
export function deferredJsonBodyParser(limit: string): RequestHandler {
  return deferErrors(express.json({ limit }));
}

/**
 * Keeps the body as a Buffer of the exact bytes received (any content type), for routes that verify
 * a signature over them, e.g. Stripe webhooks. Failures are deferred the same way.
 */
export function deferredRawBodyParser(limit: string): RequestHandler {
  return deferErrors(express.raw({ limit, type: () => true }));
}

function deferErrors(parse: RequestHandler): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    parse(req, res, (error?: unknown) => {
      if (error) {
        (req as RequestWithBodyError)[BODY_ERROR] = error as { type?: string; message: string };
        req.body = undefined;
      }
      next();
    });
  };
}

/** Runs after the guards: surfaces a deferred body-parse failure as the error the client should see. */
@Injectable()
export class DeferredBodyErrorInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const error = context.switchToHttp().getRequest<RequestWithBodyError>()[BODY_ERROR];
    if (error) {
      if (error.type === 'entity.too.large') throw new PayloadTooLargeError();
      throw new RequestValidationError([{ loc: ['body'], msg: `JSON decode error: ${error.message}`, type: 'json_invalid' }]);
    }
    return next.handle();
  }
}
