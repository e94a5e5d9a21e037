import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { AppError, errorMessage } from '../../errors.js';
import type { Clock } from '../../platform/clock.js';
import { redactUrl, type HttpClient } from '../../platform/http.js';
import type { Logger } from '../../platform/logger.js';
import { normaliseName, type Channel } from '../channels.js';
import { xmltvStream, type GuideChannel, type Programme } from './xmltv.js';

/** Guides larger than this (uncompressed) are cut off with an error: a guide, not a disk filler. */
export const MAX_GUIDE_BYTES = 512 * 1024 * 1024;
/** What is kept: from two hours ago to 14 days ahead. */
const KEEP_BEFORE_MS = 2 * 3600_000;
const KEEP_AHEAD_MS = 14 * 24 * 3600_000;

export interface GuideProgramme extends Programme {
  /** Our channel id. */
  channel_id: string;
}

interface SourceGuide {
  fetched_at: number;
  /** Our channel id -> its programmes by start. */
  programmes: Record<string, Programme[]>;
}

export interface GuideRefresh {
  programmes: number;
  matched_channels: number;
  guide_channels: number;
}

/**
 * The programme guide of each playlist source: its XMLTV URLs fetched (gzip or plain, streamed
 * through the parser, at most MAX_GUIDE_BYTES), matched to the source's channels by tvg-id, then
 * by normalised display name against the channel's name and tvg-name, and kept per source in
 * `<data>/guides/` for now/next, the channel guide and programme recordings.
 */
export class GuideService {
  private readonly guides = new Map<string, SourceGuide>();
  private loaded = new Set<string>();

  constructor(
    private readonly deps: { http: HttpClient; clock: Clock; logger: Logger; dir: string; maxBytes?: number },
  ) {}

  private file(sourceId: string): string {
    return path.join(this.deps.dir, `${sourceId.replace(/[^A-Za-z0-9_-]/g, '_')}.json`);
  }

  async refresh(sourceId: string, urls: readonly string[], channels: readonly Channel[], signal: AbortSignal): Promise<GuideRefresh> {
    // Guide channel id -> our channel ids, built as the guide's <channel> elements stream by.
    const byTvgId = new Map<string, string[]>();
    const byName = new Map<string, string[]>();
    const add = (map: Map<string, string[]>, key: string | null | undefined, id: string): void => {
      if (!key) return;
      const l = map.get(key);
      if (l) l.push(id);
      else map.set(key, [id]);
    };
    for (const c of channels) {
      add(byTvgId, c.tvg_id?.toLowerCase(), c.id);
      add(byName, normaliseName(c.name), c.id);
      if (c.tvg_name) add(byName, normaliseName(c.tvg_name), c.id);
    }
    const mapping = new Map<string, string[]>();
    const matched = new Set<string>();
    const programmes: Record<string, Programme[]> = {};
    const now = this.deps.clock.now();
    let guideChannels = 0;
    let kept = 0;
    const onChannel = (g: GuideChannel): void => {
      guideChannels++;
      const ids = byTvgId.get(g.id.toLowerCase()) ?? g.names.map((n) => byName.get(normaliseName(n))).find((l) => l && l.length > 0);
      if (ids) {
        mapping.set(g.id, ids);
        for (const id of ids) matched.add(id);
      }
    };
    const resolve = (guideId: string): string[] | undefined => mapping.get(guideId) ?? byTvgId.get(guideId.toLowerCase());
    const onProgramme = (p: Programme): void => {
      const ids = resolve(p.channel);
      if (!ids) return;
      if (p.start > now + KEEP_AHEAD_MS || (p.stop !== null && p.stop < now - KEEP_BEFORE_MS)) return;
      for (const id of ids) {
        (programmes[id] ??= []).push(p);
        matched.add(id);
        kept++;
      }
    };
    for (const url of urls) {
      await this.fetchInto(url, signal, { wants: (id) => resolve(id) !== undefined, channel: onChannel, programme: onProgramme });
    }
    for (const list of Object.values(programmes)) {
      list.sort((a, b) => a.start - b.start);
      for (let i = 0; i < list.length; i++) {
        const p = list[i]!;
        if (p.stop === null) p.stop = list[i + 1]?.start ?? p.start + 3600_000;
      }
    }
    const guide: SourceGuide = { fetched_at: now, programmes };
    await mkdir(this.deps.dir, { recursive: true });
    const file = this.file(sourceId);
    await writeFile(`${file}.tmp`, JSON.stringify(guide));
    await rename(`${file}.tmp`, file);
    this.guides.set(sourceId, guide);
    this.loaded.add(sourceId);
    const result = { programmes: kept, matched_channels: matched.size, guide_channels: guideChannels };
    this.deps.logger.info({ sourceId, ...result }, 'programme guide updated');
    return result;
  }

