import { describe, expect, it } from 'vitest';
import { enableCompileCache, type CompileCacheApi } from '../../addon/platform/compile-cache.js';

const constants = { compileCacheStatus: { FAILED: 0, ENABLED: 1, ALREADY_ENABLED: 2, DISABLED: 3 } };

describe('enableCompileCache', () => {
  it('enables Node 22+ compile cache in the given directory', () => {
    const dirs: Array<string | undefined> = [];
    const api: CompileCacheApi = { constants, enableCompileCache: (dir) => (dirs.push(dir), { status: 1, directory: dir }) };
    expect(enableCompileCache('/data/tmp/compile-cache', api)).toBe('enabled');
    expect(dirs).toEqual(['/data/tmp/compile-cache']);
    expect(enableCompileCache('/data/tmp/compile-cache', { constants, enableCompileCache: () => ({ status: 2 }) })).toBe('enabled');
  });

  it('says why when Node could not use the directory, and never throws', () => {
    expect(enableCompileCache('/ro', { constants, enableCompileCache: () => ({ status: 0, message: 'EACCES: permission denied' }) })).toBe('failed: EACCES: permission denied');
    expect(enableCompileCache('/x', { constants, enableCompileCache: () => ({ status: 3 }) })).toBe('failed: status 3');
    expect(enableCompileCache('/x', { constants, enableCompileCache: () => { throw new Error('boom'); } })).toBe('failed: boom');
  });

  it('does nothing on a Node without it (Node 20)', () => {
    expect(enableCompileCache('/x', {})).toBe('unavailable');
  });
});
