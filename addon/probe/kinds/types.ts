import type { DownloadContext } from '../../download/context.js';
import type { UrlProbe } from '../../download/direct-download.js';
import type { ProbeKind, ProbeResult } from '../model.js';

/** One kind of stream the probe can describe; the probe service dispatches on the detected kind. */
export interface Prober {
  kind: ProbeKind;
  /** `first` is the ranged GET every probe starts with (the same one a download starts with). */
  describe(ctx: DownloadContext, first: UrlProbe): Promise<ProbeResult>;
}

export function emptyResult(kind: ProbeKind, url: string): ProbeResult {
  // title and content_type are filled in by the probe service, which sees the whole evidence.
  return { kind, url, variants: [], audio: [], subtitles: [], duration_s: null, estimated_bytes: null, live: false, drm: false, container: null, note: null, title: '', title_from: 'host', content_type: null };
}
