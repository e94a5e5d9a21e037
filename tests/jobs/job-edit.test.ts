import { describe, expect, it } from 'vitest';
import { jobEditSchema, planEdit } from '../../addon/jobs/job-edit.js';
import type { JobStatus } from '../../addon/jobs/model.js';

const job = (status: JobStatus, bytes_done = 0) => ({ status, quality: 'best', container: 'mp4' as const, bytes_done });

describe('what an edit changes, by status', () => {
  it.each<[JobStatus, string[], string[]]>([
    ['pending', ['title', 'quality', 'destination', 'priority'], []],
    ['paused', ['title', 'quality', 'destination', 'priority'], []],
    ['failed', ['title', 'quality', 'destination', 'priority'], []],
    ['downloading', ['title', 'destination', 'priority'], ['quality']],
    ['merging', ['title', 'destination', 'priority'], ['quality']],
    ['transferring', ['title', 'priority'], ['quality', 'destination']],
  ])('%s', (status, applied, notApplied) => {
    const plan = planEdit(job(status), { title: 'New', quality: '720p', destination: 'nas', priority: 'high' });
    expect('refused' in plan).toBe(false);
    if ('refused' in plan) return;
    expect(Object.keys(plan.apply).sort()).toEqual([...applied].sort());
    expect(Object.keys(plan.notApplied).sort()).toEqual([...notApplied].sort());
  });

  it.each<JobStatus>(['completed', 'cancelled'])('a %s download is refused', (status) => {
    expect(planEdit(job(status), { title: 'x' })).toEqual({ refused: `a ${status} download cannot be edited` });
  });

  it('a new quality for a paused download that fetched something discards it; the same quality does not', () => {
    expect(planEdit(job('paused', 5_000_000), { quality: '720p' })).toMatchObject({ discardWork: true });
    expect(planEdit(job('paused', 5_000_000), { quality: 'best' })).toMatchObject({ discardWork: false });
    expect(planEdit(job('pending', 0), { container: 'mkv' })).toMatchObject({ discardWork: false });
  });

  it.each([
    [{ url: 'http://x/y.m3u8' }, /these cannot be edited: url/],
    [{ title: '' }, /must not be empty/],
    [{ quality: 'high' }, /best", "worst" or a height/],
    [{ year: 1500 }, /must be a year/],
  ])('refuses %j', (body, message) => {
    const r = jobEditSchema.safeParse(body);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.message).join(' ')).toMatch(message);
  });
});
