import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { QueryFailedError } from 'typeorm';
import { DomainError, RequestValidationError } from './domain-error.js';

/** HTTP status for each stable error code. Codes not listed here are a bug and map to 500. */
const STATUS_BY_CODE: Record<string, number> = {
  validation_error: 422,
  payload_too_large: 413,
  missing_api_key: 401,
  invalid_api_key: 401,
  api_key_expired: 401,
  api_key_revoked: 401,
  permission_denied: 403,
  route_not_permitted: 403,
  rate_limited: 429,
  account_not_found: 404,
  account_suspended: 403,
  account_closed: 403,
  insufficient_credits: 402,
  currency_mismatch: 400,
  charge_exists: 409,
  credit_exists: 409,
  idempotency_conflict: 422,
  balance_limit_exceeded: 422,
  api_key_not_found: 404,
  api_key_not_rotatable: 409,
  admin_user_not_found: 404,
  admin_user_exists: 409,
  invalid_permission: 422,
  payment_provider_not_configured: 503,
  payment_provider_mode_mismatch: 503,
  payment_provider_unavailable: 503,
  purchase_not_found: 404,
  purchase_not_credited: 409,
  invalid_webhook_signature: 400,
  account_status_unchanged: 409,
  account_closed_final: 409,
  adjustment_exists: 409,
};

/** Response headers that go with a code (SPEC: 401s carry `WWW-Authenticate: ApiKey`). */
function headersFor(error: DomainError): Record<string, string> {
  switch (error.code) {
    case 'missing_api_key':
    case 'invalid_api_key':
    case 'api_key_expired':
    case 'api_key_revoked':
      return { 'WWW-Authenticate': 'ApiKey' };
    case 'charge_exists':
      return { 'X-Existing-Charge-ID': String(error.extra.charge_id) };
    case 'credit_exists':
      return { 'X-Existing-Credit-ID': String(error.extra.credit_id) };
    case 'adjustment_exists':
      return { 'X-Existing-Credit-ID': String(error.extra.adjustment_id) };
    default:
      return {};
  }
}

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

/** The one place where errors become HTTP responses: `{"detail": ..., "code": ...}`. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;

    if (exception instanceof DomainError) {
      const status = STATUS_BY_CODE[exception.code];
      if (status === undefined) {
        this.logger.error(`Unmapped error code ${exception.code}: ${exception.message}`);
        res.status(500).json({ detail: 'Internal server error', code: 'internal_error' });
        return;
      }
      res.set(headersFor(exception));
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
