/**
 * Users, roles, API keys and sessions as the store, the API and the panel see them. Like
 * jobs/model.ts this is part of the backend contract: the UI imports its types, so it stays free
 * of runtime imports.
 */

/** Ordered from least to most: each role can do everything the ones before it can. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What the role may do, for the panel's help text and the docs. */
export const ROLE_SUMMARY: Record<Role, string> = {
  viewer: 'read only: downloads, stats, events',
  operator: 'viewer, plus downloads, sources and sync',
  admin: 'operator, plus settings, destinations, users, API keys and the activity log',
};

export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** How the acting principal proved who it is. */
export type PrincipalKind =
  /** Home Assistant ingress: the Supervisor's proxy vouches for a Home Assistant user. */
  | 'ingress'
  /** A signed-in user of this app (plain Docker): session cookie. */
  | 'session'
  /** An API key created through /api/keys, or the bootstrap key from the API_KEY option. */
  | 'api_key'
  /** A request from 127.0.0.1/::1 while no credential of any kind exists yet (plain Docker). */
  | 'local'
  /** The app itself: schedules, the disk guard, MQTT commands. */
  | 'system';

export interface Principal {
  kind: PrincipalKind;
  /** A user id, a key id ("bootstrap" for API_KEY), a Home Assistant user id, or "local". */
  id: string;
  name: string;
  display_name: string | null;
  role: Role;
}

export interface User {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  /** scrypt$N$r$p$salt$hash (see auth/password.ts); never leaves the store. */
  password_hash: string;
  created_at: string;
  updated_at: string;
  last_login_at: string | null;
}

/** A user as the API returns it. */
export type UserView = Omit<User, 'password_hash'>;

export interface ApiKeyRecord {
  id: string;
  name: string;
  role: Role;
  /** The first characters of the key, so a person can tell keys apart. */
  prefix: string;
  /** sha256 (hex) of the whole key; the key itself is shown once, at creation. */
  hash: string;
  created_at: string;
  /** Who created it (principal name). */
  created_by: string;
  last_used_at: string | null;
}

/** A key as the API returns it. */
export type ApiKeyView = Omit<ApiKeyRecord, 'hash'>;

/** The response of POST /api/keys: the only time the key is shown. */
export type CreatedApiKey = ApiKeyView & { key: string };

export interface SessionRecord {
  /** sha256 (hex) of the cookie value. */
  id: string;
  user_id: string;
  /** The CSRF token the panel sends back in X-CSRF-Token on writes. */
  csrf: string;
  created_at: string;
  expires_at: string;
  last_seen_at: string;
  ip: string | null;
  user_agent: string | null;
}

export type AppMode = 'addon' | 'standalone';

/** GET /api/auth/me: always 200, so the panel can decide between setup, login and the app. */
export interface MeResponse {
  mode: AppMode;
  authenticated: boolean;
  /** Plain Docker with no user yet: the panel shows the "create the admin account" form. */
  setup_required: boolean;
  principal: (Principal & { via: 'ingress' | 'direct' }) | null;
  /** For cookie sessions: send it back in X-CSRF-Token on every POST/PUT/PATCH/DELETE. */
  csrf_token: string | null;
  /** The Home Assistant ingress prefix when the request came through ingress. */
  ingress_path: string | null;
}
