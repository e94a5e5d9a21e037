/**
 * One plain-text message for any notification event or digest: what ntfy, Gotify, apprise-api
 * and Home Assistant's notify service show. Pure: no I/O, table-tested.
 */
import type { Job } from '../jobs/model.js';
import { displayTitle, formatDuration } from './job-summary.js';
import type { NotificationDigest, NotificationEvent, NotificationEventType } from './notification-event.js';

export type Severity = 'info' | 'success' | 'warning' | 'failure';

export interface RenderedMessage {
  title: string;
  body: string;
  severity: Severity;
  /** Short words ntfy shows as tags/emoji (`white_check_mark`, `warning`, ...). */
  tags: string[];
}

const SEVERITY: Record<NotificationEventType, Severity> = {
  'download.completed': 'success',
  'download.failed': 'failure',
  'sync.finished': 'info',
  'recording.started': 'info',
  'recording.finished': 'success',
  'destination.down': 'failure',
  'destination.up': 'success',
  'disk.full': 'failure',
  'alert.raised': 'warning',
  'alert.resolved': 'success',
};

const RANK: Record<Severity, number> = { info: 0, success: 1, warning: 2, failure: 3 };

/** A failed sync or recording is a failure whatever its event type says. */
function severityOf(event: NotificationEvent): Severity {
  if (event.type === 'sync.finished' && event.summary.error) return 'failure';
  if (event.type === 'recording.finished' && event.job.status !== 'completed') return 'failure';
  return SEVERITY[event.type];
}

const TAGS: Record<Severity, string> = { info: 'information_source', success: 'white_check_mark', warning: 'warning', failure: 'rotating_light' };

/** Where a finished file went, as a person reads it. */
function savedTo(job: Job): string {
  return job.location ?? job.file_path ?? '?';
}

function duration(job: Job): string {
  const start = job.started_at ? Date.parse(job.started_at) : NaN;
  const end = Date.parse(job.completed_at ?? job.updated_at);
  return Number.isFinite(start) && Number.isFinite(end) ? formatDuration(Math.max(0, (end - start) / 1000)) : '?';
}

function line(event: NotificationEvent): { title: string; body: string } {
  switch (event.type) {
    case 'download.completed':
      return { title: 'Download complete', body: `${displayTitle(event.job)} (${duration(event.job)}) saved to ${savedTo(event.job)}` };
    case 'download.failed':
      return { title: 'Download failed', body: `${displayTitle(event.job)}: ${event.job.error?.message ?? 'unknown error'}` };
    case 'sync.finished': {
      const s = event.summary;
      if (s.error) return { title: 'Playlist sync failed', body: `${s.source.name}: ${s.error}` };
      return { title: 'Playlist synced', body: `${s.source.name}: ${s.new_items} new, ${s.total_items} in total${s.queued ? `, ${s.queued} queued` : ''}` };
    }
    case 'recording.started':
      return { title: 'Recording started', body: displayTitle(event.job) };
    case 'recording.finished':
      return event.job.status === 'completed'
        ? { title: 'Recording finished', body: `${displayTitle(event.job)} saved to ${savedTo(event.job)}` }
        : { title: 'Recording failed', body: `${displayTitle(event.job)}: ${event.job.error?.message ?? event.job.status}` };
    case 'destination.down':
      return { title: 'Destination down', body: `${event.destination.name} (${event.destination.kind}): ${event.destination.message ?? event.destination.status}` };
    case 'destination.up':
      return { title: 'Destination back', body: `${event.destination.name} (${event.destination.kind}) is reachable again` };
    case 'disk.full':
      return { title: 'Disk full: queue held', body: event.detail ?? 'free space is below min_free_space_mb; downloads wait until space is freed' };
    case 'alert.raised':
      return { title: `Alert: ${event.alert.rule}`, body: event.alert.message };
    case 'alert.resolved':
      return { title: `Resolved: ${event.alert.rule}`, body: event.alert.message };
  }
}

/** The subject of an event in a digest's list: the title of a download, a source's name, ... */
function subject(event: NotificationEvent): string {
  const { title, body } = line(event);
  return event.type === 'download.completed' || event.type === 'recording.started' ? displayTitle((event as { job: Job }).job) : body || title;
}

const DIGEST_TITLE: Record<NotificationEventType, (n: number) => string> = {
  'download.completed': (n) => `${n} downloads complete`,
  'download.failed': (n) => `${n} downloads failed`,
  'sync.finished': (n) => `${n} playlist syncs`,
  'recording.started': (n) => `${n} recordings started`,
  'recording.finished': (n) => `${n} recordings finished`,
  'destination.down': (n) => `${n} destinations down`,
  'destination.up': (n) => `${n} destinations back`,
  'disk.full': (n) => `Disk full (${n} times)`,
  'alert.raised': (n) => `${n} alerts`,
  'alert.resolved': (n) => `${n} alerts resolved`,
};

/** At most this many lines in a digest's body; the rest is counted. */
export const DIGEST_LINES = 15;

export function renderMessage(input: NotificationEvent | NotificationDigest): RenderedMessage {
  if (input.type !== 'digest') {
    const severity = severityOf(input);
    return { ...line(input), severity, tags: [TAGS[severity]] };
  }
  const events = input.events;
  if (events.length === 1) return renderMessage(events[0]!);
  const type = events[0]?.type ?? 'download.completed';
  // The loudest of its events: one failed recording in a digest makes it a failure.
  const severity = events.map(severityOf).sort((a, b) => RANK[b] - RANK[a])[0] ?? SEVERITY[type];
  const lines = events.slice(0, DIGEST_LINES).map((e) => `• ${subject(e)}`);
  if (events.length > DIGEST_LINES) lines.push(`… and ${events.length - DIGEST_LINES} more`);
  return { title: DIGEST_TITLE[type](events.length), body: lines.join('\n'), severity, tags: [TAGS[severity]] };
}

/** The message a Test button sends. */
export function testMessage(): RenderedMessage {
  return { title: 'M3U Downloader', body: 'Test notification from m3u-downloader', severity: 'info', tags: ['bell'] };
}
