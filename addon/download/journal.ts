import { appendFile, open, readFile, type FileHandle } from 'node:fs/promises';

/**
 * An append-only log of completed work in a job's work dir. A line is written only after the
 * work it records is on disk, so after a crash (kill -9) the journal never claims more than
 * is there; a torn last line is ignored. This, not the JSON store, is the resume truth.
 */
export class Journal<T extends object> {
  private handle: Promise<FileHandle> | null = null;

  /**
   * `keepOpen`: one O_APPEND descriptor for every line instead of open/write/close per line (a
   * 10,000-segment job writes 10,000 lines; the three thread-pool round trips each were measured
   * as a tenth of its CPU time). The line still reaches the kernel before append() resolves, so a
   * kill -9 loses nothing more; the owner must close() it.
   */
  constructor(
    private readonly file: string,
    private readonly options: { keepOpen?: boolean } = {},
  ) {}

  async append(entry: T): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    if (!this.options.keepOpen) {
      await appendFile(this.file, line);
      return;
    }
    this.handle ??= open(this.file, 'a');
    await (await this.handle).write(line);
  }

  /** Closes the descriptor kept by `keepOpen` (append() opens it again if called later). */
  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    if (handle) await (await handle.catch(() => null))?.close();
  }

  async read(): Promise<T[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const entries: T[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        entries.push(JSON.parse(line) as T);
      } catch {
        break; // torn write at the crash point; everything after it is unreliable
      }
    }
    return entries;
  }
}
