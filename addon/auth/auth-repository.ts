/**
 * Users, API keys and cookie sessions in db.json: the only code that reads or writes
 * `store.data.users`, `store.data.api_keys` and `store.data.sessions`. It hands out copies (a
 * record is a handful of strings, and a request reads one or two), so a caller cannot change a
 * stored account by accident; changes go through insert/replace/remove. Every change marks the
 * store dirty for the one writer (store/db.ts).
 */
import type { Store } from '../store/db.js';
import type { ApiKeyRecord, SessionRecord, User } from './model.js';

const copy = <T>(value: T): T => structuredClone(value);

export class AuthRepository {
  constructor(private readonly store: Store) {}

  private get data() {
    return this.store.data;
  }

  // ---------------------------------------------------------------- users

  users(): User[] {
    return this.data.users.map(copy);
  }

  userCount(): number {
    return this.data.users.length;
  }

  findUser(id: string): User | undefined {
    const user = this.data.users.find((u) => u.id === id);
    return user ? copy(user) : undefined;
  }

  /** The first user matching `predicate` (by name, case-insensitively, for sign-in). */
  findUserWhere(predicate: (user: Readonly<User>) => boolean): User | undefined {
    const user = this.data.users.find(predicate);
    return user ? copy(user) : undefined;
  }

  countUsers(predicate: (user: Readonly<User>) => boolean): number {
    return this.data.users.filter(predicate).length;
  }

  insertUser(user: User): void {
    this.data.users.push(copy(user));
    this.store.changed();
  }

  replaceUser(user: User): void {
    const index = this.data.users.findIndex((u) => u.id === user.id);
    if (index < 0) throw new Error(`user ${user.id} does not exist`);
    this.data.users[index] = copy(user);
    this.store.changed();
  }

  removeUser(id: string): void {
    const index = this.data.users.findIndex((u) => u.id === id);
    if (index < 0) return;
    this.data.users.splice(index, 1);
    this.store.changed();
  }

  // ---------------------------------------------------------------- API keys

  keys(): ApiKeyRecord[] {
    return this.data.api_keys.map(copy);
  }

  keyCount(): number {
    return this.data.api_keys.length;
  }

  findKey(id: string): ApiKeyRecord | undefined {
    const key = this.data.api_keys.find((k) => k.id === id);
    return key ? copy(key) : undefined;
  }

  findKeyByHash(hash: string): ApiKeyRecord | undefined {
    const key = this.data.api_keys.find((k) => k.hash === hash);
    return key ? copy(key) : undefined;
  }

  insertKey(key: ApiKeyRecord): void {
    this.data.api_keys.push(copy(key));
    this.store.changed();
  }

  replaceKey(key: ApiKeyRecord): void {
    const index = this.data.api_keys.findIndex((k) => k.id === key.id);
    if (index < 0) throw new Error(`API key ${key.id} does not exist`);
    this.data.api_keys[index] = copy(key);
    this.store.changed();
  }

  removeKey(id: string): void {
    const index = this.data.api_keys.findIndex((k) => k.id === id);
    if (index < 0) return;
    this.data.api_keys.splice(index, 1);
    this.store.changed();
  }

  // ---------------------------------------------------------------- sessions

  findSession(id: string): SessionRecord | undefined {
    const session = this.data.sessions.find((s) => s.id === id);
    return session ? copy(session) : undefined;
  }

  /** A user's sessions, oldest first. */
  sessionsOf(userId: string): SessionRecord[] {
    return this.data.sessions.filter((s) => s.user_id === userId).map(copy);
  }

  insertSession(session: SessionRecord): void {
    this.data.sessions.push(copy(session));
    this.store.changed();
  }

  replaceSession(session: SessionRecord): void {
    const index = this.data.sessions.findIndex((s) => s.id === session.id);
    if (index < 0) return; // revoked meanwhile: nothing to touch
    this.data.sessions[index] = copy(session);
    this.store.changed();
  }

  /** Removes the sessions matching `predicate`; returns how many. */
  removeSessions(predicate: (session: Readonly<SessionRecord>) => boolean): number {
    const before = this.data.sessions.length;
    this.data.sessions = this.data.sessions.filter((s) => !predicate(s));
    const removed = before - this.data.sessions.length;
    if (removed > 0) this.store.changed();
    return removed;
  }
}
