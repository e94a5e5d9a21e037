/**
 * A source's sync schedule for people: the editor's shapes (lib/schedule-shape.ts) and a sentence
 * for any expression ("Every day at 03:00"), worded by cronstrue. Pure. cronstrue is ~7 KB
 * gzipped: only the lazily loaded editors and the Sources list's dynamic import bring this module.
 */
import cronstrue from 'cronstrue';
import { describeShape } from './schedule-shape.js';

export { expressionOf, partsOf, WEEKDAYS, type ScheduleMode, type ScheduleParts } from './schedule-shape.js';

/**
 * "Every day at 03:00", "Every Monday at 04:30", "Every 6 hours", or cronstrue's sentence for
 * other expressions; "Only when you press Sync now" for none. Throws nothing: an expression
 * cronstrue cannot read gives `{ok: false}` with its reason.
 */
export function describeSchedule(expression: string | null): { ok: boolean; text: string } {
  const simple = describeShape(expression);
  if (simple) return simple;
  try {
    const text = cronstrue.toString((expression ?? '').trim(), { use24HourTimeFormat: true, throwExceptionOnParseError: true });
    return { ok: true, text: text.charAt(0).toUpperCase() + text.slice(1) };
  } catch (err) {
    return { ok: false, text: String(err instanceof Error ? err.message : err).replace(/^Error: /, '') };
  }
}
