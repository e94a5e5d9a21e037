/**
 * Video quality as IPTV titles spell it: resolutions (480p ... 2160p) and the words providers
 * use instead (SD, HD, FHD, 4K, UHD). Pure.
 */

/** Normalised quality, lowest first. 240p/360p and 4320p exist so the filter can reject them. */
export const QUALITIES = ['240p', '360p', '480p', '720p', '1080p', '1440p', '2160p', '4320p'] as const;
export type Quality = (typeof QUALITIES)[number];

/** 1 (240p) .. 8 (4320p); 0 for unknown. Higher is better. */
export function qualityRank(q: Quality | null | undefined): number {
  return q ? QUALITIES.indexOf(q) + 1 : 0;
}

export function isQuality(s: unknown): s is Quality {
  return typeof s === 'string' && (QUALITIES as readonly string[]).includes(s);
}

/**
 * Quality named by one token, already folded (lower case, no diacritics) and stripped of
 * surrounding punctuation: "1080p", "fhd", "4k", "uhd", "sd". Null when it is not a quality word.
 * Words rank below explicit resolutions: see `QualityToken.explicit`.
 */
export function qualityFromToken(token: string): { quality: Quality; explicit: boolean } | null {
  const word = QUALITY_WORDS.get(token);
  if (word) return { quality: word, explicit: false };
  // 1080p, 1080i, 720p, 2160p ...
  const last = token.charCodeAt(token.length - 1);
  if ((last === 0x70 /* p */ || last === 0x69 /* i */) && token.length >= 4 && token.length <= 5) {
    const n = Number(token.slice(0, -1));
    if (Number.isInteger(n)) {
      const q = qualityFromHeight(n);
      if (q) return { quality: q, explicit: true };
    }
  }
  return null;
}

/** Map a vertical resolution to the nearest normalised quality (576 -> 480p, 1440 -> 1440p). */
export function qualityFromHeight(height: number): Quality | null {
  if (!Number.isFinite(height) || height < 100) return null;
  if (height < 300) return '240p';
  if (height < 420) return '360p';
  if (height < 650) return '480p';
  if (height < 900) return '720p';
  if (height < 1300) return '1080p';
  if (height < 1800) return '1440p';
  if (height < 3000) return '2160p';
  if (height <= 4400) return '4320p';
  return null;
}

const QUALITY_WORDS = new Map<string, Quality>([
  ['sd', '480p'],
  ['hd', '720p'],
  ['hdready', '720p'],
  ['fhd', '1080p'],
  ['fullhd', '1080p'],
  ['qhd', '1440p'],
  ['2k', '1440p'],
  ['4k', '2160p'],
  ['uhd', '2160p'],
  ['4kuhd', '2160p'],
  ['uhd4k', '2160p'],
  ['8k', '4320p'],
]);
