/**
 * Which qualities a source accepts, what counts as an upgrade, and download priority. Pure.
 *
 * Two ranges, because "accept 480p to 1080p" and "reject above 4K" are different limits:
 *   - preferred range [min, max] (default 480p..1080p): accepted, queued by rules, upgrade targets;
 *   - hard limits: below `min` is rejected; above `ceiling` (default 2160p, i.e. above 4K: 8K)
 *     is rejected; between `max` and `ceiling` (1440p, 4K by default) is 'optional': listed and
 *     selectable by hand, but not accepted automatically and never counted as an upgrade.
 *   - unknown quality is accepted but marked ('unknown'), unless `acceptUnknown` is false.
 */

import { qualityRank, type Quality } from './quality.js';
import type { EntryType } from '../domain/content.js';

export interface QualityFilterConfig {
  /** Lowest accepted quality; anything below is rejected. Default 480p. */
  min: Quality;
  /** Highest preferred quality. Default 1080p. */
  max: Quality;
  /** Highest quality listed at all; anything above is rejected. Default 2160p (4K). */
  ceiling: Quality;
  /** Accept entries whose quality is unknown (marked 'unknown'). Default true. */
  acceptUnknown: boolean;
}

export const DEFAULT_QUALITY_FILTER: Readonly<QualityFilterConfig> = Object.freeze({
  min: '480p',
  max: '1080p',
  ceiling: '2160p',
  acceptUnknown: true,
});

export type QualityStatus = 'accepted' | 'unknown' | 'optional' | 'rejected';

export interface QualityVerdict {
  status: QualityStatus;
  /** accepted or unknown (and acceptUnknown): counts as accepted, may be queued by rules. */
  accepted: boolean;
  /** Why, for the UI and sync reports. */
  reason: 'in-range' | 'unknown-quality' | 'below-min' | 'above-max' | 'above-ceiling';
}

/** Fill defaults and check the order min <= max <= ceiling. Throws RangeError on a bad config. */
export function resolveQualityFilter(partial: Partial<QualityFilterConfig> = {}): QualityFilterConfig {
  const cfg: QualityFilterConfig = { ...DEFAULT_QUALITY_FILTER, ...stripUndefined(partial) };
  if (partial.max && !partial.ceiling && qualityRank(cfg.max) > qualityRank(cfg.ceiling)) cfg.ceiling = cfg.max;
  if (qualityRank(cfg.min) > qualityRank(cfg.max)) {
    throw new RangeError(`quality filter: min ${cfg.min} is above max ${cfg.max}`);
  }
  if (qualityRank(cfg.max) > qualityRank(cfg.ceiling)) {
    throw new RangeError(`quality filter: max ${cfg.max} is above ceiling ${cfg.ceiling}`);
  }
  return cfg;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

export function judgeQuality(quality: Quality | null, cfg: QualityFilterConfig = DEFAULT_QUALITY_FILTER): QualityVerdict {
  if (quality === null) {
    return { status: cfg.acceptUnknown ? 'unknown' : 'rejected', accepted: cfg.acceptUnknown, reason: 'unknown-quality' };
  }
  const r = qualityRank(quality);
  if (r < qualityRank(cfg.min)) return { status: 'rejected', accepted: false, reason: 'below-min' };
  if (r > qualityRank(cfg.ceiling)) return { status: 'rejected', accepted: false, reason: 'above-ceiling' };
  if (r > qualityRank(cfg.max)) return { status: 'optional', accepted: false, reason: 'above-max' };
  return { status: 'accepted', accepted: true, reason: 'in-range' };
}

/**
 * Radarr/Sonarr's rule: an upgrade is the same work and language variant (the caller matches
 * those) in a strictly higher quality that is itself accepted with a known quality. From unknown
 * to a known accepted quality is an upgrade too.
 */
export function isUpgrade(
  current: Quality | null,
  candidate: Quality | null,
  cfg: QualityFilterConfig = DEFAULT_QUALITY_FILTER,
): boolean {
  if (candidate === null) return false;
  if (judgeQuality(candidate, cfg).status !== 'accepted') return false;
  return qualityRank(candidate) > qualityRank(current);
}

/** Of several variants of one work, the best accepted one (highest known quality first). */
export function pickBest<T extends { quality: Quality | null }>(
  variants: readonly T[],
  cfg: QualityFilterConfig = DEFAULT_QUALITY_FILTER,
): T | null {
  let best: T | null = null;
  let bestScore = -1;
  for (const v of variants) {
    const verdict = judgeQuality(v.quality, cfg);
    if (!verdict.accepted) continue;
    const score = verdict.status === 'unknown' ? 0 : qualityRank(v.quality);
    if (score > bestScore) {
      best = v;
      bestScore = score;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Priority

export type Priority = 'high' | 'medium' | 'low';

export interface PriorityRule {
  /** Movies released this many years ago or less are high. Default 2 (in 2026: 2024..2026). */
  highMaxAgeYears: number;
  /** Content released more than this many years ago is low. Default 5 (in 2026: 2020 and older). */
  lowMinAgeYears: number;
}

export const DEFAULT_PRIORITY_RULE: Readonly<PriorityRule> = Object.freeze({ highMaxAgeYears: 2, lowMinAgeYears: 5 });

/**
 * The seed design's rule: high for movies from the last 2 years, medium for series, novelas and
 * older movies, low for content over 5 years old. Unknown years are medium; live channels and
 * other entries are low (they are not VOD downloads).
 */
export function priorityFor(
  item: { contentType: EntryType; year: number | null },
  now: Date,
  rule: PriorityRule = DEFAULT_PRIORITY_RULE,
): Priority {
  if (item.contentType === 'live' || item.contentType === 'other') return 'low';
  const thisYear = now.getUTCFullYear();
  if (item.year !== null) {
    const age = thisYear - item.year;
    if (age > rule.lowMinAgeYears) return 'low';
    if (item.contentType === 'movie' && age <= rule.highMaxAgeYears) return 'high';
  }
  return 'medium';
}
