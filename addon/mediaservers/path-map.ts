/**
 * Path mapping: the add-on sees `/media/...`, `/share/...` or `//nas/share/...`; the media
 * server sees its own mount (`/data/movies`, `smb://nas/media`, `D:\Media`). Pure.
 */
import type { PathMapEntry } from './model.js';

export type { PathMapEntry };

export interface MappedPath {
  path: string;
  /** The entry used, or null when no entry matched (the path is passed on unchanged). */
  entry: PathMapEntry | null;
}

const trimEnd = (p: string): string => (p.length > 1 ? p.replace(/[/\\]+$/, '') : p);

/** A Windows-style target (`D:\Media`, `\\nas\media`): the rest of the path gets backslashes too. */
export const usesBackslash = (p: string): boolean => p.includes('\\') && !p.includes('/');

/**
 * The longest `from` that is `path` itself or a folder above it (whole components only, so
 * `/media/tv` never matches `/media/tvshows`) is replaced by its `to`.
 */
export function mapPath(path: string, entries: readonly PathMapEntry[]): MappedPath {
  let best: PathMapEntry | null = null;
  let bestFrom = '';
  for (const entry of entries) {
    const from = trimEnd(entry.from);
    if (from === '') continue;
    const inside = path === from || path.startsWith(from.endsWith('/') ? from : `${from}/`);
    if (inside && from.length > bestFrom.length) {
      best = entry;
      bestFrom = from;
    }
  }
  if (!best) return { path, entry: null };
  const to = trimEnd(best.to);
  let rest = path.slice(bestFrom.length).replace(/^\/+/, '');
  const sep = usesBackslash(to) ? '\\' : '/';
  if (sep === '\\') rest = rest.replace(/\//g, '\\');
  if (rest === '') return { path: to, entry: best };
  return { path: to.endsWith(sep) ? `${to}${rest}` : `${to}${sep}${rest}`, entry: best };
}

/** The folder holding a file, in the file path's own separator style. */
export function parentFolder(filePath: string): string {
  const sep = usesBackslash(filePath) ? '\\' : '/';
  const i = filePath.lastIndexOf(sep);
  if (i <= 0) return sep === '/' && filePath.startsWith('/') ? '/' : filePath;
  // `smb://host/share/file` keeps its scheme part intact.
  return filePath.slice(0, i);
}

/** Whether `path` is `folder` or lies under it (whole components, either separator). */
export function isWithin(path: string, folder: string): boolean {
  const norm = (p: string): string => trimEnd(p.replace(/\\/g, '/'));
  const p = norm(path);
  const f = norm(folder);
  if (f === '') return false;
  return p === f || p.startsWith(f.endsWith('/') ? f : `${f}/`);
}
