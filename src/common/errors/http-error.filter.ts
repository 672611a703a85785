import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { QueryFailedError } from 'typeorm';
import { databaseErrorFor } from './database-errors.js';
import { DomainError, RequestValidationError } from './domain-error.js';
import { STATUS_BY_CODE } from './error-codes.js';

const HTTP_CODE_NAMES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/** Told of every request answered 503 because of the database (DatabaseStatus: outage log and metrics). */
export interface DatabaseFailureObserver {
  failed(kind: 'unavailable' | 'outcome_unknown', error: unknown): void;
}

/** The one place where errors become HTTP responses: `{"detail": ..., "code": ...}`. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  /** `database`: told of every database failure, so an outage is logged once, not per request. */
  constructor(private readonly database?: DatabaseFailureObserver) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;

    // The database failed (unreachable, timed out, connection lost): 503, never a 500 and a stack.
    if (!(exception instanceof DomainError)) {
      const failure = databaseErrorFor(exception, host.switchToHttp().getRequest<Request>().method);
      if (failure) {
        this.database?.failed(failure.code === 'outcome_unknown' ? 'outcome_unknown' : 'unavailable', exception);
        exception = failure;
      }
    }

    if (exception instanceof DomainError) {
      const status = STATUS_BY_CODE[exception.code];
      res.set(exception.headers);
      const detail = exception instanceof RequestValidationError ? exception.issues : exception.message;
      res.status(status).json({ detail, code: exception.code, ...exception.extra });
      return;
    }

    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const message =
        typeof body === 'string'
          ? body
          : typeof (body as { message?: unknown }).message === 'string'
            ? (body as { message: string }).message
            : exception.message;
      res.status(status).json({ detail: message, code: HTTP_CODE_NAMES[status] ?? `http_${status}` });
      return;
    }

    // Backstop for input the validation pipe let through but PostgreSQL cannot store (invalid
    // byte sequence, untranslatable character): the client's input, so a 422, never a 500.
    if (exception instanceof QueryFailedError) {
      const code = (exception.driverError as { code?: string } | undefined)?.code;
      if (code === '22021' || code === '22P05') {
        res.status(422).json({
          detail: [
            { loc: ['body'], msg: 'Input contains characters that cannot be stored', type: 'string_unstorable' },
          ],
          code: 'validation_error',
        });
        return;
      }
    }

    // Errors raised by the body parser carry an HTTP status (e.g. 400 for bad encoding).
    const parserStatus = (exception as { status?: unknown; expose?: unknown })?.status;
    if (typeof parserStatus === 'number' && parserStatus >= 400 && parserStatus < 500) {
      res.status(parserStatus).json({
        detail: (exception as Error).message,
        code: HTTP_CODE_NAMES[parserStatus] ?? `http_${parserStatus}`,
      });
      return;
    }

    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    res.status(HttpStatus.INTERNAL_SERVER_ERROR).json({ detail: 'Internal server error', code: 'internal_error' });
  }
}
