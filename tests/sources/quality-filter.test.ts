import { describe, expect, it } from 'vitest';
import {
  DEFAULT_QUALITY_FILTER,
  isUpgrade,
  judgeQuality,
  pickBest,
  priorityFor,
  resolveQualityFilter,
} from '../../addon/sources/quality-filter.js';
import { qualityFromHeight, qualityFromToken, qualityRank, type Quality } from '../../addon/sources/quality.js';

describe('quality words', () => {
  it.each([
    ['480p', '480p', true],
    ['576p', '480p', true],
    ['720p', '720p', true],
    ['1080i', '1080p', true],
    ['2160p', '2160p', true],
    ['sd', '480p', false],
    ['hd', '720p', false],
    ['fhd', '1080p', false],
    ['fullhd', '1080p', false],
    ['4k', '2160p', false],
    ['uhd', '2160p', false],
    ['8k', '4320p', false],
    ['360p', '360p', true],
  ] as const)('%s -> %s', (token, quality, explicit) => {
    expect(qualityFromToken(token)).toEqual({ quality, explicit });
  });

  it('rejects non-quality tokens', () => {
    for (const t of ['hdr', '1080', 'p', '99999p', 'dublado', '2019']) expect(qualityFromToken(t)).toBeNull();
  });

  it('ranks and maps heights', () => {
    expect(qualityRank(null)).toBe(0);
    expect(qualityRank('480p')).toBeLessThan(qualityRank('720p'));
    expect(qualityRank('2160p')).toBe(7);
    expect(qualityFromHeight(1088)).toBe('1080p');
    expect(qualityFromHeight(50)).toBeNull();
  });
});

describe('judgeQuality with the default filter (480p..1080p preferred, above 4K rejected)', () => {
  it.each([
    ['240p', 'rejected', 'below-min'],
    ['360p', 'rejected', 'below-min'],
    ['480p', 'accepted', 'in-range'],
    ['720p', 'accepted', 'in-range'],
    ['1080p', 'accepted', 'in-range'],
    ['1440p', 'optional', 'above-max'],
    ['2160p', 'optional', 'above-max'],
    ['4320p', 'rejected', 'above-ceiling'],
    [null, 'unknown', 'unknown-quality'],
  ] as const)('%s -> %s', (q, status, reason) => {
    const v = judgeQuality(q as Quality | null);
    expect(v).toEqual({ status, reason, accepted: status === 'accepted' || status === 'unknown' });
  });

  it('is configurable per source', () => {
    const with4k = resolveQualityFilter({ max: '2160p' });
    expect(judgeQuality('2160p', with4k).status).toBe('accepted');
    const strict = resolveQualityFilter({ min: '720p', acceptUnknown: false });
    expect(judgeQuality('480p', strict).status).toBe('rejected');
    expect(judgeQuality(null, strict)).toEqual({ status: 'rejected', accepted: false, reason: 'unknown-quality' });
    expect(resolveQualityFilter({ max: '4320p' }).ceiling).toBe('4320p');
    expect(resolveQualityFilter({})).toEqual(DEFAULT_QUALITY_FILTER);
    expect(resolveQualityFilter({ min: undefined })).toEqual(DEFAULT_QUALITY_FILTER);
  });

  it('refuses inverted ranges', () => {
    expect(() => resolveQualityFilter({ min: '1080p', max: '720p' })).toThrow(RangeError);
    expect(() => resolveQualityFilter({ max: '2160p', ceiling: '1080p' })).toThrow(RangeError);
  });
});

describe('upgrades and best variant', () => {
  it.each([
    ['720p', '1080p', true],
    [null, '720p', true],
    ['1080p', '1080p', false],
    ['1080p', '720p', false],
    ['1080p', '2160p', false], // above the preferred max: optional, never an automatic upgrade
    ['720p', null, false],
    ['360p', '480p', true],
  ] as const)('%s -> %s: %s', (from, to, expected) => {
    expect(isUpgrade(from as Quality | null, to as Quality | null)).toBe(expected);
  });

  it('upgrades to 4K when the source accepts it', () => {
    expect(isUpgrade('1080p', '2160p', resolveQualityFilter({ max: '2160p' }))).toBe(true);
  });

  it('picks the best accepted variant', () => {
    const variants = [
      { id: 'a', quality: '720p' as Quality },
      { id: 'b', quality: '2160p' as Quality },
      { id: 'c', quality: null },
      { id: 'd', quality: '1080p' as Quality },
      { id: 'e', quality: '360p' as Quality },
    ];
    expect(pickBest(variants)?.id).toBe('d');
    expect(pickBest([{ id: 'x', quality: null }])?.id).toBe('x');
    expect(pickBest([{ id: 'y', quality: '4320p' as Quality }])).toBeNull();
  });
});

describe('priority', () => {
  const now = new Date('2026-06-15T12:00:00Z');
  it.each([
    ['movie', 2026, 'high'],
    ['movie', 2025, 'high'],
    ['movie', 2024, 'high'],
    ['movie', 2023, 'medium'],
    ['movie', 2021, 'medium'],
    ['movie', 2020, 'low'],
    ['movie', 1994, 'low'],
    ['movie', null, 'medium'],
    ['series', 2026, 'medium'],
    ['series', null, 'medium'],
    ['novela', 2012, 'low'],
    ['novela', 2024, 'medium'],
    ['live', null, 'low'],
    ['other', 2026, 'low'],
  ] as const)('%s %s -> %s', (contentType, year, expected) => {
    expect(priorityFor({ contentType, year }, now)).toBe(expected);
  });

  it('takes an overriding rule', () => {
    expect(priorityFor({ contentType: 'movie', year: 2023 }, now, { highMaxAgeYears: 3, lowMinAgeYears: 10 })).toBe('high');
    expect(priorityFor({ contentType: 'movie', year: 2016 }, now, { highMaxAgeYears: 3, lowMinAgeYears: 10 })).toBe('medium');
  });
});
