/** The schedule editor's pure part: cron expressions to the editor's shapes and back, and in words. */
import { describe, expect, it } from 'vitest';
import { describeSchedule, expressionOf, partsOf } from '../../ui/src/lib/schedule.js';

describe('schedule (ui/src/lib/schedule.ts)', () => {
  it.each([
    ['0 3 * * *', 'Every day at 03:00', 'daily'],
    ['30 4 * * 1', 'Every Monday at 04:30', 'weekly'],
    ['0 */6 * * *', 'Every 6 hours, on the hour', 'hours'],
    ['0 */1 * * *', 'Every hour, on the hour', 'hours'],
    ['15 2 * * 1-5', 'At 02:15, Monday through Friday', 'custom'],
    ['*/30 * * * *', 'Every 30 minutes', 'custom'],
    ['0 3 1 * *', 'At 03:00, on day 1 of the month', 'custom'],
    ['0 3,15 * * *', 'At 03:00 and 15:00', 'custom'],
  ])('%s reads "%s" and opens as %s', (cron, text, mode) => {
    expect(describeSchedule(cron)).toEqual({ ok: true, text });
    const parts = partsOf(cron);
    expect(parts.mode).toBe(mode);
    expect(expressionOf(parts)).toBe(cron);
  });

  it('no schedule is "by hand"; a malformed one says what is wrong', () => {
    expect(describeSchedule(null)).toEqual({ ok: true, text: 'Only when you press “Sync now”' });
    expect(describeSchedule('  ')).toMatchObject({ ok: true });
    expect(partsOf('').mode).toBe('manual');
    expect(expressionOf({ ...partsOf(''), mode: 'manual' })).toBeNull();
    expect(describeSchedule('0 3 * *')).toEqual({ ok: false, text: expect.stringMatching(/five fields/) });
    expect(describeSchedule('0 3 * * * *').ok).toBe(false);
    expect(describeSchedule('99 3 * * *').ok).toBe(false);
  });

  it('the editor shapes build the expressions the server stores', () => {
    const base = partsOf(null);
    expect(expressionOf({ ...base, mode: 'daily', time: '03:05' })).toBe('5 3 * * *');
    expect(expressionOf({ ...base, mode: 'weekly', time: '23:59', weekday: 0 })).toBe('59 23 * * 0');
    expect(expressionOf({ ...base, mode: 'hours', everyHours: 40 })).toBe('0 */23 * * *');
    expect(expressionOf({ ...base, mode: 'custom', cron: '  ' })).toBeNull();
  });
});
