import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { PayloadTooLargeError, RequestValidationError, type DomainError } from '../errors/domain-error.js';

/** Stands in for `req.body` when parsing failed; the validation pipe turns it into the error. */
export class UnparsedBody {
  constructor(private readonly failure: { type?: string; message: string }) {}

  /** 413 for an oversized body, else 422 with the parser's message. */
  toError(): DomainError {
    if (this.failure.type === 'entity.too.large') return new PayloadTooLargeError();
    return new RequestValidationError([
      { loc: ['body'], msg: `JSON decode error: ${this.failure.message}`, type: 'json_invalid' },
    ]);
  }
}

/**
 * Parses JSON bodies but defers any parse failure until the body is validated, which is after
 * authentication (guards run before pipes), so a bad key with a bad body is a 401 (SPEC §1), and
 * only then a 422 (or 413 for an oversized body). Deferring through the body itself rather than
 * an interceptor keeps RxJS off every request.
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
      if (error) req.body = new UnparsedBody(error as { type?: string; message: string });
      next();
    });
  };
}
