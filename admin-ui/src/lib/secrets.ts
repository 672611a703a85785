// Presentation of a freshly minted API key. The plaintext only ever lives in component state: these
// helpers build strings for display and copying, and nothing here stores or logs it.

/** `cbk_live_8f4dQ1…` style: the public prefix, dots for the secret, the last 4 characters. */
export function maskKey(plaintext: string): string {
  const visible = Math.min(13, plaintext.length);
  if (plaintext.length <= visible + 4) return '•'.repeat(plaintext.length);
  return plaintext.slice(0, visible) + '•'.repeat(24) + plaintext.slice(-4);
}

/** A ready-to-run credit check with the key, against this service's own origin. */
export function curlLine(origin: string, plaintext: string): string {
  const body = JSON.stringify({ oauth_provider: 'oauth:google', external_id: 'user@example.com' });
  return `curl -sS -X POST ${origin}/v1/billing/credits/check -H 'X-API-Key: ${plaintext}' -H 'Content-Type: application/json' -d '${body}'`;
}
