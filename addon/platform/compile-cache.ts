import module from 'node:module';

export interface CompileCacheApi {
  enableCompileCache?: (dir?: string) => { status: number; message?: string; directory?: string };
  constants?: { compileCacheStatus?: { ENABLED: number; ALREADY_ENABLED: number } };
}

/**
 * V8's compiled code of every module loaded after this call is kept in `dir` and reused on the
 * next start, so a restart skips parsing the server's bundle (most of what start-up still spends
 * CPU on). Node 22.1+ has it (`module.enableCompileCache`); Node 20 does not, and then this does
 * nothing. The cache is keyed by Node version and file contents: an update never runs stale code.
 */
export function enableCompileCache(dir: string, api: CompileCacheApi = module as unknown as CompileCacheApi): 'enabled' | 'unavailable' | `failed: ${string}` {
  if (typeof api.enableCompileCache !== 'function') return 'unavailable';
  try {
    const result = api.enableCompileCache(dir);
    const status = api.constants?.compileCacheStatus;
    if (status && (result.status === status.ENABLED || result.status === status.ALREADY_ENABLED)) return 'enabled';
    return `failed: ${result.message ?? `status ${result.status}`}`;
  } catch (err) {
    return `failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}
