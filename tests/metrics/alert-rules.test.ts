import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_THRESHOLDS, evaluateAlerts, type AlertSnapshot } from '../../addon/metrics/alert-rules.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const MIN = 60_000;
const GB = 1e9;

const quiet: AlertSnapshot = {
  now: NOW,
  destinations: [{ id: 'default', name: 'Media folder', status: 'online', free_bytes: 500 * GB, total_bytes: 1000 * GB, down_since: null }],
  last_hour: { completed: 10, failed: 0 },
  queue_length: 3,
  running: [{ id: 'j1', title: 'Film', last_progress_at: NOW - 5_000 }],
};

const ids = (s: AlertSnapshot): string[] => evaluateAlerts(s, DEFAULT_ALERT_THRESHOLDS).map((a) => a.id);

describe('alert rules (default thresholds)', () => {
  it('a healthy system raises nothing', () => {
    expect(ids(quiet)).toEqual([]);
  });

  it.each<[string, Partial<AlertSnapshot>, string[]]>([
    ['9.9 % free on a destination', { destinations: [{ ...quiet.destinations[0]!, free_bytes: 99 * GB }] }, ['disk_low:default']],
    ['exactly 10 % free is not under the threshold', { destinations: [{ ...quiet.destinations[0]!, free_bytes: 100 * GB }] }, []],
    ['unknown free space never alerts', { destinations: [{ ...quiet.destinations[0]!, free_bytes: null, total_bytes: null }] }, []],
    ['down for 15 minutes', { destinations: [{ ...quiet.destinations[0]!, status: 'offline', down_since: NOW - 15 * MIN }] }, ['destination_down:default']],
    ['down for 14 minutes', { destinations: [{ ...quiet.destinations[0]!, status: 'error', down_since: NOW - 14 * MIN }] }, []],
    ['2 of 5 failed (40 %)', { last_hour: { completed: 3, failed: 2 } }, ['failure_rate']],
    ['3 of 4 failed but fewer than 5 finished', { last_hour: { completed: 1, failed: 3 } }, []],
    ['1 of 5 failed (20 %, not over)', { last_hour: { completed: 4, failed: 1 } }, []],
    ['51 queued', { queue_length: 51 }, ['queue_long']],
    ['50 queued', { queue_length: 50 }, []],
    ['no byte for 10 minutes', { running: [{ id: 'j1', title: 'Film', last_progress_at: NOW - 10 * MIN }] }, ['job_stalled:j1']],
  ])('%s', (_name, change, expected) => {
    expect(ids({ ...quiet, ...change })).toEqual(expected);
  });

  it('messages say what and how much, and critical means half the threshold or a down destination', () => {
    const [disk] = evaluateAlerts({ ...quiet, destinations: [{ ...quiet.destinations[0]!, free_bytes: 40 * GB }] }, DEFAULT_ALERT_THRESHOLDS);
    expect(disk).toMatchObject({ rule: 'disk_low', severity: 'critical', value: 4, threshold: 10, message: 'Media folder has 4.0 % free (40 GB of 1.0 TB)' });
    const [rate] = evaluateAlerts({ ...quiet, last_hour: { completed: 6, failed: 4 } }, DEFAULT_ALERT_THRESHOLDS);
    expect(rate).toMatchObject({ severity: 'warning', value: 40, message: '4 of 10 downloads failed in the last hour (40 %)' });
  });

  it('thresholds come from the settings', () => {
    expect(evaluateAlerts({ ...quiet, queue_length: 6 }, { ...DEFAULT_ALERT_THRESHOLDS, queue_length: 5 }).map((a) => a.id)).toEqual(['queue_long']);
  });
});
