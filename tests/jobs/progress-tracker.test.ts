import { describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { ProgressTracker } from '../../addon/jobs/progress-tracker.js';

const stored = Object.freeze({
  id: 'a', status: 'downloading', progress: 10, bytes_done: 100, bytes_total: 1000, speed: 0, eta_s: null, segments_done: 1, segments_total: 10, updated_at: 'then',
  recording: { started_at: 's', recorded_s: 5, lost_s: 0, gaps: [], files: ['one.ts'] },
}) as unknown as Job;

describe('ProgressTracker', () => {
  it('lays live figures over the stored record without changing it; a job without figures is returned as it is', () => {
    const t = new ProgressTracker();
    expect(t.view(stored)).toBe(stored);
    t.set('a', { bytes_done: 500, progress: 50 });
    t.set('a', { speed: 42 });
    const view = t.view(stored);
    expect(view).toMatchObject({ id: 'a', bytes_done: 500, progress: 50, speed: 42, bytes_total: 1000, segments_total: 10 });
    expect(stored.bytes_done).toBe(100);
    expect(view).not.toBe(stored);
  });

  it('a recording\'s live status keeps the record\'s filed files', () => {
    const t = new ProgressTracker();
    t.set('a', { recording: { started_at: 's', recorded_s: 60, lost_s: 2, gaps: [] } as never });
    expect(t.view(stored).recording).toMatchObject({ recorded_s: 60, lost_s: 2, files: ['one.ts'] });
    expect(t.fieldsFor(stored).recording).toMatchObject({ recorded_s: 60, files: ['one.ts'] });
  });

  it('adds up the speeds of the jobs asked for and forgets a job on delete', () => {
    const t = new ProgressTracker();
    t.set('a', { speed: 10 });
    t.set('b', { speed: 5 });
    t.set('c', { speed: 1000 });
    expect(t.totalSpeed(['a', 'b', 'zz'])).toBe(15);
    t.delete('a');
    expect(t.has('a')).toBe(false);
    expect(t.fieldsFor(stored)).toEqual({});
  });
});
