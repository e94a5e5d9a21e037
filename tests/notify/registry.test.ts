import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingsJsonSchema } from '../../addon/notify/notifier-config.js';
import { NOTIFIER_KINDS, notifierRegistry } from '../../addon/notify/registry.js';

const KINDS_DIR = path.resolve(import.meta.dirname, '../../addon/notify/kinds');

describe('the notifier registry', () => {
  it('lists every file in notify/kinds/ once, under the file\'s name', () => {
    const files = readdirSync(KINDS_DIR).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, ''));
    expect(NOTIFIER_KINDS.map((k) => k.kind).sort()).toEqual(files.sort());
    expect(notifierRegistry.size).toBe(NOTIFIER_KINDS.length);
  });

  it.each(NOTIFIER_KINDS.map((k) => [k.kind, k] as const))('%s describes itself: a label, secrets that are fields, defaults its schema accepts, a JSON Schema', (_name, kind) => {
    expect(kind.label).toMatch(/\S/);
    const schema = settingsJsonSchema(kind) as { type: string; properties: Record<string, { writeOnly?: boolean; title?: string }> };
    expect(schema.type).toBe('object');
    for (const secret of kind.secrets) expect(schema.properties[secret], secret).toMatchObject({ writeOnly: true });
    for (const [key, property] of Object.entries(schema.properties)) {
      expect(property.title, `${kind.kind}.${key} needs a title for the panel`).toMatch(/\S/);
      if (!kind.secrets.includes(key)) expect(property.writeOnly).toBeUndefined();
    }
    // The defaults are valid values of their fields.
    for (const [key, value] of Object.entries(kind.defaults)) {
      const probe = kind.settings.safeParse({ ...kind.defaults });
      if (!probe.success) expect(probe.error.issues.some((i) => i.path[0] === key)).toBe(false);
      expect(value).not.toBeUndefined();
    }
  });
});
