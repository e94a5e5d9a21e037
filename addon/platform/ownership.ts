import { chmod, chown, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from './logger.js';

export interface OwnershipOptions {
  /** The media volume: only paths inside it are touched. */
  root: string;
  /** PUID/PGID: the owner finished files should have on the volume. */
  uid: number | undefined;
  gid: number | undefined;
  /** UMASK as a number (0o022): finished files get 0666 & ~umask, our directories 0777 & ~umask. */
  umask: number | undefined;
  logger: Logger;
  /** Whether we may chown (running as root); defaults to the process's uid. */
  isRoot?: boolean;
}

export interface Ownership {
  /** Whether apply() does anything at all. */
  readonly active: boolean;
  /** Gives a finished file (relative to the root) and the directories we made for it their owner and mode. */
  apply(relativePath: string): Promise<void>;
}

/**
 * PUID/PGID/UMASK for files written to the media volume, as NAS containers (linuxserver.io
 * style) do it. The process umask (set at start from UMASK) already shapes new files; this
 * also fixes the owner when we run as root and writes the mode explicitly, because files
 * renamed from the work dir or written by ffmpeg keep whatever they were created with.
 * Directories are only touched while they are still root's, i.e. ones this app created; a
 * folder the user made (and owns) keeps its owner and mode.
 */
export function createOwnership(opts: OwnershipOptions): Ownership {
  const isRoot = opts.isRoot ?? process.getuid?.() === 0;
  const chownWanted = isRoot && (opts.uid !== undefined || opts.gid !== undefined);
  const active = chownWanted || opts.umask !== undefined;
  const root = path.resolve(opts.root);

  const fix = async (target: string, isDir: boolean): Promise<void> => {
    const st = await stat(target);
    if (isDir && st.uid !== 0) return;
    if (chownWanted) await chown(target, opts.uid ?? st.uid, opts.gid ?? st.gid);
    if (opts.umask !== undefined) await chmod(target, (isDir ? 0o777 : 0o666) & ~opts.umask);
  };

  return {
    active,
    async apply(relativePath) {
      if (!active) return;
      const file = path.resolve(root, relativePath);
      if (!file.startsWith(root + path.sep)) return;
      try {
        const dirs: string[] = [];
        for (let dir = path.dirname(file); dir !== root && dir.startsWith(root + path.sep); dir = path.dirname(dir)) dirs.push(dir);
        for (const dir of dirs.reverse()) await fix(dir, true);
        await fix(file, false);
      } catch (err) {
        opts.logger.warn({ err, file: relativePath }, 'could not set the owner or mode of a finished file (PUID/PGID/UMASK)');
      }
    },
  };
}

/** "022" / "0022" / "0o022" → 0o022; undefined when not given. */
export function parseUmask(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return parseInt(text.replace(/^0o/i, ''), 8);
}
