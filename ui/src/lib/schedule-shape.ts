/**
 * A source's sync schedule (a five-field cron expression, as the server stores it): the editor's
 * simple shapes (every N hours, every day at, every week on) and their sentences. No cronstrue
 * here: the Sources list words the common schedules without loading it (lib/schedule.ts adds
 * cronstrue for any other expression and loads with the editors). Pure.
 */

export type ScheduleMode = 'manual' | 'hours' | 'daily' | 'weekly' | 'custom';

export interface ScheduleParts {
  mode: ScheduleMode;
  /** hours: every this many hours. */
  everyHours: number;
  /** daily / weekly: "HH:MM". */
  time: string;
  /** weekly: 0 (Sunday) to 6. */
  weekday: number;
  /** custom: the expression as typed. */
  cron: string;
}

export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

const pad = (n: number): string => String(n).padStart(2, '0');

/** The editor's shape of a stored expression (anything else is "custom"). */
export function partsOf(expression: string | null): ScheduleParts {
  const base: ScheduleParts = { mode: 'manual', everyHours: 6, time: '04:00', weekday: 1, cron: expression ?? '' };
  const e = (expression ?? '').trim().replace(/\s+/g, ' ');
  if (!e) return base;
  let m = /^0 \*\/(\d{1,2}) \* \* \*$/.exec(e);
  if (m && Number(m[1]) >= 1 && Number(m[1]) <= 23) return { ...base, mode: 'hours', everyHours: Number(m[1]) };
  m = /^(\d{1,2}) (\d{1,2}) \* \* (\*|[0-6])$/.exec(e);
  if (m && Number(m[1]) < 60 && Number(m[2]) < 24) {
    const time = `${pad(Number(m[2]))}:${pad(Number(m[1]))}`;
    return m[3] === '*' ? { ...base, mode: 'daily', time } : { ...base, mode: 'weekly', time, weekday: Number(m[3]) };
  }
  return { ...base, mode: 'custom', cron: e };
}

/** The cron expression of the editor's choice; null for manual syncs only. */
export function expressionOf(p: ScheduleParts): string | null {
  const [h, min] = /^(\d{1,2}):(\d{2})$/.test(p.time) ? p.time.split(':').map(Number) : [4, 0];
  switch (p.mode) {
    case 'manual':
      return null;
    case 'hours':
      return `0 */${Math.min(23, Math.max(1, Math.trunc(p.everyHours) || 1))} * * *`;
    case 'daily':
      return `${min} ${h} * * *`;
    case 'weekly':
      return `${min} ${h} * * ${p.weekday}`;
    case 'custom':
      return p.cron.trim() || null;
  }
}

/**
 * The sentence for no schedule, a malformed one, or one of the editor's shapes; null for any other
 * expression (cronstrue words those: describeSchedule in lib/schedule.ts).
 */
export function describeShape(expression: string | null): { ok: boolean; text: string } | null {
  const e = (expression ?? '').trim();
  if (!e) return { ok: true, text: 'Only when you press “Sync now”' };
  if (e.split(/\s+/).length !== 5) return { ok: false, text: 'A schedule has five fields: minute hour day month weekday' };
  const p = partsOf(e);
  if (p.mode === 'daily') return { ok: true, text: `Every day at ${p.time}` };
  if (p.mode === 'weekly') return { ok: true, text: `Every ${WEEKDAYS[p.weekday]} at ${p.time}` };
  if (p.mode === 'hours') return { ok: true, text: p.everyHours === 1 ? 'Every hour, on the hour' : `Every ${p.everyHours} hours, on the hour` };
  return null;
}
