import { copyFile, rename, stat } from 'node:fs/promises';
import type { Logger } from '../platform/logger.js';

/** The copy of db.json taken right after each successful write: the newest known-good state. */
export const lastGoodName = (file: string): string => `${file}.last-good`;

/**
 * Keeps `<db.json>.last-good` one write behind at most: the store's writer calls `saved()` after
 * every coalesced write, and the copy follows (one copy at a time; writes that land meanwhile are
 * folded into one more copy). The hourly rotation (db.json.bak, .bak.1, ...) keeps the history;
 * this copy is what a restore uses first, so a damaged db.json loses seconds, not an hour.
 */
export class LastGoodCopy {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly file: string,
    private readonly logger: Logger,
  ) {}

  /** db.json was just written successfully. */
  saved(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.copyLoop().finally(() => {
      this.running = null;
    });
  }

  /** Resolves once no copy is in flight (for close()). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private async copyLoop(): Promise<void> {
    do {
      this.again = false;
      const target = lastGoodName(this.file);
      const tmp = `${target}.tmp`;
      try {
        await copyFile(this.file, tmp);
        await rename(tmp, target);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ err }, 'could not keep the last good copy of db.json');
      }
    } while (this.again);
  }
}

/** When a backup file was saved (its mtime, ISO), or null. */
export async function savedAt(file: string): Promise<string | null> {
  return stat(file).then((s) => s.mtime.toISOString(), () => null);
}
