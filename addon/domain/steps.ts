/**
 * Pure computations over big lists (a sync's diff, its rules) are generators that `yield` every
 * STEP_ITEMS items: they stay free of I/O and timers, and the caller decides what a step is worth
 * (platform/pacer.ts `drive` lets the event loop run when the work has held it too long;
 * `runToEnd` runs them straight through).
 */

/** Items between two steps: small enough to keep a step well under a millisecond. */
export const STEP_ITEMS = 256;

/** A computation that pauses at safe points and returns T. */
export type Steps<T> = Generator<void, T, undefined>;

/** Runs the computation to its end without pausing. */
export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}
