/**
 * Writes the NFO and artwork planned by plan.ts through the job's destination (local, SMB,
 * SFTP, rsync), with the same rule as the video: a temp file uploaded as `<name>.part`, checked
 * and renamed (transferFile), so a media server never reads half a file.
 *
 * Never overwrites what a person made: an NFO is replaced only on a local destination and only
 * when its bytes are still exactly what we wrote (size and SHA-256 recorded in db.json
 * `metadata_files`); any other NFO at that name, one that changed since, and any NFO on a
 * remote destination (which cannot be read back to tell a same-size edit apart) is kept.
 * Artwork already there is always kept.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../../errors.js';
import type { TransferJob } from '../transfer-service.js';

/** What the writer reads of a job: the library names and moves files without knowing jobs. */
type Job = TransferJob & { status: string; poster?: string | null | undefined };
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { TmdbDetails, TmdbEpisode } from '../../sources/tmdb.js';
import { transferFile } from '../destinations/transfer.js';
import type { Destination } from '../destinations/types.js';
import type { DestinationRecord } from '../model.js';
import type { MetadataMode } from './model.js';
import { planMetadata, type ImageSource, type MetadataFile } from './plan.js';
import type { MetadataFileRepository } from './repository.js';

/** The part of TmdbClient the writer uses. */
export interface TmdbForMetadata {
  readonly enabled: boolean;
  lookup(query: { kind: 'movie' | 'tv'; title: string; year: number | null }, signal?: AbortSignal): Promise<{ id: number } | null>;
  details(kind: 'movie' | 'tv', id: number, signal?: AbortSignal): Promise<TmdbDetails | null>;
  episode(showId: number, season: number, episode: number, signal?: AbortSignal): Promise<TmdbEpisode | null>;
  imageUrl(imagePath: string, size: string, signal?: AbortSignal): Promise<string | null>;
}

export interface MetadataWriterDeps {
  destinations: { find(id: string): DestinationRecord | undefined; adapter(id: string): Destination };
  tmdb: TmdbForMetadata;
  /** GET an image: its bytes (app.ts: fetch with a size limit). */
  fetchImage(url: string, signal?: AbortSignal): Promise<Buffer>;
  repo: MetadataFileRepository;
  tmpDir: string;
  clock: Clock;
  logger: Logger;
}

export interface MetadataReport {
  written: string[];
  /** Already there and not ours to replace (edited NFO, existing artwork) or unchanged. */
  kept: string[];
  failed: Array<{ path: string; error: string }>;
}

const MAX_IMAGE_BYTES = 15 * 1024 * 1024;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const isImage = (b: Buffer): boolean =>
  (b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) || (b.length > 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])));

export class MetadataWriter {
  constructor(private readonly deps: MetadataWriterDeps) {}

  /** The mode of the destination a completed job went to ('none' when it is gone). */
  modeOf(job: Job): MetadataMode {
    const id = job.transfer?.destination_id ?? 'default';
    return this.deps.destinations.find(id)?.metadata ?? 'none';
  }

  async write(job: Job, signal?: AbortSignal): Promise<MetadataReport> {
    const report: MetadataReport = { written: [], kept: [], failed: [] };
    const mode = this.modeOf(job);
    if (mode === 'none' || job.status !== 'completed' || !job.file_path) return report;
    const destinationId = job.transfer?.destination_id ?? 'default';
    const files = planMetadata({ mode, ...(await this.gather(job, mode, signal)), rel_path: job.file_path });
    if (files.length === 0) return report;
    const dest = this.deps.destinations.adapter(destinationId);
    const logger = this.deps.logger.child({ jobId: job.id, destination: destinationId });
    for (const file of files) {
      try {
        const outcome = file.kind === 'nfo' ? await this.writeNfo(dest, destinationId, file, signal) : await this.writeImage(dest, file, signal);
        (outcome === 'written' ? report.written : report.kept).push(file.rel);
        if (outcome === 'edited') logger.info({ path: file.rel }, `${dest.describe(file.rel)} was changed since it was written: kept as it is`);
      } catch (err) {
        if (signal?.aborted) throw err;
        report.failed.push({ path: file.rel, error: errorMessage(err) });
        logger.warn({ path: file.rel, error: errorMessage(err) }, 'could not write NFO or artwork');
      }
    }
    logger.info({ written: report.written, kept: report.kept, failed: report.failed.length }, 'NFO and artwork');
    return report;
  }

