import { randomUUID } from 'node:crypto';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** Printable ASCII without spaces, at most 128 characters: safe to store and to log. */
const VALID_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

type RequestWithId = Request & { id?: unknown };

/**
 * The request's id: one already assigned to the request (e.g. by the logging middleware), else the
 * client's `X-Request-ID` when it is sane, else a fresh UUID, remembered on the request so every
 * reader in the same request gets the same value.
 */
export function requestIdOf(req: RequestWithId): string {
  if (typeof req.id === 'string' && VALID_REQUEST_ID.test(req.id)) return req.id;
  const header = req.headers['x-request-id'];
  const id = typeof header === 'string' && VALID_REQUEST_ID.test(header) ? header : randomUUID();
  req.id = id;
  return id;
}

/** `@RequestId() requestId: string` — see {@link requestIdOf}. */
export const RequestId = createParamDecorator((_: unknown, ctx: ExecutionContext): string =>
  requestIdOf(ctx.switchToHttp().getRequest<RequestWithId>()),
);
