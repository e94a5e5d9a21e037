/**
 * One compact file per source under DATA_DIR/catalogues/, outside db.json so job writes stay
 * small however big the lists are.
 *
 * Format (NDJSON): a header line `{"v":1,"next_id",...,"items":N,"removed":M}`, then N item lines
 * and M tombstone lines, each a JSON array (catalogue.ts encodeItem). Written atomically (temp
 * file, fsync, rename). A sync whose diff finds nothing changed does not write at all.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeItem, encodeItemLine, type Catalogue, type CatalogueItem } from './catalogue.js';
import type { Pacer } from '../platform/pacer.js';

const VERSION = 1;

/** Characters of encoded lines written at once. */
const WRITE_CHUNK = 1 << 18;

interface Header {
  v: number;
  next_id: number;
  seq: number;
  filters: string;
  state: Record<string, unknown>;
  items: number;
  removed: number;
}

export interface StoredCatalogue {
  catalogue: Catalogue;
  bytes: number;
}

export class CatalogueFiles {
  constructor(readonly dir: string) {}

  pathOf(sourceId: string): string {
    return path.join(this.dir, `${sourceId}.ndjson`);
  }

  async read(sourceId: string): Promise<StoredCatalogue | null> {
    const file = this.pathOf(sourceId);
    let bytes: number;
    try {
      bytes = (await stat(file)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    let header: Header | null = null;
    const items: CatalogueItem[] = [];
    const removed: CatalogueItem[] = [];
    const take = (rows: unknown[][]): void => {
      for (const row of rows) {
        const item = decodeItem(row);
        if (items.length < header!.items) items.push(item);
        else removed.push(item);
      }
    };
    // 1 MB of text at a time: its whole lines go through one JSON.parse as an array (much
    // cheaper than a JSON.parse, or a readline event, per line).
    let carry = '';
    for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }) as AsyncIterable<string>) {
      let text = carry ? carry + chunk : chunk;
      if (!header) {
        const nl = text.indexOf('\n');
        if (nl === -1) {
          carry = text;
          continue;
        }
        header = JSON.parse(text.slice(0, nl)) as Header;
        if (header.v !== VERSION) throw new Error(`catalogue ${file}: unknown version ${header.v}`);
        text = text.slice(nl + 1);
      }
      const last = text.lastIndexOf('\n');
      if (last === -1) {
        carry = text;
        continue;
      }
      if (last > 0) take(JSON.parse(`[${text.slice(0, last).replaceAll('\n', ',')}]`) as unknown[][]);
      carry = text.slice(last + 1);
    }
    if (carry.trim()) take([JSON.parse(carry) as unknown[]]);
    header = header as Header | null;
    if (!header || items.length !== header.items || removed.length !== header.removed) {
      throw new Error(`catalogue ${file} is truncated`);
    }
    return {
      catalogue: { items, removed, nextId: header.next_id, seq: header.seq, filtersHash: header.filters, state: header.state },
      bytes,
    };
  }

  /**
   * Writes the catalogue (streamed in 256 KB chunks, never held whole), atomically. With a pacer,
   * encoding lets the event loop run when it has held it too long; the chunk is small enough that
   * turning it into bytes is no stall of its own (1 MB took ~5 ms plus its garbage).
   */
  async write(sourceId: string, catalogue: Catalogue, pacer?: Pacer): Promise<{ bytes: number }> {
    const header: Header = {
      v: VERSION,
      next_id: catalogue.nextId,
      seq: catalogue.seq,
      filters: catalogue.filtersHash,
      state: catalogue.state,
      items: catalogue.items.length,
      removed: catalogue.removed.length,
    };
    await mkdir(this.dir, { recursive: true });
    const file = this.pathOf(sourceId);
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    const fh = await open(tmp, 'w');
    let bytes = 0;
    try {
      let buf = `${JSON.stringify(header)}\n`;
      const flush = async (): Promise<void> => {
        const data = Buffer.from(buf, 'utf8');
        buf = '';
        bytes += data.length;
        await fh.write(data);
      };
      for (const list of [catalogue.items, catalogue.removed]) {
        for (const item of list) {
          buf += encodeItemLine(item);
          buf += '\n';
          if (buf.length >= WRITE_CHUNK) {
            await flush();
            pacer?.reset();
          } else if (pacer?.due()) await pacer.yield();
        }
      }
      await flush();
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await fh.close();
    await rename(tmp, file);
    return { bytes };
  }

  async remove(sourceId: string): Promise<void> {
    await rm(this.pathOf(sourceId), { force: true });
    await rm(this.groupsPathOf(sourceId), { force: true });
  }

  groupsPathOf(sourceId: string): string {
    return path.join(this.dir, `${sourceId}.groups.json`);
  }

  /**
   * The group-titles the last successful sync saw in the whole list, before any filter (so a group
   * excluded today can be picked again), with their entry counts. Small: one JSON document.
   */
  async writeGroups(sourceId: string, groups: SeenGroup[]): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.groupsPathOf(sourceId);
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, JSON.stringify({ v: 1, groups }));
    await rename(tmp, file);
  }

  /** Null before the first sync that recorded them. */
  async readGroups(sourceId: string): Promise<SeenGroup[] | null> {
    try {
      const doc = JSON.parse(await readFile(this.groupsPathOf(sourceId), 'utf8')) as { v: number; groups: SeenGroup[] };
      return Array.isArray(doc.groups) ? doc.groups : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }
}

/** A group-title of a provider's list and how many entries it had (live channels included). */
export interface SeenGroup {
  group: string;
  entries: number;
}
