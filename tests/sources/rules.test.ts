import { describe, expect, it } from 'vitest';
import type { CatalogueItem } from '../../addon/sources/catalogue.js';
import type { Rule } from '../../addon/sources/model.js';
import { compilePattern, evaluateRules, groupMatcher } from '../../addon/sources/rules.js';

let nextId = 1;
function item(p: Partial<CatalogueItem> & { title: string }): CatalogueItem {
  const type = p.type ?? 'movie';
  const rank = p.quality === '1080p' ? 5 : p.quality === '720p' ? 4 : p.quality === '2160p' ? 7 : 0;
  const work = type === 'movie' ? `m:${p.title.toLowerCase()}:${p.year ?? '?'}` : `s:${p.title.toLowerCase()}:S${p.season ?? 1}E${p.episode}`;
  return {
    id: nextId++,
    key: `${work}|${p.language ?? '-'}|${rank}`,
    name: p.name ?? p.title,
    year: null,
    season: null,
    episode: null,
    episode_title: null,
    quality: null,
    qs: 'accepted',
    language: null,
    group: null,
    url: 'http://x/1.mp4',
    headers: null,
    logo: null,
    tmdb: null,
    sid: null,
    series_ref: null,
    added: 1,
    upgraded: 0,
    url_changed: 0,
    removed: 0,
    meta: null,
    ...p,
    type,
  };
}

const rule = (p: Partial<Rule> & Pick<Rule, 'kind' | 'value'>): Rule => ({
  id: p.value,
  name: '',
  enabled: true,
  content_types: [],
  language: null,
  max_per_sync: 10,
  dry_run: false,
  ...p,
});

const NOW = new Date('2026-03-01T00:00:00Z');
const PRIO = { highMaxAgeYears: 2, lowMinAgeYears: 5 };

describe('patterns', () => {
  it.each([
    ['Filmes | Ação', 'filmes | acao', true],
    ['Filmes | *', 'FILMES | Terror', true],
    ['Filmes | *', 'Séries | Netflix', false],
    ['*batman*', 'The Batman (2022)', true],
    ['batman', 'The Batman', false],
    ['Séries   |  Netflix', 'series | netflix', true],
    ['a.b(c)', 'a.b(c)', true],
    ['a.b(c)', 'axb(c)', false],
  ])('%s ~ %s -> %s', (pattern, text, hit) => {
    expect(compilePattern(pattern)(text)).toBe(hit);
  });

  it('matches a Kodi group list by any part', () => {
    const m = groupMatcher(['Netflix'])!;
    expect(m('Séries;Netflix')).toBe(true);
    expect(m(null)).toBe(false);
    expect(groupMatcher([])).toBeNull();
  });
});

describe('evaluateRules', () => {
  const episodes = [3, 1, 2].map((e) => item({ title: 'Round 6', type: 'series', season: 2, episode: e, quality: '1080p' }));
  const movies = [
    item({ title: 'Duna Parte Dois', year: 2024, quality: '720p', group: 'Filmes | Lançamentos' }),
    item({ title: 'Duna Parte Dois', year: 2024, quality: '1080p', group: 'Filmes | Lançamentos' }),
    item({ title: 'Tubarão', year: 1975, group: 'Filmes | Lançamentos' }),
    item({ title: 'Oppenheimer', year: 2023, quality: '2160p', qs: 'optional', group: 'Filmes | Lançamentos' }),
  ];

  it('follows a series: its episodes in order', () => {
    const out = evaluateRules([rule({ kind: 'series', value: 'round 6' })], [...episodes, ...movies], { now: NOW, priority: PRIO });
    expect(out.map((m) => m.item.episode)).toEqual([1, 2, 3]);
    expect(out.every((m) => m.priority === 'medium')).toBe(true);
  });

  it('a group rule: one download per work (the best quality), highest priority first, never an optional 4K', () => {
    const out = evaluateRules([rule({ kind: 'group', value: 'Filmes | *' })], movies, { now: NOW, priority: PRIO });
    expect(out.map((m) => [m.item.title, m.item.quality, m.priority])).toEqual([
      ['Duna Parte Dois', '1080p', 'high'],
      ['Tubarão', null, 'low'],
    ]);
  });

  it('max per sync, language, content types, disabled rules, and a work taken once across rules', () => {
    const dubbed = item({ title: 'Coringa', year: 2019, language: 'dubbed', group: 'Filmes' });
    const subbed = item({ title: 'Coringa', year: 2019, language: 'subtitled', group: 'Filmes' });
    const all = [...episodes, ...movies, dubbed, subbed];
    expect(evaluateRules([rule({ kind: 'series', value: 'Round 6', max_per_sync: 2 })], all, { now: NOW, priority: PRIO })).toHaveLength(2);
    expect(evaluateRules([rule({ kind: 'title', value: 'coringa', language: 'subtitled' })], all, { now: NOW, priority: PRIO }).map((m) => m.item)).toEqual([subbed]);
    expect(evaluateRules([rule({ kind: 'title', value: '*', content_types: ['series'] })], all, { now: NOW, priority: PRIO })).toHaveLength(3);
    expect(evaluateRules([rule({ kind: 'title', value: '*', enabled: false })], all, { now: NOW, priority: PRIO })).toHaveLength(0);
    const two = evaluateRules([rule({ kind: 'title', value: 'Duna*' }), rule({ kind: 'group', value: 'Filmes | Lançamentos' })], all, { now: NOW, priority: PRIO });
    expect(two.map((m) => [m.rule.value, m.item.title])).toEqual([
      ['Duna*', 'Duna Parte Dois'],
      ['Filmes | Lançamentos', 'Tubarão'],
    ]);
  });
});
