import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { badRequest, notFound } from '../errors.js';
import type { Job } from '../jobs/model.js';
import type { Logger } from '../platform/logger.js';
import { normaliseName, type Channel } from './channels.js';
import type { GuideProgramme } from './epg/guide-service.js';

/** "Record every airing of <title> on <channel>". */
export interface SeriesRule {
  id: string;
  channel_id: string;
  channel_name: string;
  title: string;
  created_at: string;
  /** Programme keys (`<channel id>@<start ms>`) this rule has queued, so none is queued twice. */
  queued: string[];
}

/** How far ahead airings are queued (the guide itself holds 14 days). */
export const RULE_HORIZON_MS = 7 * 24 * 3600_000;

const programmeKey = (p: GuideProgramme): string => `${p.channel_id}@${p.start}`;

/**
 * The airings a rule should queue now: its title on its channel, starting from now on within the
 * horizon, not queued before, and not an episode the library has (a completed job of the same
 * show, season and episode) or that is already on its way (a job of it not failed or cancelled).
 * Airings without an episode number are told apart by their start. Pure.
 */
export function airingsToQueue(rule: SeriesRule, programmes: readonly GuideProgramme[], jobs: readonly Job[], now: number): GuideProgramme[] {
  const title = normaliseName(rule.title);
  const queued = new Set(rule.queued);
  const have = new Set<string>();
  for (const j of jobs) {
    if (j.status === 'failed' || j.status === 'cancelled' || j.episode == null) continue;
    have.add(`${normaliseName(j.show ?? j.title)}|${j.season ?? 1}|${j.episode}`);
  }
  const out: GuideProgramme[] = [];
  for (const p of programmes) {
    if (p.channel_id !== rule.channel_id || normaliseName(p.title) !== title) continue;
    if (p.start < now || p.start > now + RULE_HORIZON_MS || queued.has(programmeKey(p))) continue;
    if (p.episode !== null) {
      const key = `${title}|${p.season ?? 1}|${p.episode}`;
      if (have.has(key)) continue;
      have.add(key); // a repeat of the same episode later in the week is skipped too
    }
    out.push(p);
  }
  return out;
}

export interface SeriesRuleDeps {
  dir: string;
  logger: Logger;
  channels(): Promise<Channel[]>;
  programmes(channel: Channel, from: number, to: number): Promise<GuideProgramme[]>;
  jobs(): readonly Job[];
  recordProgramme(channelId: string, start: number): Promise<Job>;
  now(): number;
}

/**
 * Series recordings: the rules (one JSON file, `<data>/recording-rules.json`, the only code
 * touching it) and their evaluation after each guide refresh and when a rule is added.
 */
export class SeriesRules {
  private rules: SeriesRule[] | null = null;

  constructor(private readonly deps: SeriesRuleDeps) {}

  private get file(): string {
    return path.join(this.deps.dir, 'recording-rules.json');
  }

  async list(): Promise<SeriesRule[]> {
    if (this.rules === null) {
      try {
        this.rules = JSON.parse(await readFile(this.file, 'utf8')) as SeriesRule[];
      } catch {
        this.rules = [];
      }
    }
    return this.rules;
  }

  private async save(): Promise<void> {
    await mkdir(this.deps.dir, { recursive: true });
    await writeFile(`${this.file}.tmp`, JSON.stringify(this.rules ?? []));
    await rename(`${this.file}.tmp`, this.file);
  }

  async add(input: { channel_id: string; title: string }): Promise<{ rule: SeriesRule; queued: Job[] }> {
    const channel = (await this.deps.channels()).find((c) => c.id === input.channel_id);
    if (!channel) throw notFound(`channel ${input.channel_id}`);
    const title = input.title.trim();
    if (!title) throw badRequest('title: is required', 'title');
    const rules = await this.list();
    const existing = rules.find((r) => r.channel_id === channel.id && normaliseName(r.title) === normaliseName(title));
    const rule = existing ?? { id: randomUUID(), channel_id: channel.id, channel_name: channel.name, title, created_at: new Date(this.deps.now()).toISOString(), queued: [] };
    if (!existing) rules.push(rule);
    await this.save();
    const queued = await this.evaluate([rule]);
    return { rule, queued };
  }

  async remove(id: string): Promise<void> {
    const rules = await this.list();
    const i = rules.findIndex((r) => r.id === id);
    if (i < 0) throw notFound(`recording rule ${id}`);
    rules.splice(i, 1);
    await this.save();
  }

  /** Queues what the rules (all, or `only`) should record now; a failure of one airing is logged. */
  async evaluate(only?: SeriesRule[]): Promise<Job[]> {
    const rules = only ?? (await this.list());
    if (rules.length === 0) return [];
    const channels = await this.deps.channels();
    const now = this.deps.now();
    const created: Job[] = [];
    for (const rule of rules) {
      const channel = channels.find((c) => c.id === rule.channel_id);
      if (!channel) continue;
      const programmes = await this.deps.programmes(channel, now, now + RULE_HORIZON_MS);
      for (const p of airingsToQueue(rule, programmes, this.deps.jobs(), now)) {
        try {
          created.push(await this.deps.recordProgramme(channel.id, p.start));
          rule.queued.push(programmeKey(p));
        } catch (err) {
          this.deps.logger.warn({ rule: rule.id, start: new Date(p.start).toISOString(), err: String(err) }, 'a series recording could not be queued');
        }
      }
      // Keep the keys of airings still to come (and a few past ones): the file stays small.
      rule.queued = rule.queued.filter((k) => Number(k.slice(k.lastIndexOf('@') + 1)) > now - 24 * 3600_000);
    }
    await this.save();
    if (created.length > 0) this.deps.logger.info({ count: created.length }, 'series recordings queued');
    return created;
  }
}
