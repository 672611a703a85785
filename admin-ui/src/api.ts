// The one way the console talks to /admin/api: same-origin fetch with the session cookie, the CSRF
// token on every non-GET, `{detail, code}` errors as ApiError, a step-up prompt and one retry on
// 403 reauth_required, and a return to the login page on 401.
import { ApiError } from './lib/errors.js';
import { toQueryString } from './lib/query.js';

export const API_BASE = '/admin/api';

/** The URL of a file the server sends as a download (a CSV export): the browser fetches it with the cookie. */
export function downloadUrl(path: string, query?: object): string {
  return API_BASE + path + toQueryString(query);
}

type StepUpPrompt = () => Promise<boolean>;

let csrfToken: string | null = null;
let onUnauthenticated: () => void = () => undefined;
let promptStepUp: StepUpPrompt = () => Promise.resolve(false);

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Wired by the App: what to do when the session is gone, and how to ask for a TOTP code. */
export function configureApi(handlers: { onUnauthenticated: () => void; promptStepUp: StepUpPrompt }): void {
  onUnauthenticated = handlers.onUnauthenticated;
  promptStepUp = handlers.promptStepUp;
}

export interface RequestOptions {
  query?: object;
  body?: unknown;
  /** Login and MFA routes: a 401 there is an answer for the form, not an expired session. */
  anonymous?: boolean;
}

async function send<T>(method: string, path: string, options: RequestOptions): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(API_BASE + path + toQueryString(options.query), {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError(0, 'network_error', {});
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (response.ok) return parsed as T;
  const body = (parsed && typeof parsed === 'object' ? parsed : {}) as { code?: string };
  throw new ApiError(response.status, body.code ?? `http_${response.status}`, body);
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  try {
    return await send<T>(method, path, options);
  } catch (error) {
    if (!(error instanceof ApiError) || options.anonymous) throw error;
    if (error.status === 401) {
      onUnauthenticated();
      throw error;
    }
    if (error.status === 403 && error.code === 'reauth_required' && (await promptStepUp())) {
      return send<T>(method, path, options);
    }
    throw error;
  }
}

export const api = {
  get: <T>(path: string, query?: object) => request<T>('GET', path, { query }),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body: body ?? {} }),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
  delete: <T>(path: string) => request<T>('DELETE', path),
};

/** Routes used before there is a session (login, MFA, setup): their 401s are shown on the form. */
export const anonymousApi = {
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body: body ?? {}, anonymous: true }),
};
