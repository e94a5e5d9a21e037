import { z } from 'zod';
import { oneLine, text } from './fields.js';
import { defineDestinationKind } from './kind.js';
import { createReadStream, createWriteStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../../errors.js';
import { abortError, destinationError, throwIfAborted } from './errors.js';
import { normRel, splitRel } from './paths.js';
import { kibToBytesPerSecond, progressStream, throttleStream } from './throttle.js';
import type {
  Destination,
  DestinationCapabilities,
  DestinationConfig,
  DestinationDeps,
  ProbeOptions,
  ProbeResult,
  RemoteStat,
  UploadOptions,
} from './types.js';

const CHUNK = 1024 * 1024;

/**
 * A directory on a mounted filesystem: /media, /share, or an NFS/SMB share the host mounted.
 * Same filesystem as the download -> hard link (instant, no extra space; the runner's cleanup
 * deletes the download, which makes it a move). Otherwise a stream copy with progress, bandwidth
 * limit, resume (append) and fdatasync before the rename, so a network mount holds the bytes.
 */
export class LocalDestination implements Destination {
  readonly kind = 'local' as const;
  readonly id: string;
  readonly capabilities: DestinationCapabilities = { resume: true, atomicUpload: false, rename: true, freeSpace: true, localLink: true };
  private readonly root: string;
  private readonly bytesPerSecond: number;

  constructor(config: DestinationConfig, _deps: DestinationDeps) {
    if (!config.base_path || !path.isAbsolute(config.base_path)) {
      throw destinationError('destination_invalid_config', `Local destination "${config.name}" needs an absolute base_path (got "${config.base_path}")`);
    }
    this.id = config.id;
    this.root = path.resolve(config.base_path);
    this.bytesPerSecond = kibToBytesPerSecond(config.bandwidth_limit_kbps);
  }

  describe(relPath = ''): string {
    return relPath ? path.join(this.root, ...splitRel(relPath)) : this.root;
  }

  private abs(rel: string, allowEmpty = false): string {
    const parts = splitRel(rel, { allowEmpty });
    return path.join(this.root, ...parts);
  }

  async probe(options: ProbeOptions = {}): Promise<ProbeResult> {
    const started = performance.now();
    try {
      throwIfAborted(options.signal);
      const st = await fsp.stat(this.root).catch((err: unknown) => {
        throw this.mapError(err, this.root);
      });
      if (!st.isDirectory()) throw destinationError('destination_not_found', `${this.root} is not a directory`);
      const latencyMs = performance.now() - started;
      if (options.write !== false) {
        const probe = path.join(this.root, `.m3u-probe-${process.pid}-${Date.now()}`);
        await fsp.writeFile(probe, 'probe').catch((err: unknown) => {
          throw this.mapError(err, this.root);
        });
        await fsp.rm(probe, { force: true });
      }
      const fs = await fsp.statfs(this.root);
      return {
        ok: true,
        status: 'online',
        latencyMs,
        freeBytes: fs.bavail * fs.bsize,
        totalBytes: fs.blocks * fs.bsize,
      };
    } catch (err) {
      if (options.signal?.aborted) throw abortError(options.signal);
      const app = err instanceof AppError ? err : this.mapError(err, this.root);
      return { ok: false, status: 'error', latencyMs: null, freeBytes: null, totalBytes: null, code: app.code, message: app.message };
    }
  }

  async upload(localFile: string, relPath: string, options: UploadOptions = {}): Promise<void> {
    const target = this.abs(relPath);
    const { signal } = options;
    throwIfAborted(signal);
    const size = (await fsp.stat(localFile)).size;
    let start = options.resumeFrom && options.resumeFrom > 0 ? options.resumeFrom : 0;
    if (start > 0) {
      const have = await fsp.stat(target).then((s) => s.size, () => -1);
      if (have !== start || start > size) start = 0; // not what the caller thinks: rewrite
    }
    try {
      const out = createWriteStream(target, { flags: start > 0 ? 'r+' : 'w', start, highWaterMark: CHUNK });
      const stages: NodeJS.ReadWriteStream[] = [];
      if (this.bytesPerSecond > 0) stages.push(throttleStream(this.bytesPerSecond, signal));
      stages.push(progressStream(start, options.onProgress));
      await pipeline([createReadStream(localFile, { start, highWaterMark: CHUNK }), ...stages, out], signal ? { signal } : {});
      // on a network mount, make sure the bytes are there before the rename publishes them
      const fh = await fsp.open(target, 'r+');
      try {
        await fh.datasync();
      } finally {
        await fh.close();
      }
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      throw this.mapError(err, target);
    }
  }

  async linkFrom(localFile: string, relPath: string): Promise<boolean> {
    const target = this.abs(relPath);
    try {
      await fsp.link(localFile, target);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw destinationError('destination_exists', `${target} already exists`, err);
      if (code === 'EXDEV' || code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EMLINK' || code === 'ENOSYS') {
        return false;
      }
      throw this.mapError(err, target);
    }
  }

  async isLinkOf(localFile: string, relPath: string): Promise<boolean> {
    try {
      const [a, b] = await Promise.all([fsp.stat(localFile), fsp.stat(this.abs(relPath))]);
      return a.isFile() && a.dev === b.dev && a.ino === b.ino;
    } catch {
      return false;
    }
  }

  async mkdirp(relDir: string): Promise<void> {
    const dir = this.abs(relDir, true);
    await fsp.mkdir(dir, { recursive: true }).catch((err: unknown) => {
      throw this.mapError(err, dir);
    });
  }

  /**
   * No-replace rename: a hard link fails with EEXIST atomically, then the old name goes. On
   * filesystems without hard links (exFAT, some FUSE/CIFS mounts) it checks, then renames; a
   * file created in between by someone else would be replaced (documented limitation).
   */
  async rename(fromRel: string, toRel: string): Promise<void> {
    const from = this.abs(fromRel);
    const to = this.abs(toRel);
    try {
      await fsp.link(from, to);
      await fsp.unlink(from);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw destinationError('destination_exists', `${to} already exists; not replaced`, err);
      if (code === 'ENOENT') throw this.mapError(err, from);
      if (!(code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EMLINK' || code === 'ENOSYS')) {
        throw this.mapError(err, to);
      }
    }
    const exists = await fsp.lstat(to).then(() => true, () => false);
    if (exists) throw destinationError('destination_exists', `${to} already exists; not replaced`);
    await fsp.rename(from, to).catch((err: unknown) => {
      throw this.mapError(err, to);
    });
  }

  async stat(relPath: string): Promise<RemoteStat | null> {
    const p = this.abs(relPath);
    try {
      const st = await fsp.stat(p);
      return { size: st.size, isDirectory: st.isDirectory() };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
      throw this.mapError(err, p);
    }
  }

  async remove(relPath: string): Promise<void> {
    const p = this.abs(normRel(relPath));
    await fsp.rm(p, { force: true }).catch((err: unknown) => {
      throw this.mapError(err, p);
    });
  }

  async freeSpace(): Promise<number | null> {
    const fs = await fsp.statfs(this.root).catch((err: unknown) => {
      throw this.mapError(err, this.root);
    });
    return fs.bavail * fs.bsize;
  }

  async close(): Promise<void> {
    // nothing held open
  }

  private mapError(err: unknown, where: string): AppError {
    if (err instanceof AppError) return err;
    const e = err as NodeJS.ErrnoException;
    switch (e.code) {
      case 'ENOENT':
        return destinationError('destination_not_found', `${where} does not exist (is the volume mounted?)`, err);
      case 'EACCES':
      case 'EPERM':
      case 'EROFS':
        return destinationError('destination_permission_denied', `No permission to write to ${where}${e.code === 'EROFS' ? ' (read-only filesystem)' : ''}`, err);
      case 'ENOSPC':
      case 'EDQUOT':
        return destinationError('destination_no_space', `No space left on the volume of ${where}`, err);
      case 'EIO':
      case 'ESTALE':
      case 'ETIMEDOUT':
      case 'EHOSTDOWN':
        return destinationError('destination_unreachable', `I/O error on ${where} (${e.code}); is the network mount up?`, err);
      default:
        return destinationError('destination_protocol_error', `${where}: ${e.message}`, err);
    }
  }
}

/** A folder the add-on sees; its whole configuration is the folder. */
export const localKind = defineDestinationKind({
  kind: 'local',
  label: 'Local folder',
  help: 'A folder the add-on can see, such as /media or /share, or a network share Home Assistant mounts there.',
  settings: z.object({
    base_path: oneLine(text(1024, { kind: 'local' }).trim())
      .refine((p) => p.startsWith('/'), 'must be an absolute folder such as /media/library or /share/Movies')
      .transform((p) => (p.length > 1 ? p.replace(/\/+$/, '') : p))
      // Written in normal form (what you see is where files go) and never in a kernel filesystem.
      .superRefine((p, ctx) => {
        if (!p.startsWith('/')) return;
        const normal = path.posix.normalize(p);
        if (normal !== p) ctx.addIssue({ code: 'custom', message: `must be written in normal form (${normal}): no .., . or repeated slashes` });
        else if (/^\/(proc|sys|dev)(\/|$)/.test(p)) ctx.addIssue({ code: 'custom', message: 'must not be inside /proc, /sys or /dev (system folders, not storage)' });
      })
      .meta({ title: 'Folder', description: 'An absolute folder, such as /media/library or /share/Movies' }),
  }),
  secrets: [],
  defaults: { base_path: '' },
  create: (settings, ctx) => new LocalDestination({ ...ctx.destination, ...settings, kind: 'local' }, ctx),
});
