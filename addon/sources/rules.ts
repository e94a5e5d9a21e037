/**
 * Rules that act on each sync: follow a series, include a group or a title pattern, each with a
 * maximum per sync. Pure: given the sync's fresh items (new or upgraded, not in the library), the
 * downloads to create.
 *
 * Patterns (rules and the source's include/exclude groups) match the whole text, ignoring case,
 * accents and repeated spaces; `*` matches anything: "Filmes | *", "*batman*".
 */
import type { CatalogueItem } from './catalogue.js';
import { workKeyOf } from './catalogue.js';
import { keyTitle } from './identity.js';
import type { Rule } from './model.js';
import { collapseSpaces, fold } from './normalize.js';
import { priorityFor, type Priority, type PriorityRule } from './quality-filter.js';
import { runToEnd, STEP_ITEMS, type Steps } from '../domain/steps.js';

export type Matcher = (text: string | null) => boolean;

/** A whole-text pattern with `*` wildcards, case and accent insensitive. */
export function compilePattern(pattern: string): Matcher {
  const norm = (s: string): string => collapseSpaces(fold(s)).trim();
  const p = norm(pattern);
  if (!p.includes('*')) return (text) => text !== null && norm(text) === p;
  const body = p
    .split(/\*+/)
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const rx = new RegExp(`^${body}$`, 's');
  return (text) => text !== null && rx.test(norm(text));
}

/** Matches any of the patterns, against the whole group-title or any of its `;` parts. */
export function groupMatcher(patterns: readonly string[]): Matcher | null {
  if (patterns.length === 0) return null;
  const matchers = patterns.map(compilePattern);
  const cache = new Map<string, boolean>();
  return (group) => {
    if (group === null) return false;
    let hit = cache.get(group);
    if (hit === undefined) {
      const parts = group.includes(';') ? [group, ...group.split(';')] : [group];
      hit = parts.some((g) => matchers.some((m) => m(g)));
      if (cache.size < 50_000) cache.set(group, hit);
    }
    return hit;
  };
}

export interface RuleMatch {
  rule: Rule;
  item: CatalogueItem;
  priority: Priority;
}

const PRIORITY_RANK: Record<Priority, number> = { high: 0, medium: 1, low: 2 };

function ruleMatcher(rule: Rule): (item: CatalogueItem) => boolean {
  const types = rule.content_types.length > 0 ? new Set(rule.content_types) : null;
  const base = (item: CatalogueItem): boolean => (!types || types.has(item.type)) && (rule.language === null || item.language === rule.language);
  switch (rule.kind) {
    case 'series': {
      const show = keyTitle(rule.value);
      return (item) => (item.type === 'series' || item.type === 'novela') && base(item) && keyTitle(item.title) === show;
    }
    case 'group': {
      const m = groupMatcher([rule.value])!;
      return (item) => base(item) && m(item.group);
    }
    case 'title': {
      const m = compilePattern(rule.value);
      return (item) => base(item) && (m(item.title) || m(item.name));
    }
  }
}

/**
 * What the rules queue from `candidates`: each enabled rule in order takes its matches (one per
 * work: the best accepted quality), highest priority first, then by season and episode, up to
 * its max_per_sync. A work taken by one rule is not taken again by the next. Items outside the
 * preferred quality range ('optional') are never queued automatically.
 */
export function evaluateRules(rules: readonly Rule[], candidates: readonly CatalogueItem[], opts: { now: Date; priority: PriorityRule }): RuleMatch[] {
  return runToEnd(evaluateRulesSteps(rules, candidates, opts));
}

/** evaluateRules as steps (domain/steps.ts): a sync drives it and lets requests in between. */
export function* evaluateRulesSteps(rules: readonly Rule[], candidates: readonly CatalogueItem[], opts: { now: Date; priority: PriorityRule }): Steps<RuleMatch[]> {
  const out: RuleMatch[] = [];
  let step = 0;
  const taken = new Set<string>();
  for (const rule of rules) {
    if (!rule.enabled) continue;
    const match = ruleMatcher(rule);
    const bestByWork = new Map<string, CatalogueItem>();
    for (const item of candidates) {
      if (++step === STEP_ITEMS) {
        step = 0;
        yield;
      }
      if (item.qs === 'optional' || !match(item)) continue;
      const work = workKeyOf(item.key);
      if (taken.has(work)) continue;
      const best = bestByWork.get(work);
      if (!best || better(item, best)) bestByWork.set(work, item);
    }
    const picked = [...bestByWork.values()].map((item) => ({ rule, item, priority: priorityFor({ contentType: item.type, year: item.year }, opts.now, opts.priority) }));
    picked.sort(
      (a, b) =>
        PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] ||
        (a.item.season ?? 0) - (b.item.season ?? 0) ||
        (a.item.episode ?? 0) - (b.item.episode ?? 0),
    );
    for (const m of picked.slice(0, rule.max_per_sync)) {
      taken.add(workKeyOf(m.item.key));
      out.push(m);
    }
  }
  return out;
}

/** Known accepted quality beats unknown; then the higher quality. */
function better(a: CatalogueItem, b: CatalogueItem): boolean {
  const score = (i: CatalogueItem): number => (i.qs === 'unknown' ? 0 : rankFromQuality(i));
  return score(a) > score(b);
}

function rankFromQuality(i: CatalogueItem): number {
  const bar = i.key.lastIndexOf('|');
  return Number(i.key.slice(bar + 1)) || 0;
}
