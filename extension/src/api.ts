import { MESSAGES } from './messages.js';
import type { ProbeSummary } from './detect.js';

/** What the user set in the options page (chrome.storage.local: never synced). */
export interface Settings {
  serverUrl: string;
  apiKey: string;
  /** Forward the page's Cookie and Authorization headers with a download. */
  sendCookies: boolean;
  defaultQuality: string;
  defaultDestination: string;
  defaultContentType: string;
}

export const DEFAULT_SETTINGS: Settings = { serverUrl: '', apiKey: '', sendCookies: false, defaultQuality: 'best', defaultDestination: '', defaultContentType: '' };

/** A failure with the sentence to show as is. `status` 0: never reached the server. */
export class ServerError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ServerError';
  }
}

export function normalizeServerUrl(raw: string): string | null {
  const trimmed = raw.trim().replace(/\/+$/, '');
  try {
    const u = new URL(trimmed);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return trimmed;
  } catch {
    return null;
  }
}

/** One API call with the bearer key; errors carry the server's own JSON message when it sent one. */
export async function apiCall<T>(settings: Pick<Settings, 'serverUrl' | 'apiKey'>, method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const base = normalizeServerUrl(settings.serverUrl);
  if (!base || !settings.apiKey) throw new ServerError(MESSAGES.notConfigured, 0, 'not_configured');
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      // No cookies, ever: the key is the only credential (README "Browser extension").
      credentials: 'omit',
      headers: { Authorization: `Bearer ${settings.apiKey}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ServerError(base.startsWith('https:') ? MESSAGES.unreachableTls(base) : MESSAGES.unreachable(base), 0, 'unreachable');
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const error = (json as { error?: { code?: string; message?: string } } | null)?.error;
    if (res.status === 401) throw new ServerError(MESSAGES.keyRejected, 401, error?.code ?? 'unauthorized');
    throw new ServerError(error?.message ?? `HTTP ${res.status} from the server`, res.status, error?.code ?? `http_${res.status}`);
  }
  return json as T;
}

interface Me {
  authenticated: boolean;
  principal: { name: string; role: string } | null;
}

/** Options page "Test connection": each step names exactly what is wrong. */
export async function testConnection(settings: Settings): Promise<string> {
  const base = normalizeServerUrl(settings.serverUrl);
  if (!base) throw new ServerError(MESSAGES.badUrl, 0, 'bad_url');
  if (!settings.apiKey.trim()) throw new ServerError(MESSAGES.notConfigured, 0, 'not_configured');
  let health: { version?: unknown } | null;
  try {
    health = await apiCall<{ version?: unknown }>(settings, 'GET', '/api/health');
  } catch (err) {
    // 503: the server runs but a check fails; it still answers with its version.
    if (err instanceof ServerError && err.status === 0) throw err;
    health = null;
  }
  const version = typeof health?.version === 'string' ? health.version : null;
  if (!version) throw new ServerError(MESSAGES.notOurServer(base), 0, 'not_our_server');
  const me = await apiCall<Me>(settings, 'GET', '/api/auth/me');
  if (!me.authenticated || !me.principal) throw new ServerError(MESSAGES.keyRejected, 401, 'unauthorized');
  if (me.principal.role === 'viewer') throw new ServerError(MESSAGES.wrongRole(me.principal.role), 403, 'forbidden');
  try {
    await apiCall(settings, 'POST', '/api/probe', {});
  } catch (err) {
    if (err instanceof ServerError && (err.status === 404 || err.status === 405)) throw new ServerError(MESSAGES.oldServer(version), err.status, 'old_server');
    // 400 (no url given) is the expected answer of a server that has the route.
    if (!(err instanceof ServerError && err.status === 400)) throw err;
  }
  return MESSAGES.connected(version, me.principal.name, me.principal.role);
}

export interface ProbeError {
  code: string;
  message: string;
}

export async function probe(settings: Settings, body: { url: string; referer?: string; headers?: Record<string, string>; page_title?: string }): Promise<ProbeSummary> {
  return apiCall<ProbeSummary>(settings, 'POST', '/api/probe', body);
}

export interface SendRequest {
  url: string;
  title?: string;
  quality?: string;
  content_type?: string;
  destination?: string;
  referer?: string;
  headers?: Record<string, string>;
  page_url?: string;
  page_title?: string;
}

export interface ServerJob {
  id: string;
  title: string;
  status: string;
  progress: number;
  file_path: string | null;
  location?: string | null;
  error: { code: string; message: string } | null;
}

export function sendDownload(settings: Settings, body: SendRequest): Promise<ServerJob> {
  return apiCall<ServerJob>(settings, 'POST', '/api/downloads', body);
}

export function getJob(settings: Settings, id: string): Promise<ServerJob> {
  return apiCall<ServerJob>(settings, 'GET', `/api/downloads/${encodeURIComponent(id)}`);
}

export function listDestinations(settings: Settings): Promise<{ items: Array<{ id: string; name: string }> }> {
  return apiCall(settings, 'GET', '/api/destinations');
}
