import { describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { dueRecordings, isDue, isRecordingJob, nextStartAt } from '../../addon/live/schedule.js';

const NOW = Date.parse('2026-12-06T20:00:00Z');
const job = (id: string, more: Partial<Job>): Job => ({ id, status: 'pending', kind: null, transfer: null, ...more }) as Job;

describe('recording schedule', () => {
  const jobs = [
    job('vod', {}),
    job('live-now', { live: { duration_s: 60 } }),
    job('found-live', { kind: 'recording' }),
    job('later', { live: { start_at: '2026-12-06T21:00:00Z' } }),
    job('soon', { live: { start_at: '2026-12-06T20:30:00Z' } }),
    job('past-start', { live: { start_at: '2026-12-06T19:00:00Z' } }),
    job('transferring', { live: {}, transfer: { destination_id: 'd' } as Job['transfer'] }),
    job('paused', { status: 'paused', live: {} }),
  ];
  it('tells recordings from downloads', () => {
    expect(jobs.filter(isRecordingJob).map((j) => j.id)).toEqual(['live-now', 'found-live', 'later', 'soon', 'past-start', 'transferring', 'paused']);
  });
  it('starts the due ones that are pending and not running, whatever the download slots', () => {
    expect(dueRecordings(jobs, new Set(['found-live']), NOW).map((j) => j.id)).toEqual(['live-now', 'past-start']);
  });
  it('wakes the queue at the earliest start to come', () => {
    expect(nextStartAt(jobs, NOW)).toBe(Date.parse('2026-12-06T20:30:00Z'));
    expect(nextStartAt(jobs, Date.parse('2026-12-06T22:00:00Z'))).toBeNull();
    expect(isDue(jobs[3]!, Date.parse('2026-12-06T21:00:00Z'))).toBe(true);
  });
});
