import { parseM3u, type M3uEntry, type M3uIssue, type M3uSource } from '../m3u-parser.js';
import type { SourceFetch } from './types.js';

const HTTP = /^https?:\/\//i;

/**
 * An M3U byte stream as a SourceFetch: M3uEntry batches go through as they are, except entries
 * whose URL is not http(s) (a bare text line the parser took for a URL, rtmp://...): nothing
 * here could download them, so they count as malformed lines.
 */
export function m3uFetch(body: M3uSource): SourceFetch {
  const parse = parseM3u(body);
  let dropped = 0;
  let kept = 0;
  const issues: M3uIssue[] = [];
  async function* batches(): AsyncGenerator<M3uEntry[]> {
    for await (const batch of parse.batches()) {
      let out = batch;
      for (let i = 0; i < batch.length; i++) {
        if (HTTP.test(batch[i]!.url)) continue;
        // Rare: copy the batch without the bad entries.
        out = batch.filter((e) => {
          if (HTTP.test(e.url)) return true;
          dropped++;
          if (issues.length < 20) issues.push({ line: e.urlLine, kind: 'not-a-url', text: e.url.slice(0, 200) });
          return false;
        });
        break;
      }
      kept += out.length;
      if (out.length > 0) yield out;
    }
  }
  return {
    batches: batches(),
    summary() {
      const s = parse.summary;
      const all = [...s.issues, ...issues].sort((a, b) => a.line - b.line);
      return { malformed: s.malformed + dropped, issues: all, looksLikeList: s.header.present || kept > 0, epgUrls: s.header.tvgUrls };
    },
  };
}
