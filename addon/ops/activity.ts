import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PrincipalKind, Role } from '../auth/model.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';

/** Who did something: a person, a key, Home Assistant, or the app itself. */
export interface Actor {
  kind: PrincipalKind;
  id: string;
  name: string;
  role?: Role;
}

/** One thing that changed: who, what, when, from where. Never holds a secret. */
export interface ActivityEntry {
  id: string;
  at: string;
  actor: Actor;
  /** Dotted verb, e.g. download.created, key.revoked, auth.login_failed, queue.held. */
  action: string;
  /** The id or name of what it acted on. */
  target: string | null;
  /** The client address as the socket saw it (for ingress, the Supervisor's). */
  ip: string | null;
  /** ingress: through Home Assistant; direct: the add-on's own port; system: no request. */
  via: 'ingress' | 'direct' | 'system';
  /** For ingress, the browser's address as the proxy reported it. */
  forwarded_for?: string | null;
  details?: Record<string, unknown>;
}

export type NewActivity = Omit<ActivityEntry, 'id' | 'at'>;

export interface ActivityQuery {
  limit: number;
  offset: number;
  action?: string | undefined;
  actor?: string | undefined;
  since?: string | undefined;
}

export interface ActivityLogOptions {
  file: string;
  clock: Clock;
  logger: Logger;
  retentionDays: number;
  /** Hard cap on entries kept, whatever their age. */
  maxEntries?: number;
}

const DEFAULT_MAX_ENTRIES = 20_000;

/**
 * The activity log: an append-only JSON Lines file next to db.json (so recording an action never
 * rewrites the store), mirrored in memory for queries. Entries older than the retention or
 * beyond the cap are dropped by prune(), which rewrites the file atomically.
 */
export class ActivityLog {
  private entries: ActivityEntry[] = [];
  private appending: Promise<void> = Promise.resolve();

  private constructor(private readonly opts: ActivityLogOptions) {}

  static async open(opts: ActivityLogOptions): Promise<ActivityLog> {
    const log = new ActivityLog(opts);
    await mkdir(path.dirname(opts.file), { recursive: true });
    let text = '';
    try {
      text = await readFile(opts.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    let bad = 0;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const entry = JSON.parse(line) as ActivityEntry;
        if (typeof entry.at === 'string' && typeof entry.action === 'string') log.entries.push(entry);
        else bad++;
      } catch {
        bad++; // a line cut short by a crash: skip it
      }
    }
    if (bad > 0) opts.logger.warn({ file: opts.file, skipped: bad }, 'activity log: unreadable lines skipped');
    await log.prune(bad > 0);
    return log;
  }

  private get maxEntries(): number {
    return this.opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
  }

  record(input: NewActivity): ActivityEntry {
    const entry: ActivityEntry = { id: randomUUID(), at: new Date(this.opts.clock.now()).toISOString(), ...input };
    this.entries.push(entry);
    const line = `${JSON.stringify(entry)}\n`;
    this.appending = this.appending
      .then(() => appendFile(this.opts.file, line))
      .catch((err: unknown) => this.opts.logger.error({ err }, 'activity log: could not append'));
    if (this.entries.length > this.maxEntries * 1.1) void this.prune();
    return entry;
  }

  /** Newest first. */
  list(query: ActivityQuery): { items: ActivityEntry[]; total: number } {
    const since = query.since ? Date.parse(query.since) : NaN;
    const matching = this.entries.filter(
      (e) =>
        (!query.action || e.action === query.action || e.action.startsWith(`${query.action}.`)) &&
        (!query.actor || e.actor.id === query.actor || e.actor.name === query.actor) &&
        (Number.isNaN(since) || Date.parse(e.at) >= since),
    );
    matching.reverse();
    return { items: matching.slice(query.offset, query.offset + query.limit), total: matching.length };
  }

  get size(): number {
    return this.entries.length;
  }

  /** Drops entries past the retention or the cap; rewrites the file when anything went. */
  async prune(forceRewrite = false): Promise<number> {
    const cutoff = this.opts.clock.now() - this.opts.retentionDays * 24 * 3600 * 1000;
    const before = this.entries.length;
    let kept = this.entries.filter((e) => Date.parse(e.at) >= cutoff);
    if (kept.length > this.maxEntries) kept = kept.slice(kept.length - this.maxEntries);
    const dropped = before - kept.length;
    if (dropped === 0 && !forceRewrite) return 0;
    this.entries = kept;
    // Serialised behind pending appends, so no line is lost between the copy and the rename.
    const rewrite = this.appending.then(async () => {
      const tmp = `${this.opts.file}.tmp`;
      await writeFile(tmp, this.entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
      await rename(tmp, this.opts.file);
    });
    this.appending = rewrite.catch((err: unknown) => this.opts.logger.error({ err }, 'activity log: could not rewrite'));
    await this.appending;
    return dropped;
  }

  async close(): Promise<void> {
    await this.appending;
  }
}