  /** Naming data of the job, and TMDB's records when the job's id (or a lookup) finds them. */
  private async gather(job: Job, mode: MetadataMode, signal?: AbortSignal) {
    const tv = job.content_type === 'series' || job.content_type === 'novela';
    const base = {
      content_type: job.content_type,
      title: job.title,
      year: job.year ?? null,
      show: job.show ?? null,
      season: job.season ?? null,
      episode: job.episode ?? null,
      episode_title: job.episode_title ?? null,
      tmdb_id: job.tmdb_id ?? null,
      details: null as TmdbDetails | null,
      episode_details: null as TmdbEpisode | null,
      poster_url: mode === 'nfo+art' && job.poster && /^https?:\/\//.test(job.poster) ? job.poster : null,
    };
    const { tmdb } = this.deps;
    if (!tmdb.enabled || (job.content_type !== 'movie' && !tv)) return base;
    const kind = tv ? 'tv' : 'movie';
    let id = job.tmdb_id ?? null;
    if (id === null) {
      const title = tv ? (job.show ?? job.title) : job.title.replace(/\s*\(\d{4}\)$/, '');
      id = (await tmdb.lookup({ kind, title, year: job.year ?? null }, signal))?.id ?? null;
    }
    if (id === null) return base;
    base.details = await tmdb.details(kind, id, signal);
    if (tv && job.season != null && job.episode != null) base.episode_details = await tmdb.episode(id, job.season, job.episode, signal);
    return base;
  }

  private async writeNfo(dest: Destination, destinationId: string, file: Extract<MetadataFile, { kind: 'nfo' }>, signal?: AbortSignal): Promise<'written' | 'kept' | 'edited'> {
    const bytes = Buffer.from(file.content, 'utf8');
    const existing = await dest.stat(file.rel, signal);
    if (existing) {
      const ours = this.deps.repo.find(destinationId, file.rel);
      if (!ours || existing.isDirectory || existing.size !== ours.size) return 'edited';
      const fresh = sha256(bytes);
      const local = await this.readLocal(destinationId, file.rel);
      if (local !== undefined) {
        // A local file can be read: it is ours exactly when its bytes are what we wrote.
        if (local === null || sha256(local) !== ours.sha256) return 'edited';
        if (ours.sha256 === fresh) return 'kept';
      } else if (ours.sha256 === fresh) {
        return 'kept';
      } else {
        // Remote destinations cannot be read back: an edit of the same size would look like
        // ours, so a remote NFO is never replaced (a person's edit outweighs newer data).
        return 'kept';
      }
      // Ours and untouched, with newer content: replace it (the new one still arrives whole).
      await dest.remove(file.rel, signal);
    }
    await this.put(dest, file.rel, bytes, signal);
    this.deps.repo.record({ destination_id: destinationId, path: file.rel, size: bytes.length, sha256: sha256(bytes), written_at: new Date(this.deps.clock.now()).toISOString() });
    return 'written';
  }

  /** The bytes of a file on a local destination (null: gone); undefined for remote destinations. */
  private async readLocal(destinationId: string, rel: string): Promise<Buffer | null | undefined> {
    const record = this.deps.destinations.find(destinationId);
    if (record?.kind !== 'local' || !record.base_path) return undefined;
    return readFile(path.join(record.base_path, ...rel.split('/'))).catch(() => null);
  }

  private async writeImage(dest: Destination, file: Extract<MetadataFile, { kind: 'image' }>, signal?: AbortSignal): Promise<'written' | 'kept'> {
    if (await dest.stat(file.rel, signal)) return 'kept';
    const url = await this.imageUrl(file.source, signal);
    if (!url) throw new Error('no image URL (TMDB did not answer /configuration)');
    const bytes = await this.deps.fetchImage(url, signal);
    if (bytes.length > MAX_IMAGE_BYTES) throw new Error(`image larger than ${MAX_IMAGE_BYTES} bytes`);
    if (!isImage(bytes)) throw new Error('the artwork URL did not return a JPEG or PNG image');
    await this.put(dest, file.rel, bytes, signal);
    return 'written';
  }

  private imageUrl(source: ImageSource, signal?: AbortSignal): Promise<string | null> {
    return 'url' in source ? Promise.resolve(source.url) : this.deps.tmdb.imageUrl(source.tmdb_path, source.size, signal);
  }

  /** Through a private temp file and transferFile: `.part`, size check, no-replace rename. */
  private async put(dest: Destination, rel: string, bytes: Buffer, signal?: AbortSignal): Promise<void> {
    const dir = path.join(this.deps.tmpDir, 'metadata');
    await mkdir(dir, { recursive: true });
    const tmp = path.join(dir, `${randomBytes(8).toString('hex')}${path.extname(rel)}`);
    await writeFile(tmp, bytes, { mode: 0o644 });
    try {
      await transferFile(dest, tmp, rel, { ...(signal ? { signal } : {}), onCollision: 'fail', adoptExisting: false, deleteLocal: true });
    } finally {
      await rm(tmp, { force: true });
    }
  }
}
