import { limitedRequest, type DownloadContext } from '../download/context.js';
import { fetchSmall } from '../download/fetch-to-file.js';
import { parseMpd } from './mpd.js';
import { describeDash, type DashProbeAnswer } from './probe.js';

/**
 * For the probe service's DASH kind: the manifest from the first ranged GET when it was whole,
 * else fetched in full, then described. `first` is addon/download/direct-download.ts UrlProbe.
 */
export async function describeDashUrl(ctx: DownloadContext, first: { head: Buffer; complete: boolean; finalUrl: string }): Promise<DashProbeAnswer> {
  const text = first.complete
    ? first.head.toString('utf8')
    : (await limitedRequest(ctx, first.finalUrl, 'manifest', (signal) => fetchSmall(ctx.http, first.finalUrl, ctx.headers, signal))).body.toString('utf8');
  return describeDash(parseMpd(text, first.finalUrl));
}
