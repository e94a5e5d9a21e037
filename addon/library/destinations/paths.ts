import { destinationError } from './errors.js';

/**
 * Relative destination paths: '/'-separated, no empty / '.' / '..' components, no NUL or
 * backslash (the SMB separator), no control characters. Pure; every adapter goes through it, so
 * no path can leave a destination's root.
 */
export function splitRel(rel: string, { allowEmpty = false } = {}): string[] {
  const trimmed = rel.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') {
    if (allowEmpty) return [];
    throw destinationError('destination_invalid_path', 'Empty destination path');
  }
  if (rel.startsWith('/')) {
    throw destinationError('destination_invalid_path', `Destination path must be relative: ${rel}`);
  }
  const parts = trimmed.split('/');
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..') {
      throw destinationError('destination_invalid_path', `Invalid destination path (empty, '.' or '..' component): ${rel}`);
    }
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f\\]/.test(part)) {
      throw destinationError('destination_invalid_path', `Invalid character in destination path: ${JSON.stringify(rel)}`);
    }
  }
  return parts;
}

/** Normalised relative path ('' allowed only with allowEmpty). */
export function normRel(rel: string, opts: { allowEmpty?: boolean } = {}): string {
  return splitRel(rel, opts).join('/');
}

/** Parent directory of a relative path ('' for a top-level name). */
export function parentRel(rel: string): string {
  const parts = splitRel(rel);
  return parts.slice(0, -1).join('/');
}

export function baseName(rel: string): string {
  const parts = splitRel(rel);
  return parts[parts.length - 1] ?? '';
}

/** Join a base ('' / '/abs' / 'rel/dir') and a relative path with single slashes. */
export function joinPosix(base: string, rel: string): string {
  if (rel === '') return base === '' ? '' : base.replace(/\/+$/, '') || '/';
  if (base === '') return rel;
  return `${base.replace(/\/+$/, '')}/${rel}`;
}

/** Every ancestor directory of rel including itself: 'a/b/c' -> ['a', 'a/b', 'a/b/c']. */
export function ancestors(relDir: string): string[] {
  const parts = splitRel(relDir, { allowEmpty: true });
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

/**
 * `Title (2024).mp4` -> `Title (2024) (2).mp4`: the n-th alternative name for a collision.
 * The suffix goes before the extension so media servers still recognise the file type.
 */
export function uniquifiedName(rel: string, n: number): string {
  const parts = splitRel(rel);
  const name = parts.pop() ?? '';
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  return [...parts, `${stem} (${n})${ext}`].join('/');
}
