/**
 * Segmented WebVTT (HLS subtitles, DASH text) to one subtitle file with times on the video's
 * timeline. Each HLS segment may carry `X-TIMESTAMP-MAP=MPEGTS:<90 kHz>,LOCAL:<cue time>`,
 * which says which video timestamp a cue time stands for; the finished file starts where the
 * video's first timestamp is, so a cue lands at (MPEGTS + cue − LOCAL) − video start. Pure.
 */

export interface Cue {
  /** Seconds from the start of the finished file. */
  start: number;
  end: number;
  /** Cue payload, lines joined with \n (WebVTT markup kept). */
  text: string;
}

export interface VttSegment {
  map: { mpegts: number; local: number } | null;
  /** Seconds added to every cue (our own `X-M3UDL-OFFSET` header: a DASH Period's start). */
  offset: number;
  cues: Cue[];
}

const TIME = /^(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})$/;
const MPEGTS_WRAP = 2 ** 33;

export function parseTimestamp(text: string): number | null {
  const m = TIME.exec(text.trim());
  if (!m) return null;
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]!.padEnd(3, '0')) / 1000;
}

/** One WebVTT document (a segment, or a whole file). Unparseable blocks are skipped, not fatal. */
export function parseVtt(text: string): VttSegment {
  const lines = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
  let map: VttSegment['map'] = null;
  let offset = 0;
  const cues: Cue[] = [];
  let i = 0;
  // Header: everything up to the first blank line.
  for (; i < lines.length && lines[i]!.trim() !== ''; i++) {
    const own = /^X-M3UDL-OFFSET=(-?[\d.]+)$/.exec(lines[i]!.trim());
    if (own) offset = Number(own[1]) || 0;
    const m = /^X-TIMESTAMP-MAP=(.*)$/.exec(lines[i]!.trim());
    if (m) {
      const mpegts = /MPEGTS:(\d+)/.exec(m[1]!)?.[1];
      const local = /LOCAL:([\d:.,]+)/.exec(m[1]!)?.[1];
      const localSec = local ? parseTimestamp(local) : 0;
      if (mpegts !== undefined && localSec !== null) map = { mpegts: Number(mpegts), local: localSec };
    }
  }
  while (i < lines.length) {
    while (i < lines.length && lines[i]!.trim() === '') i++;
    const block: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '') block.push(lines[i++]!);
    if (block.length === 0) break;
    const at = block.findIndex((l) => l.includes('-->'));
    if (at < 0 || at > 1) continue; // NOTE, STYLE, REGION or garbage
    const [from, rest] = block[at]!.split('-->');
    const start = parseTimestamp(from ?? '');
    const end = parseTimestamp((rest ?? '').trim().split(/\s+/)[0] ?? '');
    if (start === null || end === null || end <= start) continue;
    const payload = block.slice(at + 1).join('\n');
    if (payload.trim() === '') continue;
    cues.push({ start, end, text: payload });
  }
  return { map, offset, cues };
}

/** Marks a document's cues as `offset` seconds later (a DASH Period's start), in its header. */
export function withOffsetHeader(doc: string, offset: number): string {
  return doc.replace(/^(\uFEFF?WEBVTT[^\n]*)(\r?\n|$)/, `$1\nX-M3UDL-OFFSET=${offset}$2`);
}

/**
 * Segments in playlist order to cues on the file's timeline. `videoStart` is the first
 * timestamp of the video in seconds (90 kHz clock for MPEG-TS), or null when unknown; cues
 * repeated in consecutive segments (a cue crossing a segment boundary) are kept once.
 */
export function joinVttSegments(segments: readonly string[], videoStart: number | null): Cue[] {
  const out: Cue[] = [];
  const seen = new Set<string>();
  for (const text of segments) {
    const seg = parseVtt(text);
    let shift = seg.offset;
    if (seg.map && videoStart !== null) {
      let mpegts = seg.map.mpegts;
      // 33-bit PTS wrap: a map far below the video start belongs to the next wrap.
      const startTicks = videoStart * 90_000;
      if (mpegts + MPEGTS_WRAP / 2 < startTicks) mpegts += MPEGTS_WRAP;
      shift += mpegts / 90_000 - seg.map.local - videoStart;
    } else if (seg.map) {
      shift -= seg.map.local;
    }
    for (const cue of seg.cues) {
      const start = Math.max(0, cue.start + shift);
      const end = cue.end + shift;
      if (end <= 0) continue;
      const key = `${Math.round(start * 1000)}|${Math.round(end * 1000)}|${cue.text}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ start, end, text: cue.text });
    }
  }
  return out.sort((a, b) => a.start - b.start || a.end - b.end);
}

/** Splits the concatenation of segment bodies back into documents at each "WEBVTT" header. */
export function splitVttDocuments(joined: string): string[] {
  return joined
    .replace(/^\uFEFF/, '')
    .split(/^(?:\uFEFF)?(?=WEBVTT(?:[ \t].*)?$)/m)
    .filter((doc) => doc.trim() !== '');
}

function stamp(sec: number, sep: ',' | '.'): string {
  const ms = Math.round(sec * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${sep}${pad(ms % 1000, 3)}`;
}

/** WebVTT markup to what SubRip players understand: <i>, <b>, <u> stay, other tags go, entities decoded. */
export function vttTextToSrt(text: string): string {
  return text
    .replace(/<(\/?)([ibu])(?:\.[^>\s]*)?>/g, '\u0000$1$2\u0001')
    .replace(/<[^>]*>/g, '')
    .replace(/\u0000/g, '<')
    .replace(/\u0001/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&nbsp;/g, '\u00a0')
    .replace(/&lrm;/g, '\u200e')
    .replace(/&rlm;/g, '\u200f')
    .replace(/&amp;/g, '&');
}

export function toSrt(cues: readonly Cue[]): string {
  return cues.map((c, i) => `${i + 1}\n${stamp(c.start, ',')} --> ${stamp(c.end, ',')}\n${vttTextToSrt(c.text)}\n`).join('\n');
}

export function toWebVtt(cues: readonly Cue[]): string {
  return ['WEBVTT', '', ...cues.map((c) => `${stamp(c.start, '.')} --> ${stamp(c.end, '.')}\n${c.text}\n`)].join('\n');
}
