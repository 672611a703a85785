// A small history-API router for the console's pages under /admin. Hand-written (about 60 lines)
// rather than preact-iso, which brings SSR/hydration/lazy machinery and a render-to-string peer the
// console does not use. It also supports a navigation blocker (the show-once key dialog).
import { useEffect, useState } from 'preact/hooks';
import type { AnchorHTMLAttributes, JSX } from 'preact';

export const BASE = '/admin';

const listeners = new Set<() => void>();
let blocker: (() => boolean) | null = null;
let current = readLocation();

function readLocation(): string {
  const path = window.location.pathname.startsWith(BASE) ? window.location.pathname.slice(BASE.length) : '/';
  return (path || '/') + window.location.search;
}

function notify(): void {
  current = readLocation();
  for (const listener of listeners) listener();
}

window.addEventListener('popstate', () => {
  if (blocker && !blocker()) {
    // Undo the browser's back/forward: the page that holds unsaved state stays.
    window.history.pushState(null, '', BASE + current);
    return;
  }
  notify();
});

/** While set, in-app navigation and back/forward ask it first (it answers whether to leave). */
export function setNavigationBlocker(fn: (() => boolean) | null): void {
  blocker = fn;
}

/** `path` is relative to /admin and may carry a query: `/keys?status=active`. */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (blocker && !blocker()) return;
  if (options.replace) window.history.replaceState(null, '', BASE + path);
  else window.history.pushState(null, '', BASE + path);
  notify();
  window.scrollTo(0, 0);
}

export interface Location {
  /** Path under /admin, without the query. */
  path: string;
  query: URLSearchParams;
  /** Path and query, for returning here after a login. */
  href: string;
}

export function currentLocation(): Location {
  const [path, search = ''] = current.split('?');
  return { path, query: new URLSearchParams(search), href: current };
}

export function useLocation(): Location {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return currentLocation();
}

/** `/keys/:id` against `/keys/abc` → `{id: 'abc'}`; null when it does not match. */
export function matchRoute(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const have = path.split('/').filter(Boolean);
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) params[want[i].slice(1)] = decodeURIComponent(have[i]);
    else if (want[i] !== have[i]) return null;
  }
  return params;
}

export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }): JSX.Element {
  const { href, onClick, ...rest } = props;
  return (
    <a
      {...rest}
      href={BASE + href}
      onClick={(event) => {
        if (onClick) (onClick as (e: MouseEvent) => void)(event);
        if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
        event.preventDefault();
        navigate(href);
      }}
    />
  );
}
