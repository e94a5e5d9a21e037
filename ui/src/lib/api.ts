/**
 * Every request the panel makes goes through here. URLs are resolved against document.baseURI:
 * the server puts a `<base href>` in index.html (the Home Assistant ingress prefix, or a relative
 * path back to the app's root), so a path must never start with "/" (it would escape the prefix).
 */

const KEY_STORAGE = 'm3udl.apiKey';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The endpoint does not exist in this version of the server (another issue adds it). */
  get notAvailable(): boolean {
    return this.status === 404 && (this.code === 'not_found_route' || this.message.startsWith('no route') || this.code === 'http_404');
  }
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function apiUrl(path: string, query?: Query): string {
  if (path.startsWith('/')) throw new Error(`API paths are relative to the panel's base: ${path}`);
  const url = new URL(`api/${path}`, document.baseURI);
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  }
  return url.toString();
}

let apiKey: string | null = readKey();
let csrfToken: string | null = null;

/** The CSRF token of a cookie session (from /api/auth/me or a sign-in); also read from its cookie. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

function csrf(): string | null {
  try {
    const m = /(?:^|;\s*)m3udl_csrf=([^;]+)/.exec(document.cookie);
    if (m?.[1]) return decodeURIComponent(m[1]);
  } catch {
    // no cookies
  }
  return csrfToken;
}
const unauthorizedListeners = new Set<(err: ApiError) => void>();

function readKey(): string | null {
  try {
    return localStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

export function getApiKey(): string | null {
  return apiKey;
}

export function setApiKey(key: string | null): void {
  apiKey = key;
  try {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  } catch {
    // private mode: the key lives until the tab closes
  }
}

/** Called with every 401, so the app can show its login or API-key view. */
export function onUnauthorized(listener: (err: ApiError) => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  /** Do not report a 401 to the app (the auth probe itself). */
  quiet401?: boolean;
}

async function errorFrom(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  let field: string | undefined;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; field?: string } };
    if (body?.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
      field = body.error.field;
    }
  } catch {
    // not JSON (a proxy's error page)
    if (res.status === 502 || res.status === 503 || res.status === 504) message = 'the add-on is not reachable (is it running?)';
  }
  return new ApiError(res.status, code, message, field);
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
  // A FormData body (a file upload) sets its own multipart Content-Type with the boundary.
  const form = typeof FormData !== 'undefined' && options.body instanceof FormData;
  if (options.body !== undefined && !form) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') {
    // Cookie sessions: the server checks this token on every write.
    const token = csrf();
    if (token) headers['X-CSRF-Token'] = token;
  }
  let res: Response;
  try {
    res = await fetch(apiUrl(path, options.query), {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? null : form ? (options.body as FormData) : JSON.stringify(options.body),
      signal: options.signal ?? null,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'cannot reach the add-on: check your connection');
  }
  if (!res.ok) {
    const err = await errorFrom(res);
    if (res.status === 401 && !options.quiet401) for (const l of unauthorizedListeners) l(err);
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? await res.json() : await res.text()) as T;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { query, ...(signal ? { signal } : {}) }),
  post: <T>(path: string, body?: unknown, query?: Query, signal?: AbortSignal) => request<T>('POST', path, { body: body ?? {}, query, ...(signal ? { signal } : {}) }),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, { body }),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
  del: <T = void>(path: string, query?: Query) => request<T>('DELETE', path, { query }),
  /** multipart/form-data (file uploads). */
  upload: <T>(method: 'POST' | 'PUT', path: string, form: FormData) => request<T>(method, path, { body: form }),
};

/** A list endpoint may answer `{items, total}` or a bare array. */
export function itemsOf<T>(body: unknown): { items: T[]; total: number } {
  if (Array.isArray(body)) return { items: body as T[], total: body.length };
  const b = body as { items?: T[]; total?: number } | null;
  const items = Array.isArray(b?.items) ? b.items : [];
  return { items, total: typeof b?.total === 'number' ? b.total : items.length };
}

export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * How a view's load failed: `unavailable` when this server has no such endpoint yet (the view
 * says so instead of an error), otherwise `error` with a message to show next to a retry.
 */
export interface LoadFailure {
  phase: 'unavailable' | 'error';
  message: string;
}

export function loadFailure(err: unknown): LoadFailure {
  return err instanceof ApiError && err.notAvailable ? { phase: 'unavailable', message: '' } : { phase: 'error', message: messageOf(err) };
}
