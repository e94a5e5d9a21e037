import { describe, expect, it } from 'vitest';
import type { SyncSummary } from '../../addon/events/app-events.js';
import type { Job } from '../../addon/jobs/model.js';
import { downloadEventData, formatBytes, formatDuration } from '../../addon/notify/job-summary.js';
import { describeError, scrub } from '../../addon/notify/errors.js';
import { clip, completedMessage, escapeHtml, failedMessage, queueMessage, syncMessage, truncateHtml } from '../../addon/notify/telegram/format.js';
import { AppError } from '../../addon/errors.js';

const job = (over: Partial<Job> = {}): Job =>
  ({
    id: 'j1',
    url: 'https://user:pw@cdn.example/show/master.m3u8?token=abc',
    title: 'Show S01E02',
    status: 'completed',
    file_path: 'Shows/Show S01E02.mp4',
    error: null,
    started_at: '2026-01-01T10:00:00.000Z',
    completed_at: '2026-01-01T11:02:05.000Z',
    updated_at: '2026-01-01T11:02:05.000Z',
    headers: {},
    referer: null,
    progress: 0,
    speed: 0,
    ...over,
  }) as Job;

describe('download event data', () => {
  it('mirrors HA downloader events (url, filename) plus the rest, with credentials masked', () => {
    const d = downloadEventData(job(), { mediaDir: '/media/downloads', size: 1_500_000_000 });
    expect(d).toMatchObject({ id: 'j1', title: 'Show S01E02', filename: 'Show S01E02.mp4', path: '/media/downloads/Shows/Show S01E02.mp4', relative_path: 'Shows/Show S01E02.mp4', size: 1_500_000_000, error: null, duration_s: 3725 });
    expect(d.url).not.toContain(':pw@');
  });
  it('has no file for a failed job and the error message', () => {
    const d = downloadEventData(job({ status: 'failed', file_path: null, completed_at: null, error: { code: 'network_error', message: 'HTTP 404 from https://cdn.example/x' } }), { mediaDir: '/m', size: 5 });
    expect(d).toMatchObject({ filename: null, path: null, size: null, error: 'HTTP 404 from https://cdn.example/x', error_code: 'network_error' });
  });
  it('falls back to the URL for a title', () => {
    expect(downloadEventData(job({ title: '', file_path: null }), { mediaDir: '/m', size: null }).title).toBe('master.m3u8');
  });
});

describe('formatting', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1500, '1.5 kB'],
    [65_536, '66 kB'],
    [1_500_000_000, '1.5 GB'],
    [null, '?'],
  ])('bytes %s -> %s', (n, s) => expect(formatBytes(n)).toBe(s));
  it.each([
    [45, '45s'],
    [192, '3m 12s'],
    [3725, '1h 02m'],
    [200_000, '2d 7h'],
    [null, '?'],
  ])('duration %s -> %s', (n, s) => expect(formatDuration(n)).toBe(s));
});

describe('Telegram HTML', () => {
  it('escapes &, <, > and quotes', () => expect(escapeHtml('a & b <i>"x"</i>')).toBe('a &amp; b &lt;i&gt;&quot;x&quot;&lt;/i&gt;'));
  it('clips on code points', () => {
    expect(clip('😀😀😀😀', 3)).toBe('😀😀…');
    expect(clip('short', 10)).toBe('short');
  });

  it.each([
    ['<b>hello</b> world', 100, '<b>hello</b> world'],
    ['<b>hello world</b>', 12, '<b>hell…</b>'],
    ['a &amp; b &amp; c', 9, 'a &amp; …'],
    ['a &amp; b &amp; c', 7, 'a …'],
    ['<b>x</b><code>12345678</code>', 20, '<b>x</b>…'],
    ['<b>x</b><code>12345678</code>', 24, '<b>x</b><code>12…</code>'],
    ['😀😀😀😀😀', 7, '😀😀😀…'],
  ])('truncateHtml(%j, %i) = %j', (html, limit, expected) => {
    const out = truncateHtml(html, limit);
    expect(out).toBe(expected);
    expect(out.length).toBeLessThanOrEqual(limit);
  });

  it('keeps every message within 4096 and captions within 1024 whatever the input', () => {
    const long = '<&>'.repeat(5000);
    for (const limit of [4096, 1024]) {
      const out = truncateHtml(completedMessage(downloadEventData(job({ title: long, file_path: `${long}.mp4` }), { mediaDir: '/m', size: 1 })), limit);
      expect(out.length).toBeLessThanOrEqual(limit);
      expect(out).not.toMatch(/&[a-z]*…/); // never a cut entity
      expect(out.match(/<b>/g)?.length).toBe(out.match(/<\/b>/g)?.length);
      expect(out.match(/<code>/g)?.length ?? 0).toBe(out.match(/<\/code>/g)?.length ?? 0);
    }
  });

  it('formats failed and sync messages with escaping', () => {
    expect(failedMessage(downloadEventData(job({ title: 'A<B', status: 'failed', file_path: null, error: { code: 'x', message: 'bad & sad' } }), { mediaDir: '/m', size: null }))).toBe(
      '❌ <b>Download failed:</b> A&lt;B\nbad &amp; sad',
    );
    const s: SyncSummary = { source: { id: '1', name: 'TV <EU>' }, new_items: 25, updated_items: 0, removed_items: 0, total_items: 900, queued: 0, duration_ms: 5, error: null, new_titles: Array.from({ length: 22 }, (_, i) => `T${i}`) };
    const text = syncMessage(s);
    expect(text.split('\n')[0]).toBe('🔄 <b>TV &lt;EU&gt;</b> synced: 25 new, 900 in total');
    expect(text).toContain('• T19');
    expect(text).not.toContain('• T20');
    expect(text.endsWith('… and 5 more')).toBe(true);
    expect(syncMessage({ ...s, error: 'HTTP 401' })).toBe('⚠️ <b>Sync failed:</b> TV &lt;EU&gt;\nHTTP 401');
  });

  it('lists the queue', () => {
    expect(queueMessage([], [], 0)).toBe('The queue is empty.');
    const text = queueMessage([job({ status: 'downloading', progress: 42.7, speed: 2_000_000 })], [job({ title: 'Next', status: 'pending' })], 3);
    expect(text).toBe('<b>Running</b>\n▶️ Show S01E02 — downloading 42% · 2.0 MB/s\n<b>Waiting</b> (3)\n• Next\n… and 2 more');
  });
});

describe('errors for answers and logs', () => {
  it('describes app errors and scrubs secrets', () => {
    expect(describeError(new AppError('not_found', 'download x not found', { httpStatus: 404 }))).toEqual({ code: 'not_found', message: 'download x not found' });
    expect(describeError(new Error('boom'))).toEqual({ code: 'internal', message: 'boom' });
    expect(scrub('GET /bot123:abc/x failed for 123:abc', ['123:abc', undefined, ''])).toBe('GET /bot[redacted]/x failed for [redacted]');
  });
});
