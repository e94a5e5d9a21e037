import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import type { Job } from '../jobs/model.js';
import type { Logger } from '../platform/logger.js';

export interface DbSchema {
  version: 1;
  jobs: Job[];
  /** Bytes downloaded per local day, for /api/stats. */
  traffic: { day: string; bytes: number };
}

const emptyDb = (): DbSchema => ({ version: 1, jobs: [], traffic: { day: '', bytes: 0 } });

/**
 * The single writer of db.json. Writes are atomic (temp file + rename, by lowdb's steno) and
 * coalesced: `changed()` schedules at most one write per interval, `flush()` writes now for
 * state transitions that must survive a crash.
 */
export class Store {
  private timer: NodeJS.Timeout | null = null;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly db: Low<DbSchema>,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  static async open(file: string, logger: Logger, intervalMs = 1000): Promise<Store> {
    await mkdir(path.dirname(file), { recursive: true });
    const db = new Low<DbSchema>(new JSONFile<DbSchema>(file), emptyDb());
    try {
      await db.read();
    } catch (err) {
      // Never silently start empty over a user's data: keep the unreadable file for inspection.
      const aside = `${file}.corrupt-${Date.now()}`;
      await rename(file, aside);
      logger.error({ err: (err as Error).message, movedTo: aside }, 'db.json could not be read; moved aside, starting with an empty store');
      db.data = emptyDb();
    }
    db.data = { ...emptyDb(), ...db.data };
    return new Store(db, logger, intervalMs);
  }

  get data(): DbSchema {
    return this.db.data;
  }

  /** Something changed that may wait for the next coalesced write. */
  changed(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush().catch((err: unknown) => this.logger.error({ err }, 'store write failed'));
    }, this.intervalMs);
  }

  /** Write now (and wait for it). Concurrent calls are serialised. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.dirty = false;
    this.writing = this.writing.then(
      () => this.db.write(),
      () => this.db.write(),
    );
    return this.writing;
  }

  async close(): Promise<void> {
    if (this.dirty || this.timer) await this.flush();
    else await this.writing.catch(() => undefined);
  }
}
