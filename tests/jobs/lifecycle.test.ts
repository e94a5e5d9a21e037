import { describe, expect, it } from 'vitest';
import { assertTransition, canTransition, IllegalTransition, TRANSITIONS } from '../../addon/jobs/lifecycle.js';
import { JOB_STATUSES, type JobStatus } from '../../addon/jobs/model.js';

/** Every allowed move, written out independently of the table it checks. */
const ALLOWED: Array<[JobStatus, JobStatus]> = [
  ['pending', 'downloading'],
  ['pending', 'transferring'],
  ['pending', 'paused'],
  ['pending', 'cancelled'],
  ['pending', 'failed'],
  ['downloading', 'merging'],
  ['downloading', 'transferring'],
  ['downloading', 'pending'],
  ['downloading', 'paused'],
  ['downloading', 'cancelled'],
  ['downloading', 'failed'],
  ['merging', 'transferring'],
  ['merging', 'pending'],
  ['merging', 'paused'],
  ['merging', 'cancelled'],
  ['merging', 'failed'],
  ['transferring', 'completed'],
  ['transferring', 'pending'],
  ['transferring', 'paused'],
  ['transferring', 'cancelled'],
  ['transferring', 'failed'],
  ['paused', 'pending'],
  ['paused', 'cancelled'],
  ['failed', 'pending'],
  ['failed', 'cancelled'],
  ['cancelled', 'pending'],
];
const allowed = new Set(ALLOWED.map(([a, b]) => `${a}->${b}`));
const ALL_PAIRS = JOB_STATUSES.flatMap((from) => JOB_STATUSES.map((to) => [from, to] as [JobStatus, JobStatus]));
const REFUSED = ALL_PAIRS.filter(([a, b]) => !allowed.has(`${a}->${b}`));

describe('job lifecycle', () => {
  it.each(ALLOWED)('allows %s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(() => assertTransition('j', from, to)).not.toThrow();
  });

  it.each(REFUSED)('refuses %s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(() => assertTransition('j', from, to)).toThrow(IllegalTransition);
  });

  it('has no self-transitions (a refresh is an update, not a status change) and completed is final', () => {
    for (const s of JOB_STATUSES) expect(TRANSITIONS[s]).not.toContain(s);
    expect(TRANSITIONS.completed).toEqual([]);
    expect(REFUSED.length + ALLOWED.length).toBe(JOB_STATUSES.length ** 2);
  });
});
