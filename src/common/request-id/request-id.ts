import { randomUUID } from 'node:crypto';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { isSafeRequestId } from '../logging/log-redaction.js';

type RequestWithId = Request & { id?: unknown };

/**
 * The request's id: one already assigned to the request (e.g. by the logging middleware), else the
 * client's `X-Request-ID` when it is sane, else a fresh UUID, remembered on the request so every
 * reader in the same request gets the same value.
 */
export function requestIdOf(req: RequestWithId): string {
  if (typeof req.id === 'string' && isSafeRequestId(req.id)) return req.id;
  const header = req.headers['x-request-id'];
  const id = typeof header === 'string' && isSafeRequestId(header) ? header : randomUUID();
  req.id = id;
  return id;
}

/** `@RequestId() requestId: string` — see {@link requestIdOf}. */
export const RequestId = createParamDecorator((_: unknown, ctx: ExecutionContext): string =>
  requestIdOf(ctx.switchToHttp().getRequest<RequestWithId>()),
);
