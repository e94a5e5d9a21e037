import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, type ScalarTag } from 'yaml';
import { newDownloadSchema } from '../../addon/http/validation.js';
import { HA_EVENTS } from '../../addon/notify/homeassistant.js';
import { DEFAULT_BASE_TOPIC, deviceDiscovery } from '../../addon/notify/mqtt/discovery.js';
import { mqttTopics } from '../../addon/notify/mqtt/topics.js';

/**
 * DOCS.md's YAML and the blueprints, loaded as YAML and checked against the code: current syntax
 * (triggers/conditions/actions, `trigger:` and `action:`), event types the app fires, the MQTT
 * command topic it subscribes to (never retained), the REST route and body it accepts, the
 * discovery entity id, and the app's real hostname.
 */
const root = path.resolve(import.meta.dirname, '../..');
const read = (f: string): Promise<string> => readFile(path.join(root, f), 'utf8');

/** Home Assistant's own tags: kept as markers, so checks can see what they point at. */
const haTags: ScalarTag[] = [
  { tag: '!input', resolve: (v: string) => ({ $input: v }) },
  { tag: '!secret', resolve: (v: string) => ({ $secret: v }) },
];
const load = (text: string): any => parse(text, { customTags: haTags }); // eslint-disable-line @typescript-eslint/no-explicit-any

const docs = await read('DOCS.md');
const blocks = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => load(m[1]!));
const automationBp = load(await read('blueprints/automation/m3u_downloader/notify_download_finished.yaml'));
const scriptBp = load(await read('blueprints/script/m3u_downloader/download_url.yaml'));
const manifest = load(await read('config.yaml'));
const repository = load(await read('repository.yaml'));
const topics = mqttTopics(DEFAULT_BASE_TOPIC, 'homeassistant');

/** Every mapping in a parsed document, with the key path that led to it. */
function* mappings(node: unknown, at: string[] = []): Generator<{ at: string[]; value: Record<string, unknown> }> {
  if (Array.isArray(node)) for (const [i, v] of node.entries()) yield* mappings(v, [...at, String(i)]);
  else if (node && typeof node === 'object') {
    yield { at, value: node as Record<string, unknown> };
    for (const [k, v] of Object.entries(node)) yield* mappings(v, [...at, k]);
  }
}

/** Old automation syntax anywhere: `platform:` triggers, `service:` calls, singular section names. */
function deprecatedSyntax(doc: unknown): string[] {
  const problems: string[] = [];
  for (const { at, value } of mappings(doc)) {
    const where = at.join('.');
    if ('service' in value) problems.push(`${where}: "service:" is now "action:"`);
    if ('platform' in value && at.includes('triggers')) problems.push(`${where}: "platform:" in a trigger is now "trigger:"`);
    if (('alias' in value || 'triggers' in value || 'trigger' in value) && ('trigger' in value || 'condition' in value) && Array.isArray(value.trigger ?? value.condition)) {
      problems.push(`${where}: use triggers:/conditions:/actions:`);
    }
    if (Array.isArray(value.action)) problems.push(`${where}: "action:" holding a list is now "actions:"`);
  }
  return problems;
}

const actionsOf = (doc: unknown, name: string) => [...mappings(doc)].map((m) => m.value).filter((v) => v.action === name);
const eventTypes = (doc: unknown) => [...mappings(doc)].map((m) => m.value).filter((v) => v.trigger === 'event').map((v) => v.event_type);

