import { sniff } from '../download/sniff.js';
import type { ProbeKind } from './model.js';

/**
 * Which kind of thing a URL serves, from what the first response showed: its first bytes win
 * (servers mislabel playlists as text/plain or octet-stream), then the Content-Type, then the
 * URL's extension. Null: text or something unknown (a web page, an error page). Pure.
 */
export function detectProbeKind(input: { url: string; contentType: string | null; head: Buffer }): ProbeKind | null {
  const sniffed = sniff(input.head);
  if (sniffed.kind === 'playlist') return 'hls';
  const type = (input.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const ext = extensionOf(input.url);
  const text = input.head.toString('utf8', 0, Math.min(input.head.length, 2048));
  if (type === 'application/dash+xml' || ext === 'mpd' || /<MPD[\s>]/.test(text)) return 'dash';
  if (sniffed.kind === 'ts' || sniffed.kind === 'mp4' || sniffed.kind === 'mkv' || sniffed.kind === 'aac') return 'direct';
  if (sniffed.kind === 'text') return null;
  if (type.startsWith('video/') || type.startsWith('audio/')) return 'direct';
  return null;
}

export function extensionOf(url: string): string {
  try {
    const last = new URL(url).pathname.split('/').pop() ?? '';
    const dot = last.lastIndexOf('.');
    return dot > 0 ? last.slice(dot + 1).toLowerCase() : '';
  } catch {
    return '';
  }
}
