import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../platform/logger.js';
import { emptyHistory, type HistoryData } from './history.js';

/**
 * The history's own file beside db.json (stats-history.json): a few hundred KB at most, so a
 * whole rewrite is cheap; writes are coalesced (one per `delayMs` at most, and on close) and
 * atomic (temp file, then rename), like the store's.
 */
export class HistoryFile {
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  private constructor(
    readonly file: string,
    readonly data: HistoryData,
    private readonly logger: Logger,
    private readonly delayMs: number,
  ) {}

  static async open(file: string, logger: Logger, delayMs = 1000): Promise<HistoryFile> {
    let data = emptyHistory();
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<HistoryData>;
      if (parsed.version === 1 && Array.isArray(parsed.hourly) && Array.isArray(parsed.daily)) data = parsed as HistoryData;
      else logger.warn({ file }, 'statistics history has an unknown format; starting a new one');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') {
        // Keep the unreadable file for a person to look at; statistics are not worth refusing to start.
        const aside = `${file}.corrupt-${Date.now()}`;
        await rename(file, aside).catch(() => undefined);
        logger.warn({ file, moved_to: aside, err: (err as Error).message }, 'statistics history could not be read; starting a new one');
      }
    }
    return new HistoryFile(file, data, logger, delayMs);
  }

  /** Something changed: write within `delayMs`. */
  markDirty(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.delayMs);
    this.timer.unref();
  }

  /** Writes now if anything changed; resolves when it is on disk. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.writing = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      const tmp = `${this.file}.tmp`;
      try {
        await mkdir(path.dirname(this.file), { recursive: true });
        await writeFile(tmp, JSON.stringify(this.data));
        await rename(tmp, this.file);
      } catch (err) {
        this.dirty = true;
        this.logger.error({ err, file: this.file }, 'could not write the statistics history');
      }
    });
    return this.writing;
  }
}
