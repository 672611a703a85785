import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** Accepted incoming request ids: short tokens, safe to log and to store; anything else gets a UUID. */
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/**
 * Ids that may carry a key are refused too: request ids are logged and stored with audit rows.
 * That is a key prefix anywhere (any case), or a run of 43 or more letters and digits (the length
 * of a key's 256-bit secret in base62, sent without its prefix).
 */
const KEY_SHAPED = /cbk_(live|test)_|[0-9A-Za-z]{43}/i;

/** Whether a caller's `X-Request-ID` may be kept: short, log-safe and not shaped like a key. */
export function isSafeRequestId(id: string): boolean {
  return REQUEST_ID.test(id) && !KEY_SHAPED.test(id);
}

type RequestWithId = Request & { id?: unknown };

/** The caller's (or a proxy's) `X-Request-ID` when it is a valid id, else a fresh UUID. */
function incomingOrNew(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  const incoming = Array.isArray(header) ? header[0] : header;
  return incoming !== undefined && isSafeRequestId(incoming) ? incoming : randomUUID();
}

/** Assigns the request its id (see {@link incomingOrNew}) and echoes it in `X-Request-ID`. */
export function requestIdFor(req: IncomingMessage, res: ServerResponse): string {
  const id = incomingOrNew(req);
  res.setHeader('X-Request-ID', id);
  return id;
}

/**
 * The request's id: one already assigned to the request (e.g. by the logging middleware), else the
 * client's `X-Request-ID` when it is sane, else a fresh UUID, remembered on the request so every
 * reader in the same request gets the same value.
 */
export function requestIdOf(req: RequestWithId): string {
  if (typeof req.id === 'string' && isSafeRequestId(req.id)) return req.id;
  const id = incomingOrNew(req);
  req.id = id;
  return id;
}

/** `@RequestId() requestId: string` — see {@link requestIdOf}. */
export const RequestId = createParamDecorator((_: unknown, ctx: ExecutionContext): string =>
  requestIdOf(ctx.switchToHttp().getRequest<RequestWithId>()),
);
