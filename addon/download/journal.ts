import { appendFile, readFile } from 'node:fs/promises';

/**
 * An append-only log of completed work in a job's work dir. A line is written only after the
 * work it records is on disk, so after a crash (kill -9) the journal never claims more than
 * is there; a torn last line is ignored. This, not the JSON store, is the resume truth.
 */
export class Journal<T extends object> {
  constructor(private readonly file: string) {}

  async append(entry: T): Promise<void> {
    await appendFile(this.file, `${JSON.stringify(entry)}\n`);
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
