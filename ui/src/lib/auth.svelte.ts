import { api, ApiError, getApiKey, messageOf, onUnauthorized, request, setApiKey, setCsrfToken } from './api';
import type { MeResponse, Role } from './types';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/**
 * Who is using the panel and how they get in (GET /api/auth/me always answers):
 * - Behind Home Assistant ingress, HA has already signed the user in: nothing to do.
 * - Plain Docker: "create the admin account" on first run, then a sign-in form (cookie session;
 *   writes carry its CSRF token).
 * - The add-on opened on its port rather than from the sidebar: an API key, kept in this
 *   browser's local storage and sent as `Authorization: Bearer`.
 * - A server without /api/auth (older): the API-key prompt when the API answers 401.
 */
export type AuthMode = 'checking' | 'ok' | 'login' | 'setup' | 'apikey';

class Auth {
  mode = $state<AuthMode>('checking');
  me = $state<MeResponse | null>(null);
  /** Whether this server has the accounts API (/api/auth/*). */
  accounts = $state<boolean | null>(null);
  error = $state<string | null>(null);

  constructor() {
    onUnauthorized(() => {
      if (this.mode === 'ok') void this.check();
    });
  }

  get canSignOut(): boolean {
    return this.mode === 'ok' && (this.me?.principal?.kind === 'session' || (getApiKey() !== null && this.me?.principal?.via !== 'ingress'));
  }

  /** The signed-in role; null when the server does not say (an older server without /api/auth). */
  get role(): Role | null {
    return this.me?.principal?.role ?? null;
  }

  /**
   * Whether the current role may use an action that needs `need` (addon/http/access.ts rules), so
   * views hide buttons that would only answer 403. Unknown role: shown, the server decides.
   */
  can(need: Role): boolean {
    const have = this.role;
    return have === null || RANK[have] >= RANK[need];
  }

  get displayName(): string | null {
    const p = this.me?.principal;
    return p ? (p.display_name ?? p.name) : null;
  }

  async check(): Promise<void> {
    try {
      const me = await request<MeResponse>('GET', 'auth/me', { quiet401: true });
      this.accounts = true;
      this.me = me;
      setCsrfToken(me.csrf_token);
      if (me.authenticated) this.mode = 'ok';
      else if (me.setup_required) this.mode = 'setup';
      else if (getApiKey()) {
        // A stored key the server no longer accepts.
        setApiKey(null);
        this.error = 'The stored API key was not accepted any more.';
        this.mode = me.mode === 'standalone' ? 'login' : 'apikey';
      } else this.mode = me.mode === 'standalone' ? 'login' : 'apikey';
    } catch (err) {
      if (err instanceof ApiError && err.notAvailable) {
        this.accounts = false;
        // No accounts API: find out whether the API wants a key.
        try {
          await request('GET', 'stats', { quiet401: true });
          this.mode = 'ok';
        } catch (e) {
          this.mode = e instanceof ApiError && e.status === 401 ? 'apikey' : 'ok';
        }
      } else if (err instanceof ApiError && err.status === 401) {
        this.mode = 'apikey';
      } else {
        // The server is unreachable or broken: let the views say so where it happens.
        this.mode = 'ok';
      }
    }
  }

  async login(username: string, password: string): Promise<void> {
    this.error = null;
    try {
      const res = await api.post<{ csrf_token?: string }>('auth/login', { username, password });
      setCsrfToken(res?.csrf_token ?? null);
      await this.check();
    } catch (err) {
      this.error = err instanceof ApiError && err.status === 401 ? 'Wrong username or password.' : messageOf(err);
    }
  }

  async setup(username: string, password: string): Promise<void> {
    this.error = null;
    try {
      const res = await api.post<{ csrf_token?: string }>('auth/setup', { username, password });
      setCsrfToken(res?.csrf_token ?? null);
      await this.check();
    } catch (err) {
      this.error = messageOf(err);
    }
  }

  async useKey(key: string): Promise<void> {
    this.error = null;
    setApiKey(key.trim());
    try {
      await request('GET', 'stats', { quiet401: true });
      await this.check();
      if (this.mode !== 'ok') this.mode = 'ok';
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        setApiKey(null);
        this.error = 'That API key was not accepted.';
      } else {
        this.error = messageOf(err);
      }
    }
  }

  /** Login form <-> API-key prompt (plain Docker users may use a key too). */
  switchTo(mode: 'login' | 'apikey'): void {
    this.error = null;
    this.mode = mode;
  }

  async logout(): Promise<void> {
    setApiKey(null);
    try {
      if (this.accounts) await api.post('auth/logout');
    } catch {
      // already signed out
    }
    setCsrfToken(null);
    await this.check();
  }
}

export const auth = new Auth();
