import { describe, expect, it } from 'vitest';
import { AppError } from '../../../addon/errors.js';
import { destinationError, isRetryable, statusForError } from '../../../addon/library/destinations/errors.js';
import { ancestors, joinPosix, normRel, parentRel, splitRel, uniquifiedName } from '../../../addon/library/destinations/paths.js';
import { createDestination, isDestinationKind } from '../../../addon/library/destinations/registry.js';
import { escapeGlob, parseListing } from '../../../addon/library/destinations/rsync.js';
import { parseAllinfo, parseDu } from '../../../addon/library/destinations/smb.js';
import type { DestinationConfig } from '../../../addon/library/destinations/types.js';
import { deps } from './helpers.js';

describe('relative destination paths', () => {
  it.each([
    ['Movies/Título (2024)/Título (2024).mp4', ['Movies', 'Título (2024)', 'Título (2024).mp4']],
    ['a/b/', ['a', 'b']],
    ['Series/Love; Death [tmdbid-1]/x.mkv', ['Series', 'Love; Death [tmdbid-1]', 'x.mkv']],
  ])('splits %s', (rel, parts) => {
    expect(splitRel(rel)).toEqual(parts);
  });

  it.each(['', '/etc/passwd', 'a//b', '../x', 'a/../../x', 'a/./b', 'a\\b', 'a/b\u0000c', 'a/\nb'])('rejects %j', (rel) => {
    expect(() => splitRel(rel)).toThrow(AppError);
    expect(() => splitRel(rel)).toThrow(expect.objectContaining({ code: 'destination_invalid_path' }) as Error);
  });

  it('helpers', () => {
    expect(normRel('', { allowEmpty: true })).toBe('');
    expect(parentRel('a/b/c.mkv')).toBe('a/b');
    expect(parentRel('c.mkv')).toBe('');
    expect(ancestors('a/b/c')).toEqual(['a', 'a/b', 'a/b/c']);
    expect(ancestors('')).toEqual([]);
    expect(joinPosix('/srv/media/', 'a/b')).toBe('/srv/media/a/b');
    expect(joinPosix('', 'a')).toBe('a');
    expect(joinPosix('base', '')).toBe('base');
  });

  it.each([
    ['Movies/X (2024)/X (2024).mp4', 2, 'Movies/X (2024)/X (2024) (2).mp4'],
    ['x.tar.gz', 3, 'x.tar (3).gz'],
    ['README', 2, 'README (2)'],
    ['.hidden', 2, '.hidden (2)'],
  ])('uniquifies %s #%i', (rel, n, out) => {
    expect(uniquifiedName(rel, n)).toBe(out);
  });
});

describe('smbclient output parsing', () => {
  it('allinfo of a file and a folder', () => {
    const file = `altname: X9DHUH~I
create_time:    Sat Nov 21 05:41:02 2026 UTC
attributes: A (20)
stream: [::$DATA], 209715200 bytes
`;
    expect(parseAllinfo(file)).toEqual({ size: 209715200, isDirectory: false });
    expect(parseAllinfo('altname: a\nattributes: D (10)\n')).toEqual({ size: 0, isDirectory: true });
    expect(parseAllinfo('NT_STATUS_OBJECT_NAME_NOT_FOUND getting alt name for \\a\\none')).toBeNull();
  });

  it('du', () => {
    expect(parseDu('\n\t\t264212084 blocks of size 1024. 82025056 blocks available\nTotal number of bytes: 0\n')).toEqual({
      total: 264212084 * 1024,
      free: 82025056 * 1024,
    });
    expect(parseDu('nothing')).toBeNull();
  });
});

describe('rsync helpers', () => {
  it('parses --list-only lines', () => {
    expect(parseListing('-rw-r--r--   209715200 2026/11/21 05:42:36 x.mp4\n')).toEqual({ size: 209715200, isDirectory: false });
    expect(parseListing('drwxr-xr-x          4,096 2026/11/21 05:42:36 Movies\n')).toEqual({ size: 4096, isDirectory: true });
    expect(parseListing('')).toBeNull();
  });

  it('escapes wildcards only', () => {
    expect(escapeGlob('A [tmdbid-1]/a*b?.mkv')).toBe('A \\[tmdbid-1]/a\\*b\\?.mkv');
    expect(escapeGlob('Título (2024).mp4')).toBe('Título (2024).mp4');
  });
});

describe('error classification', () => {
  it.each([
    ['destination_unreachable', 'offline', true],
    ['destination_protocol_error', 'offline', true],
    ['destination_size_mismatch', 'offline', true],
    ['destination_auth_failed', 'error', false],
    ['destination_not_found', 'error', false],
    ['destination_permission_denied', 'error', false],
    ['destination_no_space', 'error', false],
    ['destination_host_key_mismatch', 'error', false],
  ] as const)('%s -> %s', (code, status, retry) => {
    const err = destinationError(code, 'x');
    expect(statusForError(err)).toBe(status);
    expect(isRetryable(err)).toBe(retry);
  });
});

describe('registry', () => {
  const base: DestinationConfig = { id: 'd', name: 'D', kind: 'local', base_path: '/media' };
  it('creates each kind', () => {
    expect(createDestination(base, deps()).kind).toBe('local');
    expect(createDestination({ ...base, kind: 'smb', host: 'nas', share: 'media', username: 'u', password: 'p', base_path: '' }, deps()).kind).toBe('smb');
    expect(createDestination({ ...base, kind: 'sftp', host: 'nas', username: 'u', password: 'p', base_path: '/srv' }, deps()).kind).toBe('sftp');
    expect(createDestination({ ...base, kind: 'rsync', host: 'nas', base_path: 'module/x' }, deps()).kind).toBe('rsync');
    expect(isDestinationKind('ftp')).toBe(false);
  });

  it.each([
    [{ kind: 'ftp' }, /Unknown destination kind "ftp"/],
    [{ kind: 'smb', host: 'nas' }, /needs a share name/],
    [{ kind: 'smb', share: 'media' }, /needs a host/],
    [{ kind: 'smb', host: 'nas', share: '//nas/media' }, /without slashes/],
    [{ kind: 'sftp', host: 'nas', username: 'u' }, /password or a private key/],
    [{ kind: 'rsync', host: 'nas', base_path: '' }, /module name/],
    [{ kind: 'local', base_path: 'rel' }, /absolute base_path/],
  ])('refuses %j', (over, msg) => {
    expect(() => createDestination({ ...base, ...over } as DestinationConfig, deps())).toThrow(msg);
  });

  it('describes locations without secrets', () => {
    const smb = createDestination({ ...base, kind: 'smb', host: 'nas', port: 445, share: 'media', username: 'u', password: 'hunter2', base_path: 'Library' }, deps());
    expect(smb.describe('Movies/X.mkv')).toBe('//nas:445/media/Library/Movies/X.mkv');
    const sftp = createDestination({ ...base, kind: 'sftp', host: 'box', username: 'me', password: 'hunter2', base_path: '/srv/media' }, deps());
    expect(sftp.describe('a.mkv')).toBe('sftp://me@box:22/srv/media/a.mkv');
    const rs = createDestination({ ...base, kind: 'rsync', host: 'nas', username: 'me', password: 'hunter2', base_path: 'media/lib' }, deps());
    expect(rs.describe('a.mkv')).toBe('rsync://me@nas:873/media/lib/a.mkv');
    for (const d of [smb, sftp, rs]) expect(d.describe('a.mkv')).not.toContain('hunter2');
  });
});
