/**
 * The weekly speed schedule, as a pure function of the settings and a local time: which rule
 * holds now and when the next change is. "Mon-Fri 18:00-23:00: limit 2 MB/s", "every day
 * 01:00-07:00: no limit", "Sat: pause the queue".
 */
import { z } from 'zod';

export const SPEED_ACTIONS = ['limit', 'unlimited', 'pause'] as const;
export type SpeedAction = (typeof SPEED_ACTIONS)[number];

/** ISO weekdays: 1 = Monday ... 7 = Sunday. */
const weekday = z.number().int().min(1).max(7);
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be a time like 18:00 (24-hour)');

export const speedRuleSchema = z
  .object({
    /** Shown in the panel and the header ("Evening"). */
    name: z.string().trim().min(1).max(60),
    days: z.array(weekday).min(1, 'pick at least one day').max(7),
    /** Local time, inclusive; `end` exclusive; an end before the start runs past midnight into the next day. */
    start: clock.default('00:00'),
    end: clock.default('24:00'),
    action: z.enum(SPEED_ACTIONS),
    /** For `limit`: KiB/s shared by every running download. */
    limit_kbps: z.number().int().min(8).max(10_000_000).optional(),
    enabled: z.boolean().default(true),
  })
  .refine((r) => r.action !== 'limit' || r.limit_kbps !== undefined, { message: 'a limit rule needs limit_kbps', path: ['limit_kbps'] })
  .refine((r) => r.start !== r.end, { message: 'start and end must differ (use 00:00 to 24:00 for the whole day)', path: ['end'] });
export type SpeedRule = z.infer<typeof speedRuleSchema>;

export const speedSettingsSchema = z.object({
  /** The "Limit speed" switch: the manual limit applies when no rule holds. */
  enabled: z.boolean(),
  limit_kbps: z.number().int().min(8).max(10_000_000),
  schedule: z.array(speedRuleSchema).max(50),
});
export type SpeedSettings = z.infer<typeof speedSettingsSchema>;

export interface SpeedState {
  /** What is in force: no limit, a limit in bytes/s, or the queue paused. */
  mode: 'unlimited' | 'limited' | 'paused';
  limit_bps: number | null;
  /** Which rule decides, or the manual switch ("manual"), or nothing ("none"). */
  source: { kind: 'rule'; name: string; index: number } | { kind: 'manual' } | { kind: 'none' };
  /** When the next rule starts or ends (ISO), null when the schedule never changes anything. */
  next_change_at: string | null;
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** ISO weekday and minute of the day, in the process's local time (the container's TZ). */
function localWeekMinute(ms: number): { day: number; minute: number } {
  const d = new Date(ms);
  return { day: ((d.getDay() + 6) % 7) + 1, minute: d.getHours() * 60 + d.getMinutes() };
}

/** Whether a rule holds at a local weekday/minute; an overnight rule belongs to the day it starts. */
export function ruleHolds(rule: SpeedRule, day: number, minute: number): boolean {
  if (!rule.enabled) return false;
  const start = minutesOf(rule.start);
  const end = minutesOf(rule.end);
  if (start < end) return rule.days.includes(day) && minute >= start && minute < end;
  // Past midnight: from start to 24:00 on its day, from 00:00 to end on the next day.
  const previous = day === 1 ? 7 : day - 1;
  return (rule.days.includes(day) && minute >= start) || (rule.days.includes(previous) && minute < end);
}

function stateAt(settings: SpeedSettings, ms: number): Omit<SpeedState, 'next_change_at'> {
  const { day, minute } = localWeekMinute(ms);
  const index = settings.schedule.findIndex((r) => ruleHolds(r, day, minute));
  if (index >= 0) {
    const rule = settings.schedule[index]!;
    const source = { kind: 'rule' as const, name: rule.name, index };
    if (rule.action === 'pause') return { mode: 'paused', limit_bps: null, source };
    if (rule.action === 'unlimited') return { mode: 'unlimited', limit_bps: null, source };
    return { mode: 'limited', limit_bps: rule.limit_kbps! * 1024, source };
  }
  if (settings.enabled) return { mode: 'limited', limit_bps: settings.limit_kbps * 1024, source: { kind: 'manual' } };
  return { mode: 'unlimited', limit_bps: null, source: { kind: 'none' } };
}

const same = (a: Omit<SpeedState, 'next_change_at'>, b: Omit<SpeedState, 'next_change_at'>): boolean =>
  a.mode === b.mode && a.limit_bps === b.limit_bps && JSON.stringify(a.source) === JSON.stringify(b.source);

/** The state at `ms` and when it next changes (searched minute by minute up to a week ahead). */
export function speedStateAt(settings: SpeedSettings, ms: number): SpeedState {
  const now = stateAt(settings, ms);
  // Without an enabled rule nothing ever changes: skip the week's 10,080 minutes (each start-up and
  // every change of the switch would pay for them).
  if (!settings.schedule.some((r) => r.enabled)) return { ...now, next_change_at: null };
  const firstMinute = Math.floor(ms / 60_000) * 60_000 + 60_000;
  for (let t = firstMinute; t <= ms + 7 * 24 * 3600_000; t += 60_000) {
    if (!same(stateAt(settings, t), now)) return { ...now, next_change_at: new Date(t).toISOString() };
  }
  return { ...now, next_change_at: null };
}

/** "Mon-Fri 18:00-23:00" for the panel and logs. */
export function describeRule(rule: SpeedRule): string {
  const names = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const days = [...new Set(rule.days)].sort((a, b) => a - b);
  let dayText: string;
  if (days.length === 7) dayText = 'Every day';
  else if (days.length > 2 && days.every((d, i) => i === 0 || d === days[i - 1]! + 1)) dayText = `${names[days[0]! - 1]}-${names[days.at(-1)! - 1]}`;
  else dayText = days.map((d) => names[d - 1]).join(', ');
  const whole = rule.start === '00:00' && rule.end === '24:00';
  const action = rule.action === 'pause' ? 'pause the queue' : rule.action === 'unlimited' ? 'no limit' : `limit ${formatRate(rule.limit_kbps! * 1024)}`;
  return `${dayText}${whole ? '' : ` ${rule.start}-${rule.end}`}: ${action}`;
}

export function formatRate(bps: number): string {
  return bps >= 1024 * 1024 ? `${+(bps / 1024 / 1024).toFixed(1)} MB/s` : `${Math.round(bps / 1024)} KB/s`;
}
