import { badRequest, notFound } from '../errors.js';
import type { Job, NewJob } from '../jobs/model.js';
import { normaliseName, type Channel } from './channels.js';
import type { GuideProgramme } from './epg/guide-service.js';
import type { LiveRequest } from './model.js';
import type { RecordCommand } from './request.js';

/** What the `record` command needs from the rest of the app (wired in app.ts). */
export interface RecordCommandDeps {
  createJob(input: NewJob): Job;
  channels(): Promise<Channel[]>;
  recordChannel(id: string, request: { live?: LiveRequest; title?: string; programme?: { start: string } }): Promise<Job>;
  guide(channel: Channel, from: number, to: number): Promise<GuideProgramme[]>;
  now(): number;
}

/** A channel by id, tvg-id (case-insensitive) or name (normalised); several of one name: the first. */
export function findChannel(channels: readonly Channel[], ref: string): Channel | undefined {
  const key = ref.trim();
  const lower = key.toLowerCase();
  const name = normaliseName(key);
  return channels.find((c) => c.id === key) ?? channels.find((c) => c.tvg_id?.toLowerCase() === lower) ?? channels.find((c) => normaliseName(c.name) === name);
}

/**
 * MQTT `record` (and any other automation entry point): a URL records with the times given; a
 * channel records now, between times, or one programme (a title airing now or next, or a start).
 */
export async function runRecordCommand(cmd: RecordCommand, deps: RecordCommandDeps): Promise<Job> {
  const live: LiveRequest = {};
  if (cmd.duration_s) live.duration_s = cmd.duration_s;
  if (cmd.until) live.until = cmd.until;
  if (cmd.start_at) live.start_at = cmd.start_at;
  if (cmd.split_minutes) live.split_minutes = cmd.split_minutes;
  if (cmd.url) return deps.createJob({ url: cmd.url, ...(cmd.title ? { title: cmd.title } : {}), live });
  const channel = findChannel(await deps.channels(), cmd.channel!);
  if (!channel) throw notFound(`channel "${cmd.channel}" (GET /api/channels lists them)`);
  if (cmd.programme !== undefined) {
    let start: string;
    if (typeof cmd.programme === 'string') {
      const title = normaliseName(cmd.programme);
      const now = deps.now();
      const airing = (await deps.guide(channel, now, now + 24 * 3600_000)).find((p) => normaliseName(p.title) === title);
      if (!airing) throw badRequest(`programme: "${cmd.programme}" does not air on ${channel.name} in the next 24 hours`, 'programme');
      start = new Date(airing.start).toISOString();
    } else {
      start = cmd.programme.start;
    }
    return deps.recordChannel(channel.id, { programme: { start }, ...(cmd.title ? { title: cmd.title } : {}) });
  }
  return deps.recordChannel(channel.id, { live, ...(cmd.title ? { title: cmd.title } : {}) });
}
