import type { DownloadContext } from '../download/context.js';
import type { UrlProbe } from '../download/direct-download.js';
import { sniff } from '../download/sniff.js';
import { mediaTitleOf, type ByteReader } from '../titles/media-title.js';
import type { TitleEvidence } from '../titles/title-rule.js';
import type { ProbeKind } from './model.js';

/**
 * What the stream says its title is, for the title rule: the HLS master's session data
 * (`com.apple.hls.title`), the DASH manifest's ProgramInformation Title, an MP4's ©nam tag or a
 * Matroska/WebM Segment Info Title (at most two more ranged requests when the tag is not in the
 * first bytes). Failures here never fail the probe: the rule falls back to the page title and the URL.
 */
export async function titleEvidence(ctx: DownloadContext, kind: ProbeKind, first: UrlProbe): Promise<StreamEvidence> {
  return firstResponseEvidence(kind, first, first.rangeSupported ? (offset, length) => rangeBytes(ctx, first.finalUrl, offset, length) : null);
}

/** What the stream says about itself; the part of TitleEvidence that comes from the network. */
export type StreamEvidence = Omit<TitleEvidence, 'url' | 'pageTitle' | 'sourceName'>;

/**
 * The evidence in a first response: its headers and first bytes, plus what `read` fetches when
 * the tag lies further in (null: the first bytes only, as a download does before it has the file).
 */
export async function firstResponseEvidence(kind: ProbeKind, first: UrlProbe, read: ByteReader | null): Promise<StreamEvidence> {
  const text = kind === 'direct' ? '' : first.head.toString('utf8');
  if (kind === 'hls') return { playlistTitle: hlsSessionTitle(text) };
  if (kind === 'dash') return { playlistTitle: dashProgramTitle(text) };
  const out: StreamEvidence = { contentDisposition: first.contentDisposition ?? null };
  const container = sniff(first.head).kind;
  if (container === 'mp4' || container === 'mkv') out.mediaTitle = await mediaTitleOf(first.head, read, first.size).catch(() => null);
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
