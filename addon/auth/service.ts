import { randomBytes, randomUUID } from 'node:crypto';
import { AppError, conflict, notFound } from '../errors.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { AuthRepository } from './auth-repository.js';
import type { ApiKeyRecord, ApiKeyView, CreatedApiKey, Principal, Role, SessionRecord, User, UserView } from './model.js';
import { DEFAULT_SCRYPT, hashPassword, randomToken, safeEqual, sha256Hex, verifyPassword, type ScryptParams } from './secrets.js';

export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
/** A session's expiry slides forward on use, written at most this often. */
const SESSION_TOUCH_MS = 3600 * 1000;
const MAX_SESSIONS_PER_USER = 20;
const API_KEY_PREFIX = 'm3u_';

export interface AuthServiceDeps {
  /** Users, keys and sessions: this service's only way to the store. */
  repository: AuthRepository;
  clock: Clock;
  logger: Logger;
  /** API_KEY from the options or the environment: an admin key that is not stored. */
  bootstrapKey: string | undefined;
  /** Tests lower the cost; production uses DEFAULT_SCRYPT. */
  scrypt?: ScryptParams;
}

export interface SessionMeta {
  ip: string | null;
  userAgent: string | null;
}

export const userView = ({ password_hash: _hash, ...rest }: User): UserView => rest;
export const keyView = ({ hash: _hash, ...rest }: ApiKeyRecord): ApiKeyView => rest;

const sameName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * Users (plain Docker sign-in), API keys and cookie sessions, all kept in db.json. Passwords are
 * scrypt hashes; keys and session tokens are stored as sha256 only, so a copy of db.json lets
 * nobody in. Invariant: while any user exists, at least one enabled admin user remains.
 */
export class AuthService {
  private dummyHash: Promise<string> | null = null;
  private readonly bootstrapHash: string | null;

  constructor(private readonly deps: AuthServiceDeps) {
    this.bootstrapHash = deps.bootstrapKey ? sha256Hex(deps.bootstrapKey) : null;
  }

  private get repo(): AuthRepository {
    return this.deps.repository;
  }

