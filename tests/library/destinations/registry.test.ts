import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildRegistry } from '../../../addon/domain/provider.js';
import { destinationProblems } from '../../../addon/library/destination-schema.js';
import { defineDestinationKind, type DestinationKindDef } from '../../../addon/library/destinations/kind.js';
import { localKind } from '../../../addon/library/destinations/local.js';
import {
  DESTINATION_KIND_LIST,
  createDestination,
  describeKinds,
  fieldKinds,
  kindFields,
  secretFields,
} from '../../../addon/library/destinations/registry.js';
import { createLogger } from '../../../addon/platform/logger.js';

const deps = { logger: createLogger('silent') };

/** A kind defined the way a new one would be: its file, nothing else. */
const memoryKind = defineDestinationKind({
  kind: 'memory',
  label: 'Memory',
  help: 'Keeps files in memory (a test kind).',
  settings: z.object({ bucket: z.string({ error: 'is required for memory destinations' }).min(1), token: z.string().min(1).optional() }),
  secrets: ['token'],
  defaults: {},
  create: (settings, ctx) => ({ id: ctx.destination.id, kind: 'memory', bucket: settings.bucket }) as never,
});
const withMemory = [...DESTINATION_KIND_LIST, memoryKind as unknown as DestinationKindDef];

describe('destination kind registry', () => {
  it('refuses a duplicate kind at start', () => {
    expect(() => buildRegistry([...DESTINATION_KIND_LIST, localKind])).toThrow('duplicate provider kind "local"');
  });

  it.each(DESTINATION_KIND_LIST.map((def) => [def.kind, def] as const))('%s: its secrets are its own fields, marked writeOnly in the served schema', (kind, def) => {
    const described = describeKinds().find((k) => k.kind === kind)!;
    const properties = (described.schema as { properties: Record<string, { writeOnly?: boolean }> }).properties;
    expect(Object.keys(properties)).toEqual(kindFields(def));
    for (const secret of def.secrets as readonly string[]) {
      expect(kindFields(def)).toContain(secret);
      expect(properties[secret]?.writeOnly).toBe(true);
    }
    // Every field that is not a secret is not marked writeOnly (the panel shows it back).
    for (const field of kindFields(def).filter((f) => !(def.secrets as readonly string[]).includes(f))) expect(properties[field]?.writeOnly).toBeUndefined();
  });

  it.each([
    ['host', ['smb', 'sftp', 'rsync']],
    ['share', ['smb']],
    ['transport', ['rsync']],
    ['host_key_fingerprint', ['sftp', 'rsync']],
    ['private_key', ['sftp', 'rsync']],
    ['base_path', ['local', 'smb', 'sftp', 'rsync']],
  ])('%s is a field of %j', (field, kinds) => {
    expect(fieldKinds().get(field)).toEqual(kinds);
  });

  it('every secret of every kind is redacted', () => {
    expect(secretFields()).toEqual(['password', 'private_key', 'private_key_passphrase']);
  });

  it('a new kind is one object: its fields, secrets, rules and listing follow from it', () => {
    expect(fieldKinds(withMemory).get('bucket')).toEqual(['memory']);
    expect(secretFields(withMemory)).toContain('token');
    const listed = describeKinds(withMemory).at(-1)!;
    expect(listed).toMatchObject({ kind: 'memory', label: 'Memory', secrets: ['token'] });
    expect(listed.schema).toMatchObject({ type: 'object', required: ['bucket'], properties: { bucket: { type: 'string' } } });
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['smb without host', { kind: 'smb', share: 'media', base_path: '' }, 'host', /is required for smb destinations/],
    ['a share on sftp', { kind: 'sftp', host: 'h', username: 'u', password: 'p', share: 'x', base_path: '' }, 'share', /is not used by sftp destinations \(only smb\)/],
    ['rsync over ssh needs no module', { kind: 'rsync', host: 'h', transport: 'ssh', base_path: '' }, '', /^$/],
    ['.. in an sftp folder', { kind: 'sftp', host: 'h', username: 'u', password: 'p', base_path: 'a/../b' }, 'base_path', /must not contain \.\./],
  ])('whole-destination rules: %s', (_what, destination, field, message) => {
    const { problems } = destinationProblems(destination as { kind: string });
    if (!field) return expect(problems).toEqual([]);
    expect(problems[0]).toMatchObject({ field });
    expect(problems[0]!.message).toMatch(message);
  });

  it('passes the kind its own settings with defaults, and the common ones beside', () => {
    const rsync = createDestination({ id: 'r', name: 'R', kind: 'rsync', host: 'nas', base_path: 'module', bandwidth_limit_kbps: 100 }, deps);
    expect(rsync.describe()).toMatch(/^rsync:\/\/nas/);
  });
});
