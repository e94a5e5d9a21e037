import type { DownloadContext } from '../download/context.js';
import type { UrlProbe } from '../download/direct-download.js';
import { sniff } from '../download/sniff.js';
import { findMoov, titleFromMoov } from '../titles/mp4-title.js';
import type { TitleEvidence } from '../titles/title-rule.js';
import type { ProbeKind } from './model.js';

/** A moov box bigger than this is not fetched for its title (a long film's index can be several MB). */
const MAX_MOOV_BYTES = 4 * 1024 * 1024;
/** A moov of unknown size: this much is asked for first. */
const MOOV_GUESS_BYTES = 512 * 1024;

/**
 * What the stream says its title is, for the title rule: the HLS master's session data
 * (`com.apple.hls.title`), the DASH manifest's ProgramInformation Title, an MP4's ©nam tag (at
 * most two more ranged requests when the moov box follows the media data). Failures here never
 * fail the probe: the rule falls back to the page title and the URL.
 */
export async function titleEvidence(ctx: DownloadContext, kind: ProbeKind, first: UrlProbe): Promise<Omit<TitleEvidence, 'url' | 'pageTitle'>> {
  const text = kind === 'direct' ? '' : first.head.toString('utf8');
  if (kind === 'hls') return { playlistTitle: hlsSessionTitle(text) };
  if (kind === 'dash') return { playlistTitle: dashProgramTitle(text) };
  const out: Omit<TitleEvidence, 'url' | 'pageTitle'> = { contentDisposition: first.contentDisposition ?? null };
  if (sniff(first.head).kind === 'mp4') out.mediaTitle = await mp4Title(ctx, first).catch(() => null);
  return out;
}

/** `#EXT-X-SESSION-DATA:DATA-ID="com.apple.hls.title",VALUE="..."` (the first one: any language). */
export function hlsSessionTitle(text: string): string | null {
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith('#EXT-X-SESSION-DATA:') || !/DATA-ID="com\.apple\.hls\.title"/.test(line)) continue;
    const value = /VALUE="([^"]*)"/.exec(line)?.[1];
    if (value?.trim()) return value.trim();
  }
  return null;
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** `<ProgramInformation><Title>...</Title>` of an MPD. */
export function dashProgramTitle(text: string): string | null {
  const info = /<(?:\w+:)?ProgramInformation\b[^>]*>([\s\S]*?)<\/(?:\w+:)?ProgramInformation>/.exec(text)?.[1];
  const raw = info ? /<(?:\w+:)?Title\b[^>]*>([\s\S]*?)<\/(?:\w+:)?Title>/.exec(info)?.[1] : undefined;
  if (!raw) return null;
  const value = raw
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')
    .replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) => (e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : (XML_ENTITIES[e] ?? m)))
    .trim();
  return value || null;
}

async function mp4Title(ctx: DownloadContext, first: UrlProbe): Promise<string | null> {
  let scan = findMoov(first.head);
  for (let hop = 0; hop < 2 && scan.found === 'elsewhere'; hop++) {
    if (!first.rangeSupported || (first.size !== null && scan.offset >= first.size)) return null;
    const length = scan.length ?? MOOV_GUESS_BYTES;
    if (length > MAX_MOOV_BYTES) return null;
    const chunk = await rangeBytes(ctx, first.finalUrl, scan.offset, length);
    scan = findMoov(chunk, scan.offset);
  }
  return scan.found === 'moov' ? titleFromMoov(scan.moov) : null;
}

async function rangeBytes(ctx: DownloadContext, url: string, start: number, length: number): Promise<Buffer> {
  const response = await ctx.http.get({ url, headers: ctx.headers, range: { start, end: start + length - 1 }, signal: ctx.signal });
  if (response.status !== 206) {
    response.body.destroy();
    return Buffer.alloc(0);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= length) break;
  }
  response.body.destroy();
  return Buffer.concat(chunks).subarray(0, length);
}
