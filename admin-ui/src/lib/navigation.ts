/**
 * Where to go after a login: the `next` path if it is a console path, else the overview. Only
 * paths under the console (`/…`, never `//host` or a scheme) are accepted: no open redirect.
 */
export function safeNextPath(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if (next.startsWith('/login') || next.startsWith('/setup')) return '/';
  return next;
}