  private async fetchInto(url: string, signal: AbortSignal, handlers: Parameters<typeof xmltvStream>[0]): Promise<void> {
    const response = await this.deps.http.get({ url, headers: {}, signal });
    const max = this.deps.maxBytes ?? MAX_GUIDE_BYTES;
    const parser = xmltvStream(handlers);
    const decoder = new TextDecoder('utf-8');
    let size = 0;
    const feed = (buf: Buffer): void => {
      size += buf.length;
      if (size > max) throw new AppError('guide_too_large', `the guide at ${redactUrl(url)} is larger than ${Math.round(max / 1024 / 1024)} MB`);
      parser.write(decoder.decode(buf, { stream: true }));
    };
    const gunzip = createGunzip();
    let failure: unknown = null;
    gunzip.on('data', (b: Buffer) => {
      try {
        feed(b);
      } catch (err) {
        failure ??= err;
        gunzip.destroy();
      }
    });
    gunzip.on('error', (err) => {
      failure ??= err;
    });
    let gzipped: boolean | null = null;
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        // Gzip is told by its magic bytes, not by the name or Content-Type (servers get those wrong).
        gzipped ??= chunk[0] === 0x1f && chunk[1] === 0x8b;
        if (gzipped) {
          if (!gunzip.write(chunk)) await Promise.race([once(gunzip, 'drain'), once(gunzip, 'close')]);
        } else {
          feed(chunk);
        }
        if (failure) throw failure;
      }
      if (gzipped === null) throw new AppError('guide_empty', `the guide at ${redactUrl(url)} is empty`);
      if (gzipped) {
        gunzip.end();
        await finished(gunzip).catch((err: unknown) => {
          failure ??= err;
        });
        if (failure) throw failure;
      }
      parser.write(decoder.decode());
      parser.close();
    } catch (err) {
      (response.body as { destroy?: () => void }).destroy?.();
      gunzip.destroy();
      if (err instanceof AppError) throw err;
      throw new AppError('guide_failed', `the guide at ${redactUrl(url)} could not be read: ${errorMessage(err)}`, { cause: err });
    }
  }

  private async load(sourceId: string): Promise<SourceGuide | undefined> {
    if (!this.loaded.has(sourceId)) {
      this.loaded.add(sourceId);
      try {
        this.guides.set(sourceId, JSON.parse(await readFile(this.file(sourceId), 'utf8')) as SourceGuide);
      } catch {
        // no guide yet
      }
    }
    return this.guides.get(sourceId);
  }

  async remove(sourceId: string): Promise<void> {
    this.guides.delete(sourceId);
    await rm(this.file(sourceId), { force: true });
  }

  /** Programmes of a channel overlapping [from, to), by start. */
  async programmes(channel: Pick<Channel, 'id' | 'source_id'>, from: number, to: number): Promise<GuideProgramme[]> {
    const guide = await this.load(channel.source_id);
    const list = guide?.programmes[channel.id] ?? [];
    return list.filter((p) => p.start < to && (p.stop ?? p.start) > from).map((p) => ({ ...p, channel_id: channel.id }));
  }

  /** What is on now and next on a channel. */
  async nowNext(channel: Pick<Channel, 'id' | 'source_id'>): Promise<{ now: GuideProgramme | null; next: GuideProgramme | null }> {
    const t = this.deps.clock.now();
    const guide = await this.load(channel.source_id);
    const list = guide?.programmes[channel.id] ?? [];
    const i = list.findIndex((p) => (p.stop ?? p.start) > t);
    if (i < 0) return { now: null, next: null };
    const first = list[i]!;
    const tag = (p: Programme | undefined): GuideProgramme | null => (p ? { ...p, channel_id: channel.id } : null);
    return first.start <= t ? { now: tag(first), next: tag(list[i + 1]) } : { now: null, next: tag(first) };
  }
}
