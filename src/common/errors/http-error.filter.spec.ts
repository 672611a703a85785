import { type ArgumentsHost, BadRequestException, Logger, NotFoundException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { DomainError, RequestValidationError, UnauthenticatedError } from './domain-error.js';
import { type ErrorCode, STATUS_BY_CODE } from './error-codes.js';
import { HttpErrorFilter } from './http-error.filter.js';

interface Sent {
  status?: number;
  body?: unknown;
  headers: Record<string, string>;
}

function send(exception: unknown): Sent {
  const sent: Sent = { headers: {} };
  const res = {
    headersSent: false,
    status(code: number) {
      sent.status = code;
      return res;
    },
    json(body: unknown) {
      sent.body = body;
      return res;
    },
    set(headers: Record<string, string>) {
      Object.assign(sent.headers, headers);
      return res;
    },
    setHeader(name: string, value: string) {
      sent.headers[name] = value;
      return res;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => res, getRequest: () => ({}) }) } as unknown as ArgumentsHost;
  new HttpErrorFilter().catch(exception, host);
  return sent;
}

class AnyCodeError extends DomainError {
  constructor(readonly code: ErrorCode) {
    super(`failure ${code}`);
  }
}

describe('HttpErrorFilter', () => {
  let logged: string[];
  beforeEach(() => {
    logged = [];
    Logger.overrideLogger({
      log: () => undefined,
      warn: () => undefined,
      error: (message: unknown) => logged.push(String(message)),
    });
  });

  it('answers every error code with its status and a {detail, code} body', () => {
    const codes = Object.keys(STATUS_BY_CODE) as ErrorCode[];
    expect(codes.length).toBeGreaterThan(30);
    for (const code of codes) {
      const sent = send(new AnyCodeError(code));
      expect([code, sent.status, sent.body]).toEqual([code, STATUS_BY_CODE[code], { detail: `failure ${code}`, code }]);
    }
  });

  it('sends the headers and extra fields an error carries', () => {
    class Duplicate extends DomainError {
      readonly code = 'charge_exists';
      constructor() {
        super('Charge already exists');
        this.extra.charge_id = 'c-1';
        this.headers['X-Existing-Charge-ID'] = 'c-1';
      }
    }
    expect(send(new Duplicate())).toEqual({
      status: 409,
      body: { detail: 'Charge already exists', code: 'charge_exists', charge_id: 'c-1' },
      headers: { 'X-Existing-Charge-ID': 'c-1' },
    });
  });

  it('challenges with WWW-Authenticate on every 401', () => {
    class NoKey extends UnauthenticatedError {
      readonly code = 'missing_api_key';
    }
    const sent = send(new NoKey('Missing required header X-API-Key'));
    expect(sent.status).toBe(401);
    expect(sent.headers['WWW-Authenticate']).toBe('ApiKey');
  });

  it('lists validation issues as the detail of a 422', () => {
    const issues = [{ loc: ['body', 'amount_minor'], msg: 'must be an integer', type: 'isInt' }];
    expect(send(new RequestValidationError(issues))).toMatchObject({
      status: 422,
      body: { detail: issues, code: 'validation_error' },
    });
  });

  it('maps Nest HTTP exceptions to {detail, code}', () => {
    expect(send(new NotFoundException('Cannot GET /nowhere'))).toMatchObject({
      status: 404,
      body: { detail: 'Cannot GET /nowhere', code: 'not_found' },
    });
    expect(send(new BadRequestException('Bad'))).toMatchObject({ status: 400, body: { code: 'bad_request' } });
  });

  it('answers input PostgreSQL cannot store with a 422, not a 500', () => {
    const error = new QueryFailedError(
      'INSERT …',
      [],
      Object.assign(new Error('invalid byte sequence'), { code: '22021' }),
    );
    expect(send(error)).toMatchObject({ status: 422, body: { code: 'validation_error' } });
  });

  it('never leaks an internal message on a 500, and logs it instead', () => {
    const secret = 'connection to postgres://billing:hunter2@db failed';
    for (const exception of [new Error(secret), new TypeError(secret), secret, { message: secret }]) {
      const sent = send(exception);
      expect(sent.status).toBe(500);
      expect(sent.body).toEqual({ detail: 'Internal server error', code: 'internal_error' });
      expect(JSON.stringify(sent)).not.toContain('hunter2');
    }
    expect(logged.some((line) => line.includes('hunter2'))).toBe(true);
  });
});
