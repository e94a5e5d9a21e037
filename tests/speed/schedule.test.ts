import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRule, ruleHolds, speedSettingsSchema, speedStateAt, type SpeedRule, type SpeedSettings } from '../../addon/speed/schedule.js';

const TZ = process.env.TZ;
beforeAll(() => {
  process.env.TZ = 'Europe/Lisbon';
});
afterAll(() => {
  if (TZ === undefined) delete process.env.TZ;
  else process.env.TZ = TZ;
});

const EVENING: SpeedRule = { name: 'Evening', days: [1, 2, 3, 4, 5], start: '18:00', end: '23:00', action: 'limit', limit_kbps: 2048, enabled: true };
const NIGHT: SpeedRule = { name: 'Night', days: [1, 2, 3, 4, 5, 6, 7], start: '01:00', end: '07:00', action: 'unlimited', enabled: true };
const SATURDAY: SpeedRule = { name: 'Saturday', days: [6], start: '00:00', end: '24:00', action: 'pause', enabled: true };
const LATE: SpeedRule = { name: 'Late', days: [5], start: '22:00', end: '02:00', action: 'limit', limit_kbps: 512, enabled: true };
const settings = (over: Partial<SpeedSettings> = {}): SpeedSettings => ({ enabled: false, limit_kbps: 1024, schedule: [EVENING, NIGHT, SATURDAY], ...over });

// 2026-12-07 is a Monday; Lisbon is UTC+0 in December.
const local = (iso: string): number => new Date(iso).getTime();

describe('speed schedule', () => {
  it.each<[string, string, SpeedSettings, string, number | null, string]>([
    ['Monday 18:00 starts the evening limit', '2026-12-07T18:00:00', settings(), 'limited', 2048 * 1024, 'Evening'],
    ['Monday 22:59 is still in it', '2026-12-07T22:59:00', settings(), 'limited', 2048 * 1024, 'Evening'],
    ['Monday 23:00 ends it (end is exclusive)', '2026-12-07T23:00:00', settings(), 'unlimited', null, 'none'],
    ['night rule: no limit', '2026-12-08T03:00:00', settings({ enabled: true }), 'unlimited', null, 'Night'],
    ['Saturday pauses all day', '2026-12-12T12:00:00', settings(), 'paused', null, 'Saturday'],
    ['outside every rule, the manual limit', '2026-12-07T12:00:00', settings({ enabled: true }), 'limited', 1024 * 1024, 'manual'],
    ['the first matching rule wins', '2026-12-12T03:00:00', settings(), 'unlimited', null, 'Night'],
    ['overnight rule, after midnight, belongs to Friday', '2026-12-12T01:30:00', settings({ schedule: [LATE] }), 'limited', 512 * 1024, 'Late'],
    ['overnight rule, Thursday after midnight is not in it', '2026-12-11T01:30:00', settings({ schedule: [LATE] }), 'unlimited', null, 'none'],
    ['a disabled rule is skipped', '2026-12-07T19:00:00', settings({ schedule: [{ ...EVENING, enabled: false }] }), 'unlimited', null, 'none'],
  ])('%s', (_name, at, s, mode, limit, source) => {
    const state = speedStateAt(s, local(at));
    expect(state.mode).toBe(mode);
    expect(state.limit_bps).toBe(limit);
    expect(state.source.kind === 'rule' ? state.source.name : state.source.kind).toBe(source);
  });

  it('says when the next change is', () => {
    expect(speedStateAt(settings(), local('2026-12-07T12:00:00')).next_change_at).toBe(new Date(local('2026-12-07T18:00:00')).toISOString());
    expect(speedStateAt(settings(), local('2026-12-07T18:30:20')).next_change_at).toBe(new Date(local('2026-12-07T23:00:00')).toISOString());
    expect(speedStateAt(settings({ schedule: [] }), local('2026-12-07T12:00:00')).next_change_at).toBeNull();
    // Disabled rules never change anything, whatever their times.
    expect(speedStateAt(settings({ enabled: true, schedule: [{ ...EVENING, enabled: false }] }), local('2026-12-07T12:00:00')).next_change_at).toBeNull();
  });

  it('an overnight rule holds on both sides of midnight', () => {
    expect(ruleHolds(LATE, 5, 22 * 60)).toBe(true);
    expect(ruleHolds(LATE, 6, 60)).toBe(true);
    expect(ruleHolds(LATE, 6, 2 * 60)).toBe(false);
    expect(ruleHolds(LATE, 5, 21 * 60 + 59)).toBe(false);
  });

  it('describes rules as people write them', () => {
    expect(describeRule(EVENING)).toBe('Mon-Fri 18:00-23:00: limit 2 MB/s');
    expect(describeRule(NIGHT)).toBe('Every day 01:00-07:00: no limit');
    expect(describeRule(SATURDAY)).toBe('Sat: pause the queue');
    expect(describeRule({ ...LATE, days: [5, 7] })).toBe('Fri, Sun 22:00-02:00: limit 512 KB/s');
  });

  it.each([
    [{ ...EVENING, limit_kbps: undefined }, 'limit_kbps'],
    [{ ...EVENING, start: '25:00' }, 'start'],
    [{ ...EVENING, days: [] }, 'days'],
    [{ ...EVENING, days: [8] }, 'days'],
    [{ ...EVENING, end: '18:00' }, 'end'],
  ])('refuses a broken rule, naming the field (%#)', (rule, field) => {
    const r = speedSettingsSchema.safeParse(settings({ schedule: [rule as SpeedRule] }));
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path.join('.')).toContain(field);
  });
});