  private nowIso(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  private get scrypt(): ScryptParams {
    return this.deps.scrypt ?? DEFAULT_SCRYPT;
  }

  // ---------------------------------------------------------------- state

  userCount(): number {
    return this.repo.userCount();
  }

  /** No user, no stored key and no API_KEY: plain Docker before its first-run setup. */
  isUnconfigured(): boolean {
    return this.repo.userCount() === 0 && this.repo.keyCount() === 0 && !this.bootstrapHash;
  }

  // ---------------------------------------------------------------- users

  listUsers(): UserView[] {
    return this.repo.users().map(userView);
  }

  getUser(id: string): User {
    const user = this.repo.findUser(id);
    if (!user) throw notFound(`user ${id}`);
    return user;
  }

  /** The first admin account; refused once any user exists. */
  async setup(input: { username: string; password: string }): Promise<User> {
    return this.createUser({ ...input, role: 'admin' }, { first: true });
  }

  async createUser(input: { username: string; password: string; role: Role }, options: { first?: boolean } = {}): Promise<User> {
    const check = (): void => {
      if (options.first && this.repo.userCount() > 0) throw new AppError('already_set_up', 'setup is done: sign in instead', { httpStatus: 409 });
      if (this.repo.findUserWhere((u) => sameName(u.username, input.username))) throw conflict(`a user named ${input.username} exists`);
    };
    check();
    const now = this.nowIso();
    const user: User = {
      id: randomUUID(),
      username: input.username,
      role: input.role,
      disabled: false,
      password_hash: await hashPassword(input.password, this.scrypt),
      created_at: now,
      updated_at: now,
      last_login_at: null,
    };
    // Again after the slow hash: two setups racing must not both win.
    check();
    this.repo.insertUser(user);
    return user;
  }

  async updateUser(id: string, patch: { role?: Role | undefined; password?: string | undefined; disabled?: boolean | undefined; username?: string | undefined }): Promise<User> {
    const user = this.getUser(id);
    const role = patch.role ?? user.role;
    const disabled = patch.disabled ?? user.disabled;
    if (user.role === 'admin' && !user.disabled && (role !== 'admin' || disabled) && this.enabledAdmins() <= 1) {
      throw conflict('this is the last admin: make another user admin first');
    }
    if (patch.username !== undefined && !sameName(patch.username, user.username)) {
      if (this.repo.findUserWhere((u) => u.id !== id && sameName(u.username, patch.username!))) throw conflict(`a user named ${patch.username} exists`);
    }
    const hash = patch.password !== undefined ? await hashPassword(patch.password, this.scrypt) : null;
    if (patch.username !== undefined) user.username = patch.username;
    user.role = role;
    user.disabled = disabled;
    if (hash) user.password_hash = hash;
    user.updated_at = this.nowIso();
    // A new password, a lost role or a disabled account ends the user's sessions.
    this.repo.replaceUser(user);
    if (hash || disabled || patch.role !== undefined) this.repo.removeSessions((s) => s.user_id === id);
    return user;
  }

  async deleteUser(id: string): Promise<User> {
    const user = this.getUser(id);
    if (user.role === 'admin' && !user.disabled && this.enabledAdmins() <= 1 && this.repo.userCount() > 1) {
      throw conflict('this is the last admin: make another user admin first');
    }
    if (user.role === 'admin' && this.repo.userCount() === 1) {
      throw conflict('the only user cannot be deleted');
    }
    this.repo.removeUser(id);
    this.repo.removeSessions((s) => s.user_id === id);
    return user;
  }

  /** The user, or null for an unknown name, a wrong password or a disabled account (same cost). */
  async verifyLogin(username: string, password: string): Promise<User | null> {
    const user = this.repo.findUserWhere((u) => sameName(u.username, username));
    if (!user) {
      this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'), this.scrypt);
      await verifyPassword(password, await this.dummyHash);
      return null;
    }
    const ok = await verifyPassword(password, user.password_hash);
    if (!ok || user.disabled) return null;
    user.last_login_at = this.nowIso();
    this.repo.replaceUser(user);
    return user;
  }

  async changePassword(userId: string, current: string, next: string): Promise<void> {
    const user = this.getUser(userId);
    if (!(await verifyPassword(current, user.password_hash))) {
      throw new AppError('wrong_password', 'the current password is not right', { httpStatus: 403, field: 'current_password' });
    }
    user.password_hash = await hashPassword(next, this.scrypt);
    user.updated_at = this.nowIso();
    this.repo.replaceUser(user);
  }

  private enabledAdmins(): number {
    return this.repo.countUsers((u) => u.role === 'admin' && !u.disabled);
  }

  // ---------------------------------------------------------------- API keys

  listKeys(): ApiKeyView[] {
    return this.repo.keys().map(keyView);
  }

  private getKey(id: string): ApiKeyRecord {
    const key = this.repo.findKey(id);
    if (!key) throw notFound(`API key ${id}`);
    return key;
  }

  async createKey(input: { name: string; role: Role }, createdBy: string): Promise<CreatedApiKey> {
    const key = randomToken(API_KEY_PREFIX);
    const record: ApiKeyRecord = {
      id: randomUUID(),
      name: input.name,
      role: input.role,
      prefix: key.slice(0, API_KEY_PREFIX.length + 6),
      hash: sha256Hex(key),
      created_at: this.nowIso(),
      created_by: createdBy,
      last_used_at: null,
    };
    this.repo.insertKey(record);
    return { ...keyView(record), key };
  }

  async updateKey(id: string, patch: { name?: string | undefined; role?: Role | undefined }): Promise<ApiKeyRecord> {
    const key = this.getKey(id);
    if (patch.name !== undefined) key.name = patch.name;
    if (patch.role !== undefined) key.role = patch.role;
    this.repo.replaceKey(key);
    return key;
  }

  async revokeKey(id: string): Promise<ApiKeyRecord> {
    const key = this.getKey(id);
    this.repo.removeKey(id);
    return key;
  }

  /** The principal a bearer token stands for, or null when it is no key of ours. */
  authenticateKey(token: string): Principal | null {
    if (this.bootstrapHash && safeEqual(sha256Hex(token), this.bootstrapHash)) {
      return { kind: 'api_key', id: 'bootstrap', name: 'API_KEY', display_name: 'bootstrap key (API_KEY option)', role: 'admin' };
    }
    const hash = sha256Hex(token);
    // sha256 of a 256-bit random key: comparing digests leaks nothing useful, so a lookup is fine.
    const record = this.repo.findKeyByHash(hash);
    if (!record) return null;
    const now = this.deps.clock.now();
    if (!record.last_used_at || now - Date.parse(record.last_used_at) > 60_000) {
      record.last_used_at = new Date(now).toISOString();
      this.repo.replaceKey(record);
    }
    return { kind: 'api_key', id: record.id, name: record.name, display_name: null, role: record.role };
  }

  // ---------------------------------------------------------------- sessions

  async createSession(user: User, meta: SessionMeta): Promise<{ token: string; session: SessionRecord }> {
    const token = randomToken();
    const now = this.deps.clock.now();
    const session: SessionRecord = {
      id: sha256Hex(token),
      user_id: user.id,
      csrf: randomBytes(24).toString('base64url'),
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + SESSION_TTL_MS).toISOString(),
      last_seen_at: new Date(now).toISOString(),
      ip: meta.ip,
      user_agent: meta.userAgent?.slice(0, 200) ?? null,
    };
    const mine = this.repo.sessionsOf(user.id);
    if (mine.length >= MAX_SESSIONS_PER_USER) {
      const oldest = new Set(mine.slice(0, mine.length - MAX_SESSIONS_PER_USER + 1).map((s) => s.id));
      this.repo.removeSessions((s) => oldest.has(s.id));
    }
    this.repo.insertSession(session);
    return { token, session };
  }

  /** The live session and its (enabled) user for a cookie value; slides the expiry forward. */
  resolveSession(token: string): { session: SessionRecord; user: User } | null {
    const id = sha256Hex(token);
    const session = this.repo.findSession(id);
    if (!session) return null;
    const now = this.deps.clock.now();
    const user = this.repo.findUser(session.user_id);
    if (!user || user.disabled || Date.parse(session.expires_at) <= now) return null;
    if (now - Date.parse(session.last_seen_at) > SESSION_TOUCH_MS) {
      session.last_seen_at = new Date(now).toISOString();
      session.expires_at = new Date(now + SESSION_TTL_MS).toISOString();
      this.repo.replaceSession(session);
    }
    return { session, user };
  }

  async revokeSession(token: string): Promise<void> {
    const id = sha256Hex(token);
    this.repo.removeSessions((s) => s.id === id);
  }

  /** Signs a user out everywhere but the session `keepToken` belongs to. */
  async revokeOtherSessions(userId: string, keepToken: string): Promise<void> {
    const keep = sha256Hex(keepToken);
    this.repo.removeSessions((s) => s.user_id === userId && s.id !== keep);
  }

  /** Removes expired sessions; returns how many. */
  pruneSessions(): number {
    const now = this.deps.clock.now();
    return this.repo.removeSessions((s) => Date.parse(s.expires_at) <= now);
  }
}
