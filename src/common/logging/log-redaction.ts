import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Anything shaped like an API key (also truncated or mistyped ones): `cbk_live_`/`cbk_test_` and
 * at least 8 more characters. Applied to every serialized log line as a last line of defence,
 * whatever a log call passes (URLs, error messages, bodies).
 */
const KEY_LIKE = /cbk_(live|test)_([0-9A-Za-z]{4})[0-9A-Za-z]{4,}/g;

export function redactApiKeys(line: string): string {
  return line.includes('cbk_') ? line.replace(KEY_LIKE, 'cbk_$1_$2…[REDACTED]') : line;
}

/** Accepted incoming request ids: short and log-safe; anything else is replaced by a fresh UUID. */
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** `X-Request-ID` from the caller (or a proxy) when usable, else a UUID; echoed on the response. */
export function requestIdFor(req: IncomingMessage, res: ServerResponse): string {
  const header = req.headers['x-request-id'];
  const incoming = Array.isArray(header) ? header[0] : header;
  const id = incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-ID', id);
  return id;
}
