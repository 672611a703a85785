import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Anything shaped like an API key (also truncated or mistyped ones): `cbk_live_`/`cbk_test_` (any
 * case) and at least 8 more characters. Applied to every serialized log line as a last line of
 * defence, whatever a log call passes (URLs, error messages, bodies).
 */
const KEY_LIKE = /cbk_(live|test)_([0-9A-Za-z]{4})[0-9A-Za-z]{4,}/gi;
const HAS_PREFIX = /cbk_/i;

/**
 * A run of key characters and percent-escapes holding at least one escape: what a key looks like
 * in a URL someone percent-encoded (`cbk%5Flive%5F…`, every character encoded, or encoded twice).
 */
const ENCODED_RUN = /(?:%[0-9A-Fa-f]{2}|[0-9A-Za-z_])*%[0-9A-Fa-f]{2}(?:%[0-9A-Fa-f]{2}|[0-9A-Za-z_])*/g;

/** Byte-wise percent-decoding that never throws (keys are ASCII, so bytes are enough). */
const percentDecode = (text: string): string =>
  text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/** An encoded run with a key inside, decoded (up to three times) and redacted; else unchanged. */
function redactEncodedRun(run: string): string {
  let decoded = run;
  for (let i = 0; i < 3 && decoded.includes('%'); i++) decoded = percentDecode(decoded);
  if (!HAS_PREFIX.test(decoded)) return run;
  const redacted = decoded.replace(KEY_LIKE, 'cbk_$1_$2…[REDACTED]');
  if (redacted === decoded) return run;
  // Re-escape what the decoding produced that could break the JSON line (quotes, backslashes, controls).
  return redacted.replace(
    /[^0-9A-Za-z_.…[\]-]/g,
    (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`,
  );
}

export function redactApiKeys(line: string): string {
  let out = line;
  if (out.includes('%')) out = out.replace(ENCODED_RUN, redactEncodedRun);
  return HAS_PREFIX.test(out) ? out.replace(KEY_LIKE, 'cbk_$1_$2…[REDACTED]') : out;
}

/** Accepted incoming request ids: short and log-safe; anything else is replaced by a fresh UUID. */
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

/** `X-Request-ID` from the caller (or a proxy) when usable, else a UUID; echoed on the response. */
export function requestIdFor(req: IncomingMessage, res: ServerResponse): string {
  const header = req.headers['x-request-id'];
  const incoming = Array.isArray(header) ? header[0] : header;
  const id = incoming !== undefined && isSafeRequestId(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-ID', id);
  return id;
}
