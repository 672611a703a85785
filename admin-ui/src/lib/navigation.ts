/**
 * Where to go after a login: the `next` path if it is a console path, else the overview. Only
 * paths under the console (`/…`, never `//host` or a scheme) are accepted: no open redirect.
 */
export function safeNextPath(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if (next.startsWith('/login') || next.startsWith('/setup')) return '/';
  return next;
}

/**
 * The token of an invitation link `…/admin/setup#token=…`. It travels in the fragment, which the
 * browser never sends to a server (so it is in no access log); the page posts it to /auth/setup.
 */
export function setupToken(hash: string): string {
  return new URLSearchParams(hash.replace(/^#/, '')).get('token') ?? '';
}
