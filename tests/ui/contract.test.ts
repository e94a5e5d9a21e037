import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTENT_TYPES, JOB_STATUSES, PRIORITIES } from '../../addon/jobs/model.js';
import * as ui from '../../ui/src/lib/types.js';
import { ITEM_TYPES, RULE_KINDS } from '../../addon/sources/model.js';
import { QUALITIES } from '../../addon/sources/quality.js';
import { ROOT } from './harness.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|svelte)$/.test(name) ? [p] : [];
  });
}

describe('the panel and the backend contract', () => {
  it('imports nothing but types from the backend', () => {
    const offenders: string[] = [];
    for (const file of files(path.join(ROOT, 'ui/src'))) {
      const text = readFileSync(file, 'utf8');
      // Every import or re-export statement whose module path reaches into addon/.
      for (const m of text.matchAll(/^\s*(import|export)\b([^;]*?)\bfrom\s+['"]([^'"]+)['"]/gms)) {
        const [, kind, clause, spec] = m;
        if (!spec!.includes('addon/')) continue;
        if (!new RegExp(`^\\s*${kind}\\s+type\\b`).test(m[0])) offenders.push(`${path.relative(ROOT, file)}: ${kind}${clause}from '${spec}'`);
      }
      for (const m of text.matchAll(/import\(\s*['"]([^'"]*addon\/[^'"]*)['"]\s*\)(?!\.)/g)) {
        // import('…') is fine only inside a type position (followed by a property access like ).Foo).
        if (!/import\([^)]*\)\.\w+/.test(m[0] + text.slice((m.index ?? 0) + m[0].length, (m.index ?? 0) + m[0].length + 2))) offenders.push(`${path.relative(ROOT, file)}: ${m[0]}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('copies the backend enums exactly', () => {
    expect(ui.JOB_STATUSES).toEqual(JOB_STATUSES);
    expect(ui.PRIORITIES).toEqual(PRIORITIES);
    expect(ui.CONTENT_TYPES).toEqual(CONTENT_TYPES);
    expect(ui.QUALITIES).toEqual(QUALITIES);
    expect(ui.ITEM_TYPES).toEqual(ITEM_TYPES);
    expect(ui.RULE_KINDS).toEqual(RULE_KINDS);
  });

  it('never builds an absolute URL that would escape an ingress prefix', () => {
    const offenders: string[] = [];
    for (const file of files(path.join(ROOT, 'ui/src'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:fetch|EventSource|api\.(?:get|post|put|patch|del)|request(?:<[^>]*>)?)\(\s*[`'"](\/[^`'"]*)/g)) offenders.push(`${path.relative(ROOT, file)}: ${m[0]}`);
      for (const m of text.matchAll(/(?:href|src)=["'](\/[^"']*)["']/g)) offenders.push(`${path.relative(ROOT, file)}: ${m[0]}`);
    }
    expect(offenders).toEqual([]);
  });
});
