/**
 * A title guessed from a pasted URL, when the URL has an obvious one:
 * `https://cdn/x/The.Matrix.1999.1080p.BluRay.mkv` -> "The Matrix (1999)",
 * `https://cdn/shows/my-show-s01e02/index.m3u8` -> "My Show S01E02". Returns null for URLs made
 * of ids and hashes (`/hls/5f3c.../master.m3u8`), so the server names the file instead.
 */
const GENERIC = new Set([
  'index', 'master', 'playlist', 'prog_index', 'chunklist', 'manifest', 'stream', 'streams', 'video', 'videos',
  'hls', 'dash', 'main', 'media', 'output', 'mono', 'play', 'live', 'vod', 'movie', 'movies', 'series', 'get',
  'download', 'downloads', 'file', 'files', 'content', 'embed', 'player', 'source', 'hd', 'sd', 'high', 'low',
]);
const MEDIA_EXT = /\.(m3u8?|mp4|m4v|mkv|ts|webm|mov|avi|mpd|flv|wmv)$/i;
const JUNK = /^(\d{3,4}p|[48]k|uhd|fhd|hdr|hdr10|dv|x26[45]|h\.?26[45]|hevc|avc|aac\d?(\.\d)?|ac3|eac3|ddp?\d?(\.\d)?|dts|web(-?dl|rip)?|blu-?ray|bdrip|brrip|hdtv|dvdrip|remux|proper|repack|multi|dual|10bit|8bit)$/i;
const TITLE_PARAMS = ['title', 'name', 'filename', 'file', 'fn'];

function looksLikeId(s: string): boolean {
  const compact = s.replace(/[-_.\s]/g, '');
  if (compact.length === 0) return true;
  if (/^\d+$/.test(compact)) return true;
  if (/^[0-9a-f]{12,}$/i.test(compact)) return true;
  // A token such as "aZ3kQ9xW2mP7vB1c" (no separators, mixed case and digits).
  if (/^[A-Za-z0-9]{16,}$/.test(s) && /\d/.test(s) && /[a-z]/.test(s) && /[A-Z]/.test(s)) return true;
  return compact.length < 3;
}

function tidy(raw: string): string | null {
  let s = raw.replace(MEDIA_EXT, '');
  // Dots, underscores and plus signs between words are separators; hyphens too when the name has no spaces.
  s = s.replace(/[._+]+/g, ' ');
  if (!s.includes(' ') && /-/.test(s)) s = s.replace(/-+/g, ' ');
  s = s.replace(/\[[^\]]*\]|\{[^}]*\}/g, ' ').replace(/\s+/g, ' ').trim();
  const words = s.split(' ');
  const kept: string[] = [];
  for (const w of words) {
    if (JUNK.test(w)) break; // everything after the first quality/codec tag is release noise
    kept.push(w);
  }
  if (kept.length === 0) return null;
  let year: string | null = null;
  const last = kept[kept.length - 1]!;
  const yearMatch = /^\(?((?:19|20)\d\d)\)?$/.exec(last);
  if (yearMatch && kept.length > 1) {
    year = yearMatch[1]!;
    kept.pop();
  }
  let title = kept.join(' ').trim();
  if (!title || looksLikeId(title)) return null;
  if (title === title.toLowerCase()) {
    title = title.replace(/\b([a-z])/g, (c) => c.toUpperCase()).replace(/\bS(\d+)e(\d+)\b/gi, (_m, a: string, b: string) => `S${a}E${b}`);
  }
  title = title.replace(/\bs(\d{1,2})e(\d{1,3})\b/gi, (_m, a: string, b: string) => `S${a}E${b}`);
  return year ? `${title} (${year})` : title;
}

export function titleFromUrl(input: string): string | null {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  for (const p of TITLE_PARAMS) {
    const v = url.searchParams.get(p);
    if (v && !looksLikeId(v)) {
      const t = tidy(v);
      if (t) return t;
    }
  }
  const segments = url.pathname
    .split('/')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    })
    .filter(Boolean)
    .reverse();
  // From the file name up: generic names (index.m3u8, 1080p/) send us to the folder above; an id
  // or a hash (12345.mp4, /5f3c9a.../) means the URL has no title (and the folders above it may
  // be credentials, as in Xtream's /movie/<user>/<password>/<id>.mp4).
  for (const seg of segments) {
    const stem = seg.replace(MEDIA_EXT, '');
    if (GENERIC.has(stem.toLowerCase()) || JUNK.test(stem)) continue;
    if (looksLikeId(stem) || /^(seg|chunk|part|frag)[-_]?\d+/i.test(stem)) return null;
    return tidy(seg);
  }
  return null;
}