describe("DOCS.md's Home Assistant YAML", () => {
  it('parses, block by block, in the current syntax', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    expect(blocks.flatMap(deprecatedSyntax)).toEqual([]);
    for (const b of blocks) for (const a of b.automation ?? []) expect(Object.keys(a)).toEqual(expect.arrayContaining(['alias', 'triggers', 'actions']));
  });

  it('uses only the events the app fires', () => {
    const used = blocks.flatMap(eventTypes);
    expect(used).toEqual(expect.arrayContaining([HA_EVENTS.completed, HA_EVENTS.failed]));
    expect(used.filter((e) => !(Object.values(HA_EVENTS) as string[]).includes(String(e)))).toEqual([]);
    for (const e of [HA_EVENTS.completed, HA_EVENTS.failed, HA_EVENTS.syncCompleted]) expect(docs).toContain(`\`${e}\``);
  });

  it('rest_command: the real hostname and port, the downloads route, a body POST /api/downloads accepts', () => {
    const slug = String(manifest.slug).replace(/_/g, '-');
    const repoId = createHash('sha1').update(String(repository.url).toLowerCase()).digest('hex').slice(0, 8);
    const rest = blocks.find((b) => b.rest_command)?.rest_command.m3u_download;
    expect(rest).toMatchObject({ url: `http://local-${slug}:${manifest.ingress_port}/api/downloads`, method: 'POST', content_type: 'application/json', headers: { authorization: { $secret: 'm3u_downloader_bearer' } } });
    expect(docs).toContain(`http://${repoId}-${slug}:${manifest.ingress_port}/api/downloads`);
    // The template's keys are fields of the request schema; a filled-in body passes it.
    const keys = [...String(rest.payload).matchAll(/"(\w+)":/g)].map((m) => m[1]!);
    expect(keys).toEqual(['url', 'title', 'quality']);
    expect(newDownloadSchema.safeParse({ url: 'https://example.com/a.m3u8', title: '', quality: 'best' }).success).toBe(true);
    const call = actionsOf(blocks, 'rest_command.m3u_download')[0]!;
    expect(newDownloadSchema.safeParse({ ...(call.data as object), title: 'Evening news 2026-12-06' }).success).toBe(true);
  });

  it('mqtt.publish: the command topic the app subscribes to, never retained, a payload it accepts', () => {
    const publishes = actionsOf(blocks, 'mqtt.publish');
    expect(publishes.length).toBeGreaterThan(0);
    // Every command topic the app subscribes to (download/add, record), never retained.
    for (const p of publishes) {
      expect(p.data).toMatchObject({ retain: false });
      expect([topics.add, topics.record]).toContain((p.data as { topic: string }).topic);
    }
    expect(String((publishes[0]!.data as { payload: string }).payload)).toMatch(/\| to_json/);
  });

  it('the "Download URL" text entity id is the one discovery announces', () => {
    const cmps = deviceDiscovery({ topics, version: '1' }).payload.cmps as Record<string, { default_entity_id: string; name: string; p: string }>;
    const entity = cmps.download_url!;
    expect(entity).toMatchObject({ p: 'text', name: 'Download URL' });
    const set = actionsOf(blocks, 'text.set_value')[0]!;
    expect(set.target).toEqual({ entity_id: entity.default_entity_id });
    expect(docs).toContain(`\`${entity.default_entity_id}\``);
  });
});

describe('blueprints', () => {
  /** Every `!input x` used in the body, and the inputs the blueprint declares. */
  const inputsUsed = (bp: Record<string, unknown>): string[] =>
    [...new Set([...mappings({ ...bp, blueprint: undefined })].flatMap((m) => Object.values(m.value)).filter((v): v is { $input: string } => !!v && typeof v === 'object' && '$input' in v).map((v) => v.$input))].sort();

  it('automation: notify a phone on completed and failed, every input declared and used', () => {
    const meta = automationBp.blueprint;
    expect(meta).toMatchObject({ domain: 'automation', name: expect.any(String), source_url: expect.stringContaining('blueprints/automation/m3u_downloader/notify_download_finished.yaml') });
    expect(Object.keys(meta.input).sort()).toEqual(['notify_completed', 'notify_device', 'notify_failed']);
    expect(inputsUsed(automationBp)).toEqual(Object.keys(meta.input).sort());
    expect(meta.input.notify_device.selector.device.filter).toEqual([{ integration: 'mobile_app' }]);
    expect(eventTypes(automationBp).sort()).toEqual([HA_EVENTS.completed, HA_EVENTS.failed].sort());
    expect(deprecatedSyntax(automationBp)).toEqual([]);
    expect(automationBp.actions[0]).toMatchObject({ domain: 'mobile_app', type: 'notify', device_id: { $input: 'notify_device' } });
    // The fields the message reads exist in the event data.
    expect(automationBp.actions[0].message).toMatch(/trigger\.event\.data\.title/);
    expect(automationBp.actions[0].message).toMatch(/trigger\.event\.data\.error/);
  });

  it('script: download a URL with a title and a quality over the MQTT command topic, never retained', () => {
    const meta = scriptBp.blueprint;
    expect(meta).toMatchObject({ domain: 'script', source_url: expect.stringContaining('blueprints/script/m3u_downloader/download_url.yaml') });
    expect(Object.keys(meta.input)).toEqual(['base_topic']);
    expect(meta.input.base_topic.default).toBe(DEFAULT_BASE_TOPIC);
    expect(inputsUsed(scriptBp)).toEqual(['base_topic']);
    expect(Object.keys(scriptBp.fields)).toEqual(['url', 'title', 'quality']);
    expect(scriptBp.fields.url.required).toBe(true);
    // Every quality offered is one the downloads schema accepts.
    for (const q of scriptBp.fields.quality.selector.select.options as string[]) expect(newDownloadSchema.safeParse({ url: 'https://e.x/a', quality: q }).success, q).toBe(true);
    const [publish] = scriptBp.sequence;
    expect(publish.action).toBe('mqtt.publish');
    expect(publish.data.retain).toBe(false);
    // The topic template with the default base topic is the app's add topic.
    expect(String(publish.data.topic).replace('{{ base_topic }}', meta.input.base_topic.default)).toBe(topics.add);
    expect(publish.data.payload).toMatch(/'url': url, 'title': title .*'quality': quality .*\| to_json/);
    expect(deprecatedSyntax(scriptBp)).toEqual([]);
  });
});
