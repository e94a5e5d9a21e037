import type { DownloadContext } from '../download/context.js';
import { fetchToFile, type FetchToFileRequest, type FetchToFileResult } from '../download/fetch-to-file.js';
import type { Segment } from './playlist.js';

/**
 * One media segment to a file, as every HLS fetch asks for it: the job's headers, the segment's
 * byte range, AES-128 with the segment's IV when it has a key. Retries and connection caps are
 * the caller's (limitedRequest), so VOD and the live recorder share only the request itself.
 */
export function fetchSegmentFile(
  ctx: DownloadContext,
  seg: Pick<Segment, 'uri' | 'byteRange' | 'key'>,
  key: Buffer | null,
  dest: string,
  signal: AbortSignal,
  onBytes: (n: number) => void,
  extra: Pick<FetchToFileRequest, 'memory' | 'onHeaders'> = {},
): Promise<FetchToFileResult> {
  return fetchToFile(ctx.http, {
    url: seg.uri,
    headers: ctx.headers,
    byteRange: seg.byteRange,
    decrypt: key && seg.key ? { key, iv: seg.key.iv } : null,
    signal,
    dest,
    onBytes,
    ...extra,
  });
}
