import { describe, expect, it } from 'vitest';
import type { AlertEvent, DestinationStatusEvent } from '../../addon/events/app-events.js';
import type { Job } from '../../addon/jobs/model.js';
import { DIGEST_LINES, renderMessage } from '../../addon/notify/message.js';
import type { NotificationEvent } from '../../addon/notify/notification-event.js';

const job = (over: Partial<Job> = {}): Job =>
  ({ id: 'j', url: 'http://x/a.m3u8', title: 'Show S01E02', status: 'completed', file_path: 'TV/Show/S01E02.mkv', location: null, started_at: '2026-01-01T10:00:00.000Z', completed_at: '2026-01-01T11:02:05.000Z', updated_at: '2026-01-01T11:02:05.000Z', error: null, ...over }) as Job;
const destination: DestinationStatusEvent = { id: 'nas', name: 'NAS', kind: 'smb', status: 'offline', previous: 'online', message: 'connection refused', code: 'destination_unreachable', checked_at: 'x' };
const alert: AlertEvent = { id: 'queue_long', rule: 'queue_long', severity: 'warning', message: '120 downloads waiting (more than 100)', value: 120, threshold: 100, raised_at: 'x', resolved_at: null };

describe('renderMessage', () => {
  it.each<[string, NotificationEvent, { title: string; body: string; severity: string }]>([
    ['completed', { type: 'download.completed', job: job() }, { title: 'Download complete', body: 'Show S01E02 (1h 02m) saved to TV/Show/S01E02.mkv', severity: 'success' }],
    ['completed on a NAS', { type: 'download.completed', job: job({ location: '//nas:445/media/TV/Show/S01E02.mkv' }) }, { title: 'Download complete', body: 'Show S01E02 (1h 02m) saved to //nas:445/media/TV/Show/S01E02.mkv', severity: 'success' }],
    ['failed', { type: 'download.failed', job: job({ status: 'failed', error: { code: 'http_403', message: 'HTTP 403' } }) }, { title: 'Download failed', body: 'Show S01E02: HTTP 403', severity: 'failure' }],
    [
      'sync',
      { type: 'sync.finished', summary: { source: { id: 's', name: 'My IPTV' }, new_items: 3, updated_items: 0, removed_items: 0, total_items: 120, queued: 2, duration_ms: 1, error: null, new_titles: [] } },
      { title: 'Playlist synced', body: 'My IPTV: 3 new, 120 in total, 2 queued', severity: 'info' },
    ],
    [
      'sync failed',
      { type: 'sync.finished', summary: { source: { id: 's', name: 'My IPTV' }, new_items: 0, updated_items: 0, removed_items: 0, total_items: 0, queued: 0, duration_ms: 1, error: 'HTTP 401', new_titles: [] } },
      { title: 'Playlist sync failed', body: 'My IPTV: HTTP 401', severity: 'failure' },
    ],
    ['recording started', { type: 'recording.started', job: job({ title: 'News live', status: 'downloading' }) }, { title: 'Recording started', body: 'News live', severity: 'info' }],
    ['recording failed', { type: 'recording.finished', job: job({ title: 'News live', status: 'failed', error: { code: 'x', message: 'stream ended' } }) }, { title: 'Recording failed', body: 'News live: stream ended', severity: 'failure' }],
    ['destination down', { type: 'destination.down', destination }, { title: 'Destination down', body: 'NAS (smb): connection refused', severity: 'failure' }],
    ['destination up', { type: 'destination.up', destination: { ...destination, status: 'online', previous: 'offline', message: null } }, { title: 'Destination back', body: 'NAS (smb) is reachable again', severity: 'success' }],
    ['disk full', { type: 'disk.full', reason: 'disk_full', detail: '/media has 800 MB free (minimum 1 GB)', since: 'x' }, { title: 'Disk full: queue held', body: '/media has 800 MB free (minimum 1 GB)', severity: 'failure' }],
    ['alert', { type: 'alert.raised', alert }, { title: 'Alert: queue_long', body: '120 downloads waiting (more than 100)', severity: 'warning' }],
  ])('%s', (_what, event, expected) => {
    expect(renderMessage(event)).toMatchObject(expected);
  });

  it('lists a digest, at most a screenful, and sends a one-event digest as that event', () => {
    const events: NotificationEvent[] = Array.from({ length: 40 }, (_, i) => ({ type: 'download.completed', job: job({ id: `e${i}`, title: `Episode ${i + 1}` }) }));
    const m = renderMessage({ type: 'digest', events });
    expect(m.title).toBe('40 downloads complete');
    const lines = m.body.split('\n');
    expect(lines).toHaveLength(DIGEST_LINES + 1);
    expect(lines[0]).toBe('• Episode 1');
    expect(lines.at(-1)).toBe(`… and ${40 - DIGEST_LINES} more`);
    expect(renderMessage({ type: 'digest', events: [events[0]!] })).toEqual(renderMessage(events[0]!));
  });
});
