/**
 * Anything shaped like an API key (also truncated or mistyped ones): `cbk_live_`/`cbk_test_` and
 * at least 8 more characters. Applied to every serialized log line as a last line of defence,
 * whatever a log call passes (URLs, error messages, bodies).
 */
const KEY_LIKE = /cbk_(live|test)_([0-9A-Za-z]{4})[0-9A-Za-z]{4,}/g;

export function redactApiKeys(line: string): string {
  return line.includes('cbk_') ? line.replace(KEY_LIKE, 'cbk_$1_$2…[REDACTED]') : line;
}
