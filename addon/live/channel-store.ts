import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../platform/logger.js';
import type { Channel } from './channels.js';

/**
 * The channels of each source, one JSON file per source under `<data>/channels/`, replaced whole
 * by each sync (atomically: a crash leaves the previous list) and kept in memory once read.
 * The only code touching those files.
 */
export class ChannelStore {
  private readonly cache = new Map<string, Channel[]>();
  private readonly guides = new Map<string, string[]>();
  private loadedAll = false;

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  private file(sourceId: string): string {
    return path.join(this.dir, `${sourceId.replace(/[^A-Za-z0-9_-]/g, '_')}.json`);
  }

  async replace(sourceId: string, channels: Channel[], epgUrls: string[] = []): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.file(sourceId);
    await writeFile(`${file}.tmp`, JSON.stringify({ channels, epg_urls: epgUrls }));
    await rename(`${file}.tmp`, file);
    this.cache.set(sourceId, channels);
    this.guides.set(sourceId, epgUrls);
  }

  /** The guide URLs the source's list named at its last sync. */
  async epgUrls(sourceId: string): Promise<string[]> {
    await this.all();
    return this.guides.get(sourceId) ?? [];
  }

  async remove(sourceId: string): Promise<void> {
    this.cache.delete(sourceId);
    this.guides.delete(sourceId);
    await rm(this.file(sourceId), { force: true });
  }

  /** Every source's channels (read from disk on first use). */
  async all(): Promise<Channel[]> {
    if (!this.loadedAll) {
      let names: string[] = [];
      try {
        names = await readdir(this.dir);
      } catch {
        names = [];
      }
      for (const name of names) {
        if (!name.endsWith('.json')) continue;
        const id = name.slice(0, -5);
        if (this.cache.has(id)) continue;
        try {
          const saved = JSON.parse(await readFile(path.join(this.dir, name), 'utf8')) as { channels: Channel[]; epg_urls?: string[] };
          this.cache.set(id, saved.channels);
          this.guides.set(id, saved.epg_urls ?? []);
        } catch (err) {
          this.logger.warn({ file: name, err: String(err) }, 'a channel list could not be read; the next sync of its source writes it again');
        }
      }
      this.loadedAll = true;
    }
    return [...this.cache.values()].flat();
  }

  async get(id: string): Promise<Channel | undefined> {
    return (await this.all()).find((c) => c.id === id);
  }
}
